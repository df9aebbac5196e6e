"""Stored periods brought in line with the rules of `domain.periods` (SPEC 3.2, HC-19, XZ-20).

A database filled under earlier rules holds periods they gave: a general penalty archived after 12
months, no public-display end, no XZ-20 retention. Reads decide by the stored dates, so after the
rules change every record's periods are computed again from its own dates (decision, act end,
validity, the subject's end), once: `initialise` runs this when the rules' version stored in the
database differs from `PERIOD_RULES`. Nothing a provider sent is changed; rows whose periods are
already right are not written.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.catalogue import JurisdictionProfile
from domain.enums import SubjectKind
from domain.periods import record_periods
from store.models import Record, Subject

PERIOD_RULES = "2"  # raise when domain.periods changes what it computes (2: issue 15's HC-19(3) and XZ-20)
SETTING = "period_rules"
PERIOD_COLUMNS = ("disclosure_ends_on", "publicity_ends_on", "retained_until")
BATCH = 5000

R, S = Record.__table__.c, Subject.__table__.c
_ROWS = (select(R.id, R.catalogue_item_code, R.decided_on, R.act_ended_on, R.valid_until,
                *(R[c] for c in PERIOD_COLUMNS), S.kind, S.ended_on)
         .join(Subject.__table__, S.code == R.subject_code)
         .where(R.id > bindparam("after")).order_by(R.id).limit(BATCH))
_UPDATE = (update(Record.__table__).where(R.id == bindparam("record_id"))
           .values({c: bindparam(f"new_{c}") for c in PERIOD_COLUMNS}))


async def refresh_periods(connection: AsyncConnection, profile: JurisdictionProfile) -> int:
    """Recompute every record's periods; returns how many records changed. Call in one transaction."""
    changed, after = 0, 0
    while True:
        rows = (await connection.execute(_ROWS, {"after": after})).all()
        if not rows:
            return changed
        updates = []
        for row in rows:
            item = profile.items.get(row.catalogue_item_code)
            if item is None or SubjectKind(row.kind) not in item.subject_kinds:
                continue  # an item no longer in the catalogue keeps what it had
            periods = record_periods(item, profile, subject_kind=SubjectKind(row.kind), decided_on=row.decided_on,
                                     act_ended_on=row.act_ended_on, valid_until=row.valid_until,
                                     subject_ended_on=row.ended_on)
            new = {c: getattr(periods, c) for c in PERIOD_COLUMNS}
            if any(new[c] != getattr(row, c) for c in PERIOD_COLUMNS):
                updates.append({"record_id": row.id, **{f"new_{c}": v for c, v in new.items()}})
        if updates:
            await connection.execute(_UPDATE, updates)
            changed += len(updates)
        after = rows[-1].id
