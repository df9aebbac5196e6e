"""Disclosure periods (披露期限, HC-19, XZ-20; SPEC 3.2): when a record stops being disclosed.

After its period a record is ARCHIVED: kept, but answered only to the subject and to auditors.
The date returned is the last day the record is still disclosed; it is archived from the next day
(`is_archived`). None means "no end yet": a BASIC record of a subject that still exists, a GOOD
record without validity (until cancelled).
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
    """Last day a record of `item` is disclosed, or None while it has no end.

    - BASIC: organisations until `years_after_termination` after they end (HC-19(1): 3 years);
      natural persons until their death (the death date itself).
    - GOOD: until its validity ends; without validity, until cancelled (None).
    - BAD: from the day the act ended (the decision date when no end date is known), the item's
      maximum publicity period if it is graded by severity, else its years (HC-19(3), XZ-20: 5).

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
    start = act_ended_on or decided_on
    if start is None:
        raise ValueError(f"a record of BAD item {item.code!r} needs act_ended_on or decided_on "
                         "to compute its disclosure period")
    if item.severity is not None:
        months = item.publicity_months
        if months is None:
            months = _from_profile(profile, "severity_publicity_months", item)[item.severity]
        return add_months(start, months.max_months)
    years = rule.years if rule.years is not None else _from_profile(
        profile, "bad_record_years", item)
    return add_years(start, years)


def repairable_from(item: CatalogueItem, *, decided_on: date | None = None,
                    act_ended_on: date | None = None) -> date | None:
    """First day a graded bad record may leave publicity by credit repair (its minimum period).

    None for items without severity: their repair is not bounded by a minimum period.
    """
    if item.category is not Category.BAD or item.publicity_months is None:
        return None
    start = act_ended_on or decided_on
    if start is None:
        raise ValueError(f"a record of BAD item {item.code!r} needs act_ended_on or decided_on")
    return add_months(start, item.publicity_months.min_months)


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
