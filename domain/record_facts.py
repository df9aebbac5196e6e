"""Facts derived when a record is stored: its class, periods (domain.periods), deadline and lateness.

One function for every way records come in (API, spreadsheet, manual entry, demo data), so the
rules of SPEC 3.1–3.3 are applied the same way whatever the route.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from domain.catalogue import CatalogueItem, CollectionPeriod, DeadlineFrom, JurisdictionProfile
from domain.enums import SubjectKind
from domain.periods import record_periods
from domain.working_days import WorkingDayCalendar


@dataclass(frozen=True)
class DerivedFacts:
    visibility: str
    severity: str | None
    disclosure_ends_on: dt.date | None
    publicity_ends_on: dt.date | None
    retained_until: dt.date | None
    deadline_on: dt.date | None
    deadline_provisional: bool
    late_working_days: int


_PERIOD_MONTHS = {CollectionPeriod.MONTH: 1, CollectionPeriod.QUARTER: 3, CollectionPeriod.HALF_YEAR: 6,
                  CollectionPeriod.YEAR: 12}


def period_end(day: dt.date, frequency: CollectionPeriod) -> dt.date:
    """Last day of the collection period (month, quarter, half-year, year) `day` falls in: periodic
    records are due 10 working days after it (XZ-12(2))."""
    months = _PERIOD_MONTHS.get(frequency, 1)
    last_month = ((day.month - 1) // months + 1) * months
    return dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def derive_facts(item: CatalogueItem, profile: JurisdictionProfile, working_days: WorkingDayCalendar, *,
                 subject_kind: SubjectKind, subject_ended_on: dt.date | None, decided_on: dt.date,
                 act_ended_on: dt.date | None, valid_until: dt.date | None, submitted_on: dt.date,
                 cancelled_on: dt.date | None = None) -> DerivedFacts:
    periods = record_periods(item, profile, subject_kind=subject_kind, decided_on=decided_on,
                             act_ended_on=act_ended_on, valid_until=valid_until, subject_ended_on=subject_ended_on,
                             cancelled_on=cancelled_on)
    rule = item.submission
    deadline_on, provisional, late = None, False, 0
    if rule is not None and rule.deadline_working_days:
        start = decided_on if rule.deadline_from is DeadlineFrom.DECISION else period_end(decided_on, rule.frequency)
        deadline = working_days.add_working_days(start, rule.deadline_working_days)
        deadline_on, provisional = deadline.due, deadline.provisional
        counted = working_days.working_days_between(deadline.due, submitted_on)
        late = counted.days
        provisional = provisional or counted.provisional
    severity = item.severity.value if item.severity is not None else None
    return DerivedFacts(
        visibility=item.visibility_for(subject_kind).value,
        severity=severity,
        disclosure_ends_on=periods.disclosure_ends_on,
        publicity_ends_on=periods.publicity_ends_on,
        retained_until=periods.retained_until,
        deadline_on=deadline_on,
        deadline_provisional=provisional,
        late_working_days=late,
    )
