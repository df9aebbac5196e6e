"""A record's periods in one answer (SPEC 3.2): how long it is disclosed, shown to the public, and
kept. Every route that stores or changes a record (submission, correction, provider events, the
sweeper) asks this one function, so the periods never depend on how a record got here.

| category | disclosed until | runs from | article |
| --- | --- | --- | --- |
| BASIC, organisation | 3 years after it ends | deregistration | HC-19(1) |
| BASIC, person | death | death | HC-19(1) |
| GOOD | validity ends, else cancellation | valid until / cancelled on | HC-19(2) |
| BAD | 5 years (or the cited period) | the act's end; none while ongoing | HC-19(3), XZ-20 |
| BAD penalty, public display | max publicity of its grade | the decision | credit repair measures |
| BAD person, Xinzheng | kept 5 years once archived, then deleted | the archive | XZ-20 |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.catalogue import CatalogueItem, JurisdictionProfile
from domain.disclosure import add_years, disclosure_ends_on, publicity_ends_on
from domain.enums import Category, SubjectKind


@dataclass(frozen=True)
class RecordPeriods:
    disclosure_ends_on: dt.date | None  # last day disclosed (per its class); None: no end yet
    publicity_ends_on: dt.date | None  # last day shown to the public when that ends earlier; None: same as disclosure
    retained_until: dt.date | None  # last day kept once archived, then deleted (XZ-20); None: kept


def record_periods(item: CatalogueItem, profile: JurisdictionProfile, *, subject_kind: SubjectKind,
                   decided_on: dt.date | None, act_ended_on: dt.date | None, valid_until: dt.date | None,
                   subject_ended_on: dt.date | None, cancelled_on: dt.date | None = None) -> RecordPeriods:
    """The periods of a record of `item` from the dates known today (None where a date is not known yet).

    `cancelled_on` (取消, HC-19(2)) ends a record's disclosure that day if it would run longer.
    """
    subject_kind = SubjectKind(subject_kind)
    ends = disclosure_ends_on(item, subject_kind=subject_kind, decided_on=decided_on, act_ended_on=act_ended_on,
                              valid_until=valid_until, subject_ended_on=subject_ended_on, profile=profile)
    if cancelled_on is not None and (ends is None or cancelled_on < ends):
        ends = cancelled_on
    public = publicity_ends_on(item, decided_on=decided_on)
    if public is not None and ends is not None and public >= ends:
        public = None  # public display lasts as long as the disclosure itself
    kept = None
    years = profile.bad_person_retention_years
    if (years and ends is not None and item.category is Category.BAD
            and subject_kind is SubjectKind.NATURAL_PERSON):
        kept = add_years(ends, years)
    return RecordPeriods(disclosure_ends_on=ends, publicity_ends_on=public, retained_until=kept)
