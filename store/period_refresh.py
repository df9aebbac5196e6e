"""Stored periods brought in line with the rules of `domain.periods` (SPEC 3.2, HC-19, XZ-20).

A database filled under earlier rules holds periods they gave: a general penalty archived after 12
months, no public-display end, no XZ-20 retention. Reads decide by the stored dates, so after the
rules change every record's periods are computed again from its own dates (decision, act end,
validity, the subject's end), once: `initialise` runs this when the rules' version stored in the
database differs from `PERIOD_RULES`. Nothing a provider sent is changed; rows whose periods are
already right are not written.

Each record it changes gets a PERIODS_RECOMPUTED event effective today (the jurisdiction's day), with
the period columns before and after, so `asOf` a day before the refresh still answers with the periods
the platform used then (SPEC 3.4); each batch is one submission-log entry naming its records (HC-35).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.catalogue import JurisdictionProfile
from domain.enums import RecordEventKind, SubjectKind
from domain.periods import record_periods
from store.chain import append_submission_log
from store.models import Record, Subject
from store.record_events import append_events, changed_fields

PERIOD_RULES = "2"  # raise when domain.periods changes what it computes (2: issue 15's HC-19(3) and XZ-20)
SETTING = "period_rules"
PERIOD_COLUMNS = ("disclosure_ends_on", "publicity_ends_on", "retained_until")
BATCH = 5000
ACTOR = "period-refresh"  # the actor named in events and log entries: the rules, not a person
ACTION = "PERIODS_RECOMPUTED"

R, S = Record.__table__.c, Subject.__table__.c
_ROWS = (select(R.id, R.subject_code, R.catalogue_item_code, R.decided_on, R.act_ended_on, R.valid_until,
                *(R[c] for c in PERIOD_COLUMNS), S.kind, S.ended_on)
         .join(Subject.__table__, S.code == R.subject_code)
         .where(R.id > bindparam("after")).order_by(R.id).limit(BATCH))
_UPDATE = (update(Record.__table__).where(R.id == bindparam("record_id"))
           .values({c: bindparam(f"new_{c}") for c in PERIOD_COLUMNS}))


async def refresh_periods(connection: AsyncConnection, profile: JurisdictionProfile, today: dt.date
                          ) -> int:
    """Recompute every record's periods; returns how many records changed, each with its event
    effective `today`. Call in one transaction."""
    changed, after = 0, 0
    while True:
        rows = (await connection.execute(_ROWS, {"after": after})).all()
        if not rows:
            return changed
        updates, events = [], []
        for row in rows:
            item = profile.items.get(row.catalogue_item_code)
            if item is None or SubjectKind(row.kind) not in item.subject_kinds:
                continue  # an item no longer in the catalogue keeps what it had
            periods = record_periods(item, profile, subject_kind=SubjectKind(row.kind), decided_on=row.decided_on,
                                     act_ended_on=row.act_ended_on, valid_until=row.valid_until,
                                     subject_ended_on=row.ended_on)
            new = {c: getattr(periods, c) for c in PERIOD_COLUMNS}
            before, after_ = changed_fields(row._mapping, new, PERIOD_COLUMNS)
            if before or after_:
                updates.append({"record_id": row.id, **{f"new_{c}": v for c, v in new.items()}})
                events.append({"record_id": row.id, "subject_code": row.subject_code,
                               "kind": RecordEventKind.PERIODS_RECOMPUTED, "effective_on": today,
                               "actor_user": ACTOR, "actor_department": None, "document_ref": f"rules {PERIOD_RULES}",
                               "before": before, "after": after_})
        if updates:
            await connection.execute(_UPDATE, updates)
            await append_events(connection, events)
            await append_submission_log(connection, user=ACTOR, department=None, action=ACTION, detail={
                "rules": PERIOD_RULES, "effective_on": today.isoformat(),
                "record_ids": [u["record_id"] for u in updates]})
            changed += len(updates)
        after = rows[-1].id
