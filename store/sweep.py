"""The clock (issue 15; SPEC 3.2, 3.4): applying what the stored dates decide.

- An ACTIVE record past its `disclosure_ends_on` is ARCHIVED (转为档案保存, HC-19), its
  `status_changed_on` the day after that end.
- A record past its `publicity_ends_on` gets one PUBLICITY_ENDED event (national repair measures:
  PUBLIC display only, the record stays as it is for departments).
- A record past its `retained_until` (Xinzheng, persons' bad information, XZ-20) is deleted from
  the live tables, a tombstone kept (store/record_deletion.py, reason RETENTION_ENDED).
- An open case past its `due_on` gets one DEADLINE_MISSED event and one notice to the credit centre
  (XZ-25(7): missed deadlines are listed for the centre).

Each change is a dated event (store/record_events.py) and a submission-log entry (HC-35), written
in the transaction that makes it. Work goes in batches of `batch_size`, each batch one transaction,
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
from store.chain import SUBMISSION_LOG, append
from store.models import Case, Record, RecordEvent
from store.notifications import notify
from store.record_deletion import delete_record_content
from store.record_events import append_event

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
_ARCHIVE = (update(R).where(R.c.id == bindparam("rid"), R.c.status == RecordStatus.ACTIVE.value)
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
    steps = ((SweepStep.ARCHIVE, _ARCHIVE_DUE, _archive), (SweepStep.END_PUBLICITY, _PUBLICITY_DUE, _end_publicity),
             (SweepStep.END_RETENTION, _RETENTION_DUE, _end_retention),
             (SweepStep.MISS_DEADLINE, _DEADLINE_DUE, _deadline_missed))
    for step, due, apply in steps:
        while True:
            async with engine.begin() as connection:
                rows = (await connection.execute(due, {"as_of": as_of, "limit": batch_size})).all()
                changed = [row for row in rows if await apply(connection, row, centre)]
                if changed:
                    await append(connection, SUBMISSION_LOG, [_log_entry(step, row) for row in changed])
            if changed:
                report.counts[step] += len(changed)
                report.batches += 1
                if on_batch is not None:
                    result = on_batch(step, [row.id for row in changed])
                    if result is not None:
                        await result
            if len(rows) < batch_size:
                break
            if not changed:  # a whole batch was changed under us by another writer: read again
                continue
    return report


def _log_entry(step: SweepStep, row) -> dict:
    key = "case" if step is SweepStep.MISS_DEADLINE else "record_id"
    detail = {key: row.id, "subject": row.subject_code, "provider": row.provider_code,
              "effective_on": (row.ended_on + ONE_DAY).isoformat()}
    if step is SweepStep.MISS_DEADLINE:
        detail |= {"record_id": row.record_id, "due_on": row.ended_on.isoformat()}
    return {"user": SWEEPER, "department": None, "action": ACTIONS[step], "channel": None, "detail": detail}


async def _record_step(connection: AsyncConnection, row, kind: RecordEventKind, message: str, *,
                       before: dict | None = None, after: dict) -> None:
    """The event of a step on one record, effective the day after its end, and the subject's notice."""
    day = row.ended_on + ONE_DAY
    await append_event(connection, record_id=row.id, subject_code=row.subject_code, kind=kind, effective_on=day,
                       actor_user=SWEEPER, actor_department=None, before=before, after=after)
    await notify(connection, party=CaseParty.SUBJECT, recipient=row.subject_code, kind=kind.value,
                 message=f"Record {row.id} ({row.catalogue_item_code}) {message.format(day=day.isoformat())}",
                 subject_code=row.subject_code, record_id=row.id)


async def _archive(connection: AsyncConnection, row, _centre: str) -> bool:
    day = row.ended_on + ONE_DAY
    if (await connection.execute(_ARCHIVE, {"rid": row.id, "day": day})).rowcount != 1:
        return False  # changed meanwhile (revoked, repaired...): no longer ours to archive
    await _record_step(
        connection, row, RecordEventKind.ARCHIVED,
        "was archived on {day}: its disclosure period ended (HC-19); it is kept and shown to you, no longer to others.",
        before={"status": RecordStatus.ACTIVE.value,
                "status_changed_on": row.status_changed_on.isoformat() if row.status_changed_on else None},
        after={"status": RecordStatus.ARCHIVED.value, "status_changed_on": day.isoformat()})
    return True


async def _end_publicity(connection: AsyncConnection, row, _centre: str) -> bool:
    await _record_step(connection, row, RecordEventKind.PUBLICITY_ENDED,
                       "is no longer shown to the public from {day}: its publicity period ended.",
                       after={"publicity_ends_on": row.ended_on.isoformat()})
    return True


async def _end_retention(connection: AsyncConnection, row, _centre: str) -> bool:
    # The event first: deleting the content scrubs every event of the record, this one's `after` too.
    await _record_step(connection, row, RecordEventKind.RETENTION_ENDED,
                       "was deleted on {day}: its retention period ended (XZ-20).",
                       after={"retained_until": row.ended_on.isoformat()})
    return await delete_record_content(connection, record_id=row.id, reason=RecordEventKind.RETENTION_ENDED,
                                       reference="XZ-20", effective_on=row.ended_on + ONE_DAY, deleted_by=SWEEPER)


async def _deadline_missed(connection: AsyncConnection, row, centre: str) -> bool:
    day = row.ended_on + ONE_DAY
    await append_event(connection, record_id=row.record_id, subject_code=row.subject_code,
                       kind=RecordEventKind.DEADLINE_MISSED, effective_on=day, actor_user=SWEEPER,
                       actor_department=None, case_id=row.id,
                       after={"case_state": row.state, "next_party": row.next_party,
                              "due_on": row.ended_on.isoformat()})
    await notify(connection, party=CaseParty.CENTRE, recipient=centre, kind=RecordEventKind.DEADLINE_MISSED.value,
                 message=f"Case {row.id} ({row.kind}, record {row.record_id}) passed its deadline of "
                         f"{row.ended_on.isoformat()} in state {row.state}, waiting for the {row.next_party.lower()} "
                         f"({row.provider_code if row.next_party == CaseParty.PROVIDER.value else row.subject_code}).",
                 subject_code=row.subject_code, record_id=row.record_id, case_id=row.id)
    return True


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
