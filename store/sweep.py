"""The clock (issue 15; SPEC 3.2, 3.4): applying what the stored dates decide.

- An ACTIVE record past its `disclosure_ends_on` is ARCHIVED (转为档案保存, HC-19), its
  `status_changed_on` the day after that end.
- A record past its `publicity_ends_on` gets one PUBLICITY_ENDED event (national repair measures:
  PUBLIC display only, the record stays as it is for departments).
- A record past its `retained_until` (Xinzheng, persons' bad information, XZ-20) is deleted from
  the live tables, a tombstone kept (store/record_deletion.py, reason RETENTION_ENDED).
- An open case past its `due_on` gets one DEADLINE_MISSED event, a notice to the credit centre
  (XZ-25(7): missed deadlines are listed for the centre) and one to the party that missed it.

Archives and deletions notify the subject and the department that provided the record.

Each change is a dated event (store/record_events.py) and is named in its batch's submission-log
entry (HC-35), written in the transaction that makes it. Work goes in batches of `batch_size`, each batch one transaction,
so a process killed mid-run leaves whole batches and nothing half-applied; what is due is read
again by the next run, so running twice changes nothing the second time (every step's condition is
false once it is applied). Reads never wait for this: they decide by date themselves (periods lane);
the sweeper makes the stored status, events and notices follow.

One sweeper at a time: on PostgreSQL `sweep_lock` holds a session advisory lock for the run (the
cron command and every serving process try it; who does not get it skips the run); on SQLite there
is one process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable

from sqlalchemy import bindparam, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.catalogue import JurisdictionProfile
from domain.enums import CaseParty, DepartmentKind, RecordEventKind, RecordStatus
from store.chain import append_submission_log
from store.models import Case, Record, RecordEvent
from store.notifications import notify_many
from store.record_deletion import delete_record_content
from store.record_events import append_events

R = Record.__table__
E = RecordEvent.__table__
C = Case.__table__

BATCH_SIZE = 200
SWEEPER = "sweeper"  # the actor named in events and log entries: the clock, not a person
SWEEP_LOCK_KEY = 0x5E_EE_70_15  # pg_try_advisory_lock's key for "one sweeper at a time" (any fixed bigint)
ONE_DAY = dt.timedelta(days=1)


class SweepStep(str, enum.Enum):
    """What the sweeper applies, in the order it applies it (archive before retention, which
    follows the archive)."""

    ARCHIVE = "ARCHIVE"
    END_PUBLICITY = "END_PUBLICITY"
    END_RETENTION = "END_RETENTION"
    MISS_DEADLINE = "MISS_DEADLINE"


# The submission-log action of each step's entries.
ACTIONS = {SweepStep.ARCHIVE: "SWEEP_ARCHIVE", SweepStep.END_PUBLICITY: "SWEEP_PUBLICITY_ENDED",
           SweepStep.END_RETENTION: "SWEEP_RETENTION_ENDED", SweepStep.MISS_DEADLINE: "SWEEP_DEADLINE_MISSED"}

_AS_OF, _LIMIT = bindparam("as_of", type_=R.c.decided_on.type), bindparam("limit")

# What is due, oldest id first, one batch at a time. Each condition is false once its step is applied.
_ARCHIVE_DUE = (select(R.c.id, R.c.subject_code, R.c.provider_code, R.c.catalogue_item_code,
                       R.c.disclosure_ends_on.label("ended_on"), R.c.status_changed_on)
                .where(R.c.status == RecordStatus.ACTIVE.value, R.c.disclosure_ends_on < _AS_OF)
                .order_by(R.c.id).limit(_LIMIT))
_PUBLICITY_DUE = (select(R.c.id, R.c.subject_code, R.c.provider_code, R.c.catalogue_item_code,
                         R.c.publicity_ends_on.label("ended_on"))
                  .where(R.c.publicity_ends_on < _AS_OF,
                         ~exists().where(E.c.record_id == R.c.id, E.c.kind == RecordEventKind.PUBLICITY_ENDED.value))
                  .order_by(R.c.id).limit(_LIMIT))
_RETENTION_DUE = (select(R.c.id, R.c.subject_code, R.c.provider_code, R.c.catalogue_item_code,
                         R.c.retained_until.label("ended_on"))
                  .where(R.c.retained_until < _AS_OF).order_by(R.c.id).limit(_LIMIT))
# Open: not closed (the cases lane's domain/workflows.py names the open states; closed_at is set with them).
_DEADLINE_DUE = (select(C.c.id, C.c.kind, C.c.record_id, C.c.subject_code, C.c.provider_code, C.c.state,
                        C.c.next_party, C.c.due_on.label("ended_on"))
                 .where(C.c.closed_at.is_(None), C.c.due_on < _AS_OF,
                        ~exists().where(E.c.case_id == C.c.id, E.c.kind == RecordEventKind.DEADLINE_MISSED.value))
                 .order_by(C.c.id).limit(_LIMIT))
# Locked as read on PostgreSQL (a provider's step on the same record waits for the batch, or the batch for
# it); SQLite has one writer, and a batch that lost a race to it fails whole and is read again next run.
_DUE = {step: due.with_for_update(of=table) for step, due, table in (
    (SweepStep.ARCHIVE, _ARCHIVE_DUE, R), (SweepStep.END_PUBLICITY, _PUBLICITY_DUE, R),
    (SweepStep.END_RETENTION, _RETENTION_DUE, R), (SweepStep.MISS_DEADLINE, _DEADLINE_DUE, C))}
_ARCHIVE = (update(R).where(R.c.id == bindparam("rid"))
            .values(status=RecordStatus.ARCHIVED.value, status_changed_on=bindparam("day")))


@dataclass
class SweepReport:
    """What one run changed, per step; `batches`: transactions committed."""

    as_of: dt.date
    counts: dict[SweepStep, int] = field(default_factory=lambda: {s: 0 for s in SweepStep})
    batches: int = 0

    @property
    def changed(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        return (f"sweep as of {self.as_of.isoformat()}: {self.counts[SweepStep.ARCHIVE]} archived, "
                f"{self.counts[SweepStep.END_PUBLICITY]} publicity ended, "
                f"{self.counts[SweepStep.END_RETENTION]} deleted at the end of retention, "
                f"{self.counts[SweepStep.MISS_DEADLINE]} case deadlines missed ({self.batches} batches)")


# Called after each committed batch with its step and the ids it changed (records, or cases).
BatchCommitted = Callable[[SweepStep, list[int]], Awaitable[None] | None]


def centre_code(profile: JurisdictionProfile) -> str:
    """The credit centre's department code, the recipient of CENTRE notices."""
    return next(code for code, d in profile.departments.items() if d.kind is DepartmentKind.CREDIT_CENTRE)


async def sweep(engine: AsyncEngine, profile: JurisdictionProfile, as_of: dt.date, *,
                batch_size: int = BATCH_SIZE, on_batch: BatchCommitted | None = None) -> SweepReport:
    """Apply everything due before `as_of` (the jurisdiction's day: what ended on a day before it);
    returns what changed. Safe to run again, or after a run that was killed."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = SweepReport(as_of=as_of)
    centre = centre_code(profile)
    for step in SweepStep:
        due = _DUE[step]
        while True:
            async with engine.begin() as connection:
                rows = (await connection.execute(due, {"as_of": as_of, "limit": batch_size})).all()
                if rows:
                    await _apply(connection, step, rows, centre, as_of)
            if rows:
                report.counts[step] += len(rows)
                report.batches += 1
                if on_batch is not None:
                    result = on_batch(step, [row.id for row in rows])
                    if result is not None:
                        await result
            if len(rows) < batch_size:
                break
    return report


async def _apply(connection: AsyncConnection, step: SweepStep, rows: list, centre: str, as_of: dt.date) -> None:
    """One batch of one step, in the caller's transaction: the change, its events and notices (each
    kind of row written with one statement, executemany, where it can be) and the log entry."""
    if step is SweepStep.ARCHIVE:
        await connection.execute(_ARCHIVE, [{"rid": row.id, "day": row.ended_on + ONE_DAY} for row in rows])
    await append_events(connection, [_event(step, row) for row in rows])
    await notify_many(connection, [notice for row in rows for notice in _notices(step, row, centre)])
    if step is SweepStep.END_RETENTION:  # after the event, whose `after` the deletion scrubs with the others
        for row in rows:
            await delete_record_content(connection, record_id=row.id, reason=RecordEventKind.RETENTION_ENDED,
                                        reference="XZ-20", effective_on=row.ended_on + ONE_DAY, deleted_by=SWEEPER)
    await append_submission_log(connection, **_log_entry(step, rows, as_of))


def _log_entry(step: SweepStep, rows: list, as_of: dt.date) -> dict:
    """The batch's submission-log entry (HC-35), naming every record (and case) it changed, as a
    submission batch's entry names its records; each change's own day is in its event."""
    detail: dict = {"as_of": as_of.isoformat(), "record_ids": [row.id for row in rows]}
    if step is SweepStep.MISS_DEADLINE:
        detail = {"as_of": as_of.isoformat(), "case_ids": [row.id for row in rows],
                  "record_ids": [row.record_id for row in rows]}
    return {"user": SWEEPER, "department": None, "action": ACTIONS[step], "channel": None, "detail": detail}


_EVENT_KINDS = {SweepStep.ARCHIVE: RecordEventKind.ARCHIVED, SweepStep.END_PUBLICITY: RecordEventKind.PUBLICITY_ENDED,
                SweepStep.END_RETENTION: RecordEventKind.RETENTION_ENDED,
                SweepStep.MISS_DEADLINE: RecordEventKind.DEADLINE_MISSED}


def _event(step: SweepStep, row) -> dict:
    """The record event of one change (store/record_events.append_events' row): only what changed."""
    day, ended = row.ended_on + ONE_DAY, row.ended_on.isoformat()
    event = {"record_id": row.id, "subject_code": row.subject_code, "kind": _EVENT_KINDS[step], "effective_on": day,
             "actor_user": SWEEPER, "actor_department": None, "before": {}}
    if step is SweepStep.ARCHIVE:
        event |= {"before": {"status": RecordStatus.ACTIVE.value, "status_changed_on":
                             row.status_changed_on.isoformat() if row.status_changed_on else None},
                  "after": {"status": RecordStatus.ARCHIVED.value, "status_changed_on": day.isoformat()}}
    elif step is SweepStep.END_PUBLICITY:
        event["after"] = {"publicity_ends_on": ended}
    elif step is SweepStep.END_RETENTION:
        event["after"] = {"retained_until": ended}
    else:
        event |= {"record_id": row.record_id, "case_id": row.id,
                  "after": {"case_state": row.state, "next_party": row.next_party, "due_on": ended}}
    return event


_MESSAGES = {
    SweepStep.ARCHIVE: "was archived on {day}: its disclosure period ended (HC-19); it is kept and shown to you, no "
                       "longer to others.",
    SweepStep.END_PUBLICITY: "is no longer shown to the public from {day}: its publicity period ended.",
    SweepStep.END_RETENTION: "was deleted on {day}: its retention period ended (XZ-20).",
}


def _notices(step: SweepStep, row, centre: str) -> list[dict]:
    """The notifications of one change (SPEC 3.4: whom it concerns): a record step's to its subject, and
    an archive's or a deletion's also to the department that provided the record; a missed deadline's
    to the centre (XZ-25(7)) and to the party that missed it, when that is not the centre itself."""
    day = (row.ended_on + ONE_DAY).isoformat()
    kind = _EVENT_KINDS[step].value
    if step is SweepStep.MISS_DEADLINE:
        waiting = row.provider_code if row.next_party == CaseParty.PROVIDER.value else row.subject_code
        about = {"kind": kind, "subject_code": row.subject_code, "record_id": row.record_id, "case_id": row.id}
        notices = [{"party": CaseParty.CENTRE, "recipient": centre, **about,
                    "message": f"Case {row.id} ({row.kind}, record {row.record_id}) passed its deadline of "
                               f"{row.ended_on.isoformat()} in state {row.state}, waiting for the "
                               f"{row.next_party.lower()} ({waiting})."}]
        if row.next_party in _MISSING_PARTIES:
            notices.append({"party": CaseParty(row.next_party), "recipient": waiting, **about,
                            "message": f"Case {row.id} ({row.kind}, record {row.record_id}) passed its deadline of "
                                       f"{row.ended_on.isoformat()} in state {row.state}: the next step was yours; "
                                       "the credit centre has been told."})
        return notices
    about = {"kind": kind, "subject_code": row.subject_code, "record_id": row.id}
    notices = [{"party": CaseParty.SUBJECT, "recipient": row.subject_code, **about,
                "message": f"Record {row.id} ({row.catalogue_item_code}) {_MESSAGES[step].format(day=day)}"}]
    if step in _PROVIDER_TOLD:
        notices.append({"party": CaseParty.PROVIDER, "recipient": row.provider_code, **about,
                        "message": f"Record {row.id} ({row.catalogue_item_code}) of subject {row.subject_code}, "
                                   f"which your department provided, {_PROVIDER_MESSAGES[step].format(day=day)}"})
    return notices


_MISSING_PARTIES = {CaseParty.PROVIDER.value, CaseParty.SUBJECT.value}  # the centre is told anyway
_PROVIDER_TOLD = {SweepStep.ARCHIVE, SweepStep.END_RETENTION}  # its provider's records change: it is told too
_PROVIDER_MESSAGES = {
    SweepStep.ARCHIVE: "was archived on {day}: its disclosure period ended (HC-19); it is kept, no longer shared.",
    SweepStep.END_RETENTION: "was deleted on {day}: its retention period ended (XZ-20).",
}


@contextlib.asynccontextmanager
async def sweep_lock(engine: AsyncEngine) -> AsyncIterator[bool]:
    """Whether this process may sweep now: PostgreSQL's session advisory lock, held on its own
    connection until the block ends (released by the server if the process dies); SQLite: yes."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    async with engine.connect() as connection:
        got = bool((await connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                             {"key": SWEEP_LOCK_KEY})).scalar())
        await connection.commit()
        try:
            yield got
        finally:
            if got:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SWEEP_LOCK_KEY})
                await connection.commit()
