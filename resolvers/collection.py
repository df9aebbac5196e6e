"""Collecting records (归集, SPEC 3.3; HC-15..17, XZ-9..13): the one pipeline every route goes through.

The API (`submitRecords`), the spreadsheet import and manual entry in GraphiQL all hand this
module plain `RecordSubmission`s, so a record is checked, classified and stored the same way
whatever the route (XZ-12). The rules that need no database are in `domain.submissions`; this
module adds those that do (an unknown subject needs a name; a resend must be identical) and
stores in bulk: one statement per table per call, all in one transaction with the call's
submission-log entry (HC-35), so the importer reaches thousands of rows a second and a
half-stored call cannot happen.

Resending a record (same provider, catalogue item and document number) never duplicates it: a
daily incremental sync can simply be retried. A resend with different content is refused: only
an explicit, reasoned correction by the provider changes a record (`resolvers.correction`, HC-18).
Lateness against the submission deadlines is derived when a record is stored
(`resolvers.record_columns`) and listed by `resolvers.lateness`; the working-day calendar it is
counted on is `resolvers.calendar_years`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import json
from collections import namedtuple
from dataclasses import dataclass, field
from typing import Any, Mapping

from asyncpg.exceptions import ForeignKeyViolationError
from sqlalchemy import Row, String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.catalogue import JurisdictionProfile
from domain.enums import RecordStatus, SubmissionChannel
from domain.problems import Problem, ProblemCode
from domain.submissions import CheckedSubmission, RecordSubmission, check_batch, shown_code
from domain.working_days import WorkingDayCalendar
from resolvers.record_columns import COMPARED, derived_facts, differences, utc
from store.chain import append_submission_log
from store.engine import dialect_insert
from store.models import Record, Subject
from store.record_events import append_submitted

R = Record.__table__
S = Subject.__table__
RECORD_KEY = ["provider_code", "catalogue_item_code", "document_number"]  # uq_record_document


class Mode(str, enum.Enum):
    """What a batch with faulty items does: store nothing, or store exactly the sound items."""

    ALL_OR_NOTHING = "ALL_OR_NOTHING"
    BEST_EFFORT = "BEST_EFFORT"


class Status(str, enum.Enum):
    STORED = "STORED"  # a new record
    UNCHANGED = "UNCHANGED"  # the identical record was stored already (a retried sync)
    REJECTED = "REJECTED"  # faulty: see its problems
    NOT_STORED = "NOT_STORED"  # sound, but another item of an ALL_OR_NOTHING call was rejected


@dataclass(frozen=True)
class Outcome:
    index: int
    row: int | None
    record_id: int | None
    status: Status
    problems: tuple[Problem, ...] = ()


class _RaceLost(Exception):
    """A concurrent call stored a conflicting record between our look-up and our insert."""


class BatchBeforeFailed(Exception):
    """The batch before this one in an overlapped import was not stored: this one is not either."""


class Handoff:
    """One batch of an overlapped import, as the batch after it sees it (`submit(handoff=...)`).

    An import of many batches overlaps them on two connections: while one batch is written and
    committed, the next is looked up and prepared, so the importing process and the database work
    at the same time instead of taking turns. Three rules keep that as safe as one batch after
    the other:

    - the next batch counts the subjects this one creates as known (`creates`, final once
      `planned` is set): it neither creates them again nor refuses their rows for want of a name;
    - it writes only once this one has written (`written`), so this batch never waits for a lock
      the next one holds and the database can always finish it first;
    - it commits only once this one has committed and been acknowledged (`finished`), so a killed
      import leaves a prefix of the file's batches, every one acknowledged but perhaps the last.

    What the next batch could not see while it looked (this batch's documents, not yet committed;
    a subject this batch meant to create and then did not) surfaces as a conflict when it writes:
    it then rolls back and is stored again the ordinary way once this batch has finished.
    """

    def __init__(self, before: Handoff | None = None) -> None:
        self.before = before
        self.creates: frozenset[str] = frozenset()
        self.planned, self.written, self.finished = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self.ok = False

    @property
    def overlapping(self) -> bool:
        """The batch before is still being stored."""
        return self.before is not None and not self.before.finished.is_set()

    def plan(self, creates) -> None:
        if not self.planned.is_set():
            self.creates = frozenset(creates)
            self.planned.set()

    def wrote(self) -> None:
        """All its rows are in (perhaps none, and then it creates no subject either)."""
        self.plan(())
        self.written.set()

    def finish(self, ok: bool) -> None:
        """Committed and acknowledged (ok), or given up: nothing waits for this batch any longer."""
        if not self.finished.is_set():
            self.ok = ok
        self.before = None  # the chain of an import's batches is not kept
        self.planned.set()
        self.written.set()
        self.finished.set()

    async def before_written(self) -> None:
        await self._wait_before("written")

    async def before_finished(self) -> None:
        """Wait until the batch before is committed and acknowledged; raise if it failed."""
        await self._wait_before("finished")

    async def _wait_before(self, event: str) -> None:
        before = self.before
        if before is not None:
            await getattr(before, event).wait()
            if before.finished.is_set() and not before.ok:
                raise BatchBeforeFailed("the batch before this one was not stored")


def overlap_refusal(engine: AsyncEngine) -> str | None:
    """Why batches of one import cannot overlap (`Handoff`) on this database; None where they can."""
    if engine.dialect.name == "postgresql":
        return None
    return ("overlapping batches needs PostgreSQL: SQLite has one writer at a time, and the batch waiting "
            "for the one before it to commit would hold it")


@dataclass
class _Call:
    """One `submit` call under way."""

    profile: JurisdictionProfile
    calendar: WorkingDayCalendar
    department: str
    user: str | None
    channel: SubmissionChannel
    mode: Mode
    today: dt.date
    now: dt.datetime
    checked: list[CheckedSubmission]
    existing: dict[int, int] = field(default_factory=dict)  # index -> id of the identical stored record
    stored: dict[int, int] = field(default_factory=dict)  # index -> id of the new record


async def submit(engine: AsyncEngine, *, profile: JurisdictionProfile, calendar: WorkingDayCalendar,
                 department: str, user: str | None, channel: SubmissionChannel | str,
                 submissions: list[RecordSubmission] | None = None, checked: list[CheckedSubmission] | None = None,
                 mode: Mode | str, today: dt.date, now: dt.datetime,
                 connection: AsyncConnection | None = None, handoff: Handoff | None = None,
                 log_tag: Mapping[str, Any] | None = None) -> list[Outcome]:
    """Check and store a batch (the importer calls it per chunk of about 1,000); one outcome per item.

    Give `submissions`, or `checked`: what `domain.submissions.check_batch` made of them with the
    same profile, department, channel and day (the importer checks in a second process). One
    transaction: subjects created, records inserted (resends recognised by their document) and one
    submission-log entry for the call. ALL_OR_NOTHING stores nothing when any item is rejected;
    BEST_EFFORT stores exactly the sound ones. Deadlines and lateness are counted with
    `submitted_on = today`.

    With `connection`, the batch runs inside the caller's open transaction (an all-or-nothing
    import of many chunks); a concurrent resend then aborts the caller's transaction instead of
    being retried here. With `handoff`, the batch is one of an overlapped import (`Handoff`): it
    is prepared while the batch before is still being stored, and commits after it. `log_tag` is
    added to the submission-log entry (a background import names its job: `ingest.import_jobs`).
    """
    channel, mode, now = SubmissionChannel(channel), Mode(mode), utc(now)
    if checked is None:
        checked = check_batch(submissions, profile=profile, department=department, channel=channel, today=today)
    if connection is not None:
        call = _Call(profile, calendar, department, user, channel, mode, today, now, checked)
        await _store(connection, call)
        await append_submission_log(connection, user=user, department=department, action="SUBMIT",
                                    channel=channel.value, detail={**_log_detail(call), **(log_tag or {})})
        return _outcomes(call)
    found_by_checking = [len(c.problems) for c in checked]

    def forget_database_problems() -> None:  # what a rolled-back attempt found in the database
        for c, count in zip(checked, found_by_checking):
            del c.problems[count:]

    if handoff is not None and (refusal := overlap_refusal(engine)):
        raise ValueError(refusal)
    if handoff is not None and handoff.overlapping:
        call = _Call(profile, calendar, department, user, channel, mode, today, now, checked)
        try:
            async with engine.begin() as connection:
                await _store(connection, call, handoff, overlapped=True)
                await handoff.before_finished()
                await append_submission_log(connection, user=user, department=department, action="SUBMIT",
                                            channel=channel.value, detail={**_log_detail(call), **(log_tag or {})})
            return _outcomes(call)
        except _RaceLost:  # met the batch before's rows: stored again below, once that batch is done
            forget_database_problems()
    if handoff is not None:
        await handoff.before_finished()
    for attempt in range(3):
        call = _Call(profile, calendar, department, user, channel, mode, today, now, checked)
        try:
            async with engine.begin() as connection:
                await _store(connection, call, handoff)
                await append_submission_log(connection, user=user, department=department, action="SUBMIT",
                                            channel=channel.value, detail={**_log_detail(call), **(log_tag or {})})
            return _outcomes(call)
        except _RaceLost:  # rolled back; the next attempt sees the other call's records
            if attempt == 2:
                raise
            forget_database_problems()
    raise AssertionError("unreachable")  # pragma: no cover


async def _store(connection: AsyncConnection, call: _Call, handoff: Handoff | None = None,
                 overlapped: bool = False) -> None:
    """Look up, classify, write. `overlapped`: the batch before (`handoff.before`) is not committed
    yet; the subjects it creates count as known, and this batch writes only after it has."""
    await _classify_and_write(connection, call, handoff, overlapped)
    if handoff is not None:  # not on a conflict: this batch then writes again before the next may
        handoff.wrote()


async def _classify_and_write(connection: AsyncConnection, call: _Call, handoff: Handoff | None,
                              overlapped: bool) -> None:
    sound = [i for i, c in enumerate(call.checked) if not c.problems]
    if not sound:
        return
    subjects = await _known_subjects(connection, sorted({call.checked[i].columns["subject_code"] for i in sound}))
    if overlapped:
        for code in handoff.before.creates:
            subjects.setdefault(code, _CREATED_BEFORE)
    await _classify_resends(connection, call, sound)
    fresh = [i for i in sound if not call.checked[i].problems and i not in call.existing]
    names = _new_subject_names(call, fresh, subjects)
    for i in fresh:
        c = call.checked[i]
        if c.columns["subject_code"] not in subjects and c.columns["subject_code"] not in names:
            shown = shown_code(c.columns["subject_code"], c.subject_kind)
            c.problems.append(Problem("subjectName", f"subject {shown} is not known yet: give subjectName "
                                                     "to create it"))
    fresh = [i for i in fresh if not call.checked[i].problems]
    if not fresh or (call.mode is Mode.ALL_OR_NOTHING and any(c.problems for c in call.checked)):
        return
    await _insert_fresh(connection, call, fresh, subjects, names, handoff, overlapped)
    await append_submitted(connection, [{"id": rid, **call.checked[i].columns} for i, rid in call.stored.items()],
                           effective_on=call.today, actor_user=call.user, actor_department=call.department,
                           at=call.now)
    lost = [i for i in fresh if i not in call.stored]
    if lost:  # stored meanwhile by a concurrent call: classify them like any resend
        await _classify_resends(connection, call, lost)
        if call.mode is Mode.ALL_OR_NOTHING and any(call.checked[i].problems for i in lost):
            raise _RaceLost()


def _new_subject_names(call: _Call, fresh: list[int], subjects: Mapping[str, Any]) -> dict[str, str]:
    """The subjects these records create, with the name the first record naming each gives: one
    named row of a batch is enough for the subject's other rows, as it would be had they come in
    a later batch (so an import's outcome does not depend on where its chunks end)."""
    names: dict[str, str] = {}
    for i in fresh:
        c = call.checked[i]
        if c.subject_name and c.columns["subject_code"] not in subjects:
            names.setdefault(c.columns["subject_code"], c.subject_name)
    return names


def _postgres_array(values: list[str]):
    """A list bound as ONE PostgreSQL array parameter: `= ANY(...)` and `unnest(...)` keep one
    plan whatever the chunk's size, where `IN (1,000 values)` is 1,000 parameters to compile and bind."""
    return bindparam("values", values, type_=ARRAY(String()))


_CREATED_BEFORE = namedtuple("_KnownSubject", "code ended_on")(None, None)  # by the batch before, uncommitted


async def _known_subjects(connection: AsyncConnection, codes: list[str]) -> dict[str, Row]:
    if connection.dialect.name == "postgresql":
        where = S.c.code == any_(_postgres_array(codes))
    else:
        where = S.c.code.in_(codes)
    return {r.code: r for r in await connection.execute(select(S.c.code, S.c.ended_on).where(where))}


async def _classify_resends(connection: AsyncConnection, call: _Call, indexes: list[int]) -> None:
    """Items whose document is stored already: the identical ones are UNCHANGED, others refused."""
    if not indexes:
        return
    columns = [call.checked[i].columns for i in indexes]
    documents = sorted({c["document_number"] for c in columns})
    statement = select(R.c.id, R.c.catalogue_item_code, *(R.c[c] for c in COMPARED)).where(
        R.c.provider_code == call.department,
        R.c.catalogue_item_code.in_({c["catalogue_item_code"] for c in columns}))
    if connection.dialect.name == "postgresql":
        # Joined to unnest(array): the unique index is used on every plan, where `IN (1,000 values)`
        # can fall back to scanning all of the department's records of the item on each chunk.
        wanted = func.unnest(_postgres_array(documents)).table_valued("doc").render_derived(name="wanted")
        statement = statement.join(wanted, R.c.document_number == wanted.c.doc)
    else:
        statement = statement.where(R.c.document_number.in_(documents))
    found = {(r.catalogue_item_code, r.document_number): r for r in await connection.execute(statement)}
    for i, c in zip(indexes, columns):
        stored = found.get((c["catalogue_item_code"], c["document_number"]))
        if stored is None:
            continue
        differs = differences(c, stored)
        if not differs:
            call.existing[i] = stored.id
            continue
        call.checked[i].problems.append(Problem("documentNumber", (
            f"record {stored.id} already holds document {c['document_number']!r} of item "
            f"{c['catalogue_item_code']} from {call.department}, with different {', '.join(differs)}: a resend must "
            f"be identical; to change the record use correctRecord(input: {{id: \"{stored.id}\", changes: ..., "
            f"reason: ...}}) (HC-18)"),
            ProblemCode.DUPLICATE))


def _record_row(call: _Call, c: CheckedSubmission, known: Row | None, arrival: dict[str, Any]) -> dict[str, Any]:
    """The record's columns: what the provider sent, the facts derived from it, how it came in."""
    item = call.profile.items[c.columns["catalogue_item_code"]]
    _, fact_columns = derived_facts(item, call.profile, call.calendar, c.subject_kind,
                                    known.ended_on if known else None, c.columns, call.today)
    return {**c.columns, **fact_columns, **arrival}


async def _insert_fresh(connection: AsyncConnection, call: _Call, fresh: list[int], subjects: dict[str, Row],
                        names: dict[str, str], handoff: Handoff | None = None, overlapped: bool = False) -> None:
    """Creates unknown subjects, inserts the records; fills `call.stored`.

    A record needs no version row yet: until it first changes, the record itself is version 1
    (`resolvers.correction.versions_of`). Rows go in key order, so that concurrent calls wait for each other instead
    of deadlocking. Overlapped (`Handoff`), the rows are prepared while the batch before is
    still writing, and written once it has; a conflict with its rows sends this batch round again.
    """
    new_subjects: dict[str, dict] = {}
    rows: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    arrival = {"status": RecordStatus.ACTIVE.value, "status_changed_on": None, "version": 1,
               "channel": call.channel.value, "submitted_at": call.now, "submitted_by": call.user or "",
               "updated_at": call.now}
    for i in fresh:
        c = call.checked[i]
        code = c.columns["subject_code"]
        known = subjects.get(code)
        if known is None and code not in new_subjects:
            new_subjects[code] = {"code": code, "kind": c.subject_kind.value, "name": names[code],
                                  "status": "ACTIVE", "ended_on": None, "created_at": call.now}
        key = (c.columns["catalogue_item_code"], c.columns["document_number"])
        rows[key] = (i, _record_row(call, c, known, arrival))
    keys = sorted(rows)
    subject_rows = [new_subjects[code] for code in sorted(new_subjects)]
    record_rows = [rows[key][1] for key in keys]
    by_copy = connection.dialect.name == "postgresql" and len(record_rows) >= COPY_FROM_ROWS
    if by_copy:
        record_rows = _copy_values(record_rows, [call.checked[rows[key][0]].content_json for key in keys])
    if handoff is not None:
        handoff.plan(new_subjects)
    if overlapped:
        await handoff.before_written()
    try:
        if by_copy:
            ids = await _copy_new(connection, subject_rows, record_rows)
            call.stored = {rows[key][0]: rid for key, rid in zip(keys, ids)}
            return
        insert = dialect_insert(connection)
        if subject_rows:
            await connection.execute(insert(S).on_conflict_do_nothing(index_elements=["code"]), subject_rows)
        result = await connection.execute(insert(R).on_conflict_do_nothing(index_elements=RECORD_KEY).returning(
            R.c.id, R.c.catalogue_item_code, R.c.document_number), record_rows)
        call.stored = {rows[(r.catalogue_item_code, r.document_number)][0]: r.id for r in result}
    except (IntegrityError, ForeignKeyViolationError):
        if overlapped:  # a subject the batch before meant to create and did not
            raise _RaceLost() from None
        raise


# Fewer records go by INSERT … ON CONFLICT DO NOTHING: one round trip where COPY takes several, and
# a concurrent call's rows are simply skipped and classified (`lost`) instead of retrying the call.
COPY_FROM_ROWS = 100
_SUBJECT_COLUMNS = ["code", "kind", "name", "status", "ended_on", "created_at"]
_RECORD_COLUMNS = [c.name for c in R.columns if c.name != "id"]
_CONTENT_AT = _RECORD_COLUMNS.index("content")
_RESERVE_IDS = "SELECT nextval(pg_get_serial_sequence('records', 'id')) FROM generate_series(1, $1)"


def _copy_values(records: list[dict], contents: list[str | None]) -> list[list]:
    """Records as COPY rows (column order `_RECORD_COLUMNS`), content as JSON text: `contents` holds
    what the checking process encoded already (None where it did not)."""
    values = []
    for row, content in zip(records, contents):
        record = [row.get(c) for c in _RECORD_COLUMNS]  # a column the row leaves out is NULL, as INSERT makes it
        record[_CONTENT_AT] = content if content is not None else json.dumps(row["content"], ensure_ascii=False)
        values.append(record)
    return values


async def _copy_new(connection: AsyncConnection, subjects: list[dict], values: list[list]) -> list[int]:
    """PostgreSQL: COPY new subjects and records (`_copy_values`) straight into their tables; the
    records' ids.

    COPY sends rows in binary with no per-parameter work on either side: several times faster
    than a multi-row INSERT for an import. It has no ON CONFLICT: the look-ups before found none,
    so a conflict means a concurrent call (or the batch before, overlapped) stored the same subject
    or document meanwhile, and the whole call is retried (`_RaceLost`) and then sees that call's
    rows as resends.
    """
    from asyncpg.exceptions import DeadlockDetectedError, UniqueViolationError

    raw = (await connection.get_raw_connection()).driver_connection  # asyncpg's, in the same transaction
    try:
        if subjects:
            await raw.copy_records_to_table("subjects", columns=_SUBJECT_COLUMNS,
                                            records=[[s[c] for c in _SUBJECT_COLUMNS] for s in subjects])
        ids = [r[0] for r in await raw.fetch(_RESERVE_IDS, len(values))]
        await raw.copy_records_to_table("records", columns=["id", *_RECORD_COLUMNS],
                                        records=[(rid, *v) for rid, v in zip(ids, values)])
    except (UniqueViolationError, DeadlockDetectedError):
        raise _RaceLost() from None
    return ids


def _outcomes(call: _Call) -> list[Outcome]:
    outcomes = []
    for index, c in enumerate(call.checked):
        row = c.row
        if c.problems:
            outcomes.append(Outcome(index, row, None, Status.REJECTED, tuple(c.problems)))
        elif index in call.existing:
            outcomes.append(Outcome(index, row, call.existing[index], Status.UNCHANGED))
        elif index in call.stored:
            outcomes.append(Outcome(index, row, call.stored[index], Status.STORED))
        else:
            outcomes.append(Outcome(index, row, None, Status.NOT_STORED))
    return outcomes


def _log_detail(call: _Call) -> dict[str, Any]:
    rejected = sum(bool(c.problems) for c in call.checked)
    return {"mode": call.mode.value, "received": len(call.checked), "stored": len(call.stored),
            "unchanged": len(call.existing), "rejected": rejected,
            "not_stored": len(call.checked) - rejected - len(call.stored) - len(call.existing),
            "record_ids": sorted(call.stored.values()), "unchanged_ids": sorted(set(call.existing.values()))}


