"""A record's periods in one answer (SPEC 3.2): how long it is disclosed, shown to the public, and
kept. Every route that stores or changes a record (submission, correction, provider events, the
sweeper) asks this one function, so the periods never depend on how a record got here.

Issue 15's periods lane rewrites the rules behind it (HC-19(3): BAD from the act's end; penalty
publicity for PUBLIC display only; XZ-20 retention); callers rely only on this signature.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.catalogue import CatalogueItem, JurisdictionProfile
from domain.disclosure import disclosure_ends_on
from domain.enums import SubjectKind


@dataclass(frozen=True)
class RecordPeriods:
    disclosure_ends_on: dt.date | None  # last day disclosed (per its class); None: no end yet
    publicity_ends_on: dt.date | None  # last day shown to the public when that ends earlier; None: same as disclosure
    retained_until: dt.date | None  # last day kept once archived, then deleted (XZ-20); None: kept


def record_periods(item: CatalogueItem, profile: JurisdictionProfile, *, subject_kind: SubjectKind,
                   decided_on: dt.date | None, act_ended_on: dt.date | None, valid_until: dt.date | None,
                   subject_ended_on: dt.date | None, cancelled_on: dt.date | None = None) -> RecordPeriods:
    """The periods of a record of `item` from the dates known today (None where a date is not known yet)."""
    ends = disclosure_ends_on(item, subject_kind=subject_kind, decided_on=decided_on, act_ended_on=act_ended_on,
                              valid_until=valid_until, subject_ended_on=subject_ended_on, profile=profile)
    if cancelled_on is not None and (ends is None or cancelled_on < ends):
        ends = cancelled_on
    return RecordPeriods(disclosure_ends_on=ends, publicity_ends_on=None, retained_until=None)
