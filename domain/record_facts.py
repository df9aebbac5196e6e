"""Facts derived when a record is stored: its class, disclosure end, deadline and lateness.

One function for every way records come in (API, spreadsheet, manual entry, demo data), so the
rules of SPEC 3.1–3.3 are applied the same way whatever the route.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from domain.catalogue import CatalogueItem, JurisdictionProfile
from domain.disclosure import disclosure_ends_on
from domain.enums import SubjectKind
from domain.working_days import WorkingDayCalendar


@dataclass(frozen=True)
class DerivedFacts:
    visibility: str
    severity: str | None
    disclosure_ends_on: dt.date | None
    deadline_on: dt.date | None
    deadline_provisional: bool
    late_working_days: int


def _period_end(day: dt.date) -> dt.date:
    """Periodic submissions are due after the month of the decision ends (XZ-12)."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def derive_facts(item: CatalogueItem, profile: JurisdictionProfile, working_days: WorkingDayCalendar, *,
                 subject_kind: SubjectKind, subject_ended_on: dt.date | None, decided_on: dt.date,
                 act_ended_on: dt.date | None, valid_until: dt.date | None, submitted_on: dt.date) -> DerivedFacts:
    ends = disclosure_ends_on(item, subject_kind=subject_kind, decided_on=decided_on, act_ended_on=act_ended_on,
                              valid_until=valid_until, subject_ended_on=subject_ended_on, profile=profile)
    rule = item.submission
    deadline_on, provisional, late = None, False, 0
    if rule is not None and rule.deadline_working_days:
        start = decided_on if rule.deadline_from == "DECISION" else _period_end(decided_on)
        deadline = working_days.add_working_days(start, rule.deadline_working_days)
        deadline_on, provisional = deadline.due, deadline.provisional
        counted = working_days.working_days_between(deadline.due, submitted_on)
        late = counted.days
        provisional = provisional or counted.provisional
    severity = item.severity.value if item.severity is not None else None
    return DerivedFacts(
        visibility=item.visibility_for(subject_kind).value,
        severity=severity,
        disclosure_ends_on=ends,
        deadline_on=deadline_on,
        deadline_provisional=provisional,
        late_working_days=late,
    )
