"""Disclosure periods (披露期限, HC-19, XZ-20; SPEC 3.2): when a record stops being disclosed.

After its period a record is ARCHIVED: kept, but answered only to the subject, auditors, its
provider and an operator on a case. An administrative penalty's public display may end earlier
(`publicity_ends_on`): departments keep reading it per its class until its disclosure ends.
The date returned is the last day the record is still disclosed; it is archived from the next day
(`is_archived`). None means "no end yet": a BASIC record of a subject that still exists, a GOOD
record without validity (until cancelled), a BAD record whose act is still going on.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import TYPE_CHECKING

from domain.enums import Category, SubjectKind

if TYPE_CHECKING:  # pragma: no cover
    from domain.catalogue import CatalogueItem, JurisdictionProfile


def add_months(start: date, months: int) -> date:
    """Same day `months` later; a day the target month lacks (Feb 29/30/31) becomes its last day."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:  # past the calendar (an act "ended" 9999-12-31): the period never ends
        return date.max if year > 9999 else date.min
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_years(start: date, years: int) -> date:
    """Same month and day `years` later; Feb 29 falls back to Feb 28 in a common year."""
    return add_months(start, 12 * years)


def disclosure_ends_on(item: CatalogueItem, *, subject_kind: SubjectKind,
                       decided_on: date | None = None, act_ended_on: date | None = None,
                       valid_until: date | None = None, subject_ended_on: date | None = None,
                       profile: JurisdictionProfile | None = None) -> date | None:
    """Last day a record of `item` is disclosed (to every reader its class allows), or None while it
    has no end.

    - BASIC (HC-19(1)): organisations until `years_after_termination` after they end (3 years);
      natural persons until their death (the death date itself).
    - GOOD (HC-19(2)): until its validity ends; without validity, until cancelled (None here).
    - BAD (HC-19(3), XZ-20): the item's years (5, or the period its cited source sets) from the day
      the act or event ended. Without `act_ended_on` the act is still going on (unpaid arrears, an
      unperformed judgment): its period has not started, and the record stays live until the
      provider reports the end. The decision date never stands in for it. Penalty publicity
      grading does not shorten this period: it governs public display only (`publicity_ends_on`).

    `profile` supplies the numbers when an item built in code leaves them unset.
    """
    subject_kind = SubjectKind(subject_kind)
    if subject_kind not in item.subject_kinds:
        raise ValueError(f"catalogue item {item.code!r} does not apply to {subject_kind.value}")
    rule = item.disclosure
    if item.category is Category.BASIC:
        if subject_ended_on is None:
            return None
        if subject_kind is SubjectKind.NATURAL_PERSON:
            return subject_ended_on
        years = rule.years_after_termination
        if years is None:
            years = _from_profile(profile, "basic_years_after_termination", item)
        return add_years(subject_ended_on, years)
    if item.category is Category.GOOD:
        return valid_until
    if act_ended_on is None:
        return None
    years = rule.years if rule.years is not None else _from_profile(profile, "bad_record_years", item)
    return add_years(act_ended_on, years)


def publicity_ends_on(item: CatalogueItem, *, decided_on: date | None) -> date | None:
    """Last day an administrative penalty is on public display (行政处罚信息公示, SPEC 3.2), counted
    from the decision: its grade's maximum publicity period. A grade with no publicity (MINOR, max 0)
    is never shown to the public: the day before the decision. None for items without publicity
    grading (their public display lasts as long as their disclosure)."""
    months = item.publicity_months
    if months is None or decided_on is None:
        return None
    if months.max_months == 0:
        return decided_on - timedelta(days=1)
    return add_months(decided_on, months.max_months)


def repairable_from(item: CatalogueItem, *, decided_on: date | None = None,
                    act_ended_on: date | None = None) -> date | None:
    """First day a graded penalty may leave publicity by credit repair: its minimum publicity period
    from the decision (HC-31; SPEC 3.2: repair before the minimum period is refused).

    None for items without publicity grading: their repair is not bounded by a minimum period.
    `act_ended_on` is accepted for callers' convenience; publicity runs from the decision.
    """
    if item.category is not Category.BAD or item.publicity_months is None:
        return None
    if decided_on is None:
        raise ValueError(f"a record of penalty item {item.code!r} needs decided_on: its publicity runs from "
                         "the decision")
    return add_months(decided_on, item.publicity_months.min_months)


def is_archived(ends_on: date | None, today: date) -> bool:
    """True once the disclosure period is over: the day after `ends_on` onwards."""
    return ends_on is not None and ends_on < today


def status_on(status: str, ends_on: date | None, today: date) -> str:
    """A record's status as of `today`: an ACTIVE record past its period is ARCHIVED (HC-19),
    whether or not a sweep has written that down yet."""
    return "ARCHIVED" if status == "ACTIVE" and is_archived(ends_on, today) else status


def archived_on(status: str, status_changed_on: date | None, ends_on: date | None, today: date) -> date | None:
    """The day a record was archived: as recorded, or the day after its period ended."""
    if status == "ARCHIVED":
        return status_changed_on
    if status_on(status, ends_on, today) == "ARCHIVED":
        return ends_on + timedelta(days=1)
    return None


def _from_profile(profile: JurisdictionProfile | None, name: str, item: CatalogueItem):
    if profile is None:
        raise ValueError(f"catalogue item {item.code!r} leaves {name} unset and no profile given")
    return getattr(profile, name)
