"""Collecting records (归集, SPEC 3.3; HC-15..18, XZ-9..13): the one pipeline every route goes through.

The API (`submitRecords`), the spreadsheet import and manual entry in GraphiQL all hand this
module plain `RecordSubmission`s, so a record is checked, classified and stored the same way
whatever the route (XZ-12). The rules that need no database are in `domain.submissions`; this
module adds those that do (an unknown subject needs a name; a resend must be identical) and
stores in bulk: one statement per table per call, all in one transaction with the call's
submission-log entry (HC-35), so the importer reaches thousands of rows a second and a
half-stored call cannot happen.

Resending a record (same provider, catalogue item and document number) never duplicates it: a
daily incremental sync can simply be retried. A resend with different content is refused: only
an explicit, reasoned correction by the provider changes a record, and it keeps the previous
version (HC-18).

Also here, because they work on what collection stores: corrections, lateness against the
submission deadlines (XZ-12, XZ-13), and the working-day calendar those deadlines are counted on
(SPEC 3.4, last point: shipped years plus years an operator adds).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import enum
import json
from collections import namedtuple
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Mapping

import yaml
from asyncpg.exceptions import ForeignKeyViolationError
from sqlalchemy import Row, String, and_, any_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.catalogue import PROVIDER_KINDS, CatalogueItem, JurisdictionProfile, load_profile
from domain.enums import Category, RecordStatus, SubjectKind, SubmissionChannel
from domain.problems import Problem
from domain.record_facts import DerivedFacts, derive_facts
from domain.submissions import CheckedSubmission, RecordSubmission, check, check_batch, shown_code
from domain.working_days import ScheduleError, WorkingDayCalendar, parse_schedule
from resolvers.errors import BadUserInput, Forbidden
from store.chain import append_submission_log
from store.engine import dialect_insert
from store.models import CalendarYear, Department, Record, RecordVersion, Setting, Subject

R = Record.__table__
S = Subject.__table__
V = RecordVersion.__table__
C = CalendarYear.__table__
RECORD_KEY = ["provider_code", "catalogue_item_code", "document_number"]  # uq_record_document
# The regulations count Beijing days; timestamps are stored in UTC.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
UTC = dt.timezone.utc

MAX_REASON = 2000
MAX_PAGE = 100
MAX_SCHEDULE_TEXT = 64 * 1024
CALENDAR_YEARS = range(2000, 2101)


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


# ------------------------------------------------------------------------------------ submission

# Columns a resend must repeat exactly to be the same record, with their input names.
_COMPARED = {"subject_code": "subjectCode", "document_number": "documentNumber",
             "issuing_authority": "issuingAuthority", "decided_on": "decidedOn", "act_ended_on": "actEndedOn",
             "valid_from": "validFrom", "valid_until": "validUntil", "content": "content",
             "consent_ref": "consentRef"}


def _differences(columns: Mapping[str, Any], stored: Row) -> list[str]:
    return [label for column, label in _COMPARED.items() if columns[column] != getattr(stored, column)]


def snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record's columns as JSON: what one version looked like (RecordVersion.snapshot)."""
    return {k: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v
            for k, v in row.items() if k != "updated_at"}


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def beijing_date(moment: dt.datetime) -> dt.date:
    """The day a stored timestamp falls on in Beijing (SQLite gives back naive UTC)."""
    return _utc(moment).astimezone(BEIJING).date()


def _fact_columns(item: CatalogueItem, facts: DerivedFacts) -> dict[str, Any]:
    return {"category": item.category.value, "family": item.family.value, "visibility": facts.visibility,
            "severity": facts.severity, "disclosure_ends_on": facts.disclosure_ends_on,
            "deadline_on": facts.deadline_on, "deadline_provisional": facts.deadline_provisional,
            "late_working_days": facts.late_working_days}


class _FactsCache:
    """derive_facts is pure, and records of one import share decision dates: each distinct case is
    derived once, with the record columns it gives. Holds the profile and calendar it was filled
    with, so their ids cannot be reused meanwhile."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.basis: tuple[JurisdictionProfile, WorkingDayCalendar] | None = None
        self.facts: dict[tuple, tuple[DerivedFacts, dict[str, Any]]] = {}

    def get(self, item: CatalogueItem, profile: JurisdictionProfile, calendar: WorkingDayCalendar,
            kind: SubjectKind, ended_on: dt.date | None, columns: Mapping[str, Any],
            submitted_on: dt.date) -> tuple[DerivedFacts, dict[str, Any]]:
        """The facts, and the record columns they fill (`_fact_columns`): share, do not change."""
        if self.basis is None or self.basis[0] is not profile or self.basis[1] is not calendar \
                or len(self.facts) > self.LIMIT:
            self.basis, self.facts = (profile, calendar), {}
        key = (item.code, kind, ended_on, columns["decided_on"], columns["act_ended_on"], columns["valid_until"],
               submitted_on)
        found = self.facts.get(key)
        if found is None:
            facts = derive_facts(
                item, profile, calendar, subject_kind=kind, subject_ended_on=ended_on,
                decided_on=columns["decided_on"], act_ended_on=columns["act_ended_on"],
                valid_until=columns["valid_until"], submitted_on=submitted_on)
            found = self.facts[key] = (facts, _fact_columns(item, facts))
        return found


_facts = _FactsCache().get


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

    def finish(self, ok: bool) -> None:
        """Committed and acknowledged (ok), or given up: nothing waits for this batch any longer."""
        if not self.finished.is_set():
            self.ok = ok
        self.before = None  # the chain of an import's batches is not kept
        self.planned.set()
        self.written.set()
        self.finished.set()

    async def before_written(self) -> None:
        if self.before is not None:
            before = self.before
            await before.written.wait()
            if before.finished.is_set() and not before.ok:
                raise BatchBeforeFailed("the batch before this one was not stored")

    async def before_finished(self) -> None:
        """Wait until the batch before is committed and acknowledged; raise if it failed."""
        if self.before is not None:
            before = self.before
            await before.finished.wait()
            if not before.ok:
                raise BatchBeforeFailed("the batch before this one was not stored")


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
                 connection: AsyncConnection | None = None, handoff: Handoff | None = None) -> list[Outcome]:
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
    is prepared while the batch before is still being stored, and commits after it.
    """
    channel, mode, now = SubmissionChannel(channel), Mode(mode), _utc(now)
    if checked is None:
        checked = check_batch(submissions, profile=profile, department=department, channel=channel, today=today)
    if connection is not None:
        call = _Call(profile, calendar, department, user, channel, mode, today, now, checked)
        await _store(connection, call)
        await append_submission_log(connection, user=user, department=department, action="SUBMIT",
                                    channel=channel.value, detail=_log_detail(call))
        return _outcomes(call)
    found_by_checking = [len(c.problems) for c in checked]

    def forget_database_problems() -> None:  # what a rolled-back attempt found in the database
        for c, count in zip(checked, found_by_checking):
            del c.problems[count:]

    if handoff is not None and engine.dialect.name != "postgresql":
        raise ValueError("overlapped batches need PostgreSQL: on SQLite the batch waiting for the one before "
                         "it to commit would hold the only write lock")
    if handoff is not None and handoff.overlapping:
        call = _Call(profile, calendar, department, user, channel, mode, today, now, checked)
        try:
            async with engine.begin() as connection:
                await _store(connection, call, handoff, overlapped=True)
                await handoff.before_finished()
                await append_submission_log(connection, user=user, department=department, action="SUBMIT",
                                            channel=channel.value, detail=_log_detail(call))
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
                                            channel=channel.value, detail=_log_detail(call))
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
        handoff.plan(())  # it had nothing to create, if it did not get that far
        handoff.written.set()


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
    if len(names) < len({call.checked[i].columns["subject_code"] for i in fresh} - subjects.keys()):
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
    statement = select(R.c.id, R.c.catalogue_item_code, *(R.c[c] for c in _COMPARED)).where(
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
        differs = _differences(c, stored)
        if not differs:
            call.existing[i] = stored.id
            continue
        call.checked[i].problems.append(Problem("documentNumber", (
            f"record {stored.id} already holds document {c['document_number']!r} of item "
            f"{c['catalogue_item_code']} from {call.department}, with different {', '.join(differs)}: a resend must "
            f"be identical; to change the record use correctRecord(id: {stored.id}) with a reason (HC-18)")))


def _record_row(call: _Call, c: CheckedSubmission, known: Row | None, arrival: dict[str, Any]) -> dict[str, Any]:
    """The record's columns: what the provider sent, the facts derived from it, how it came in."""
    item = call.profile.items[c.columns["catalogue_item_code"]]
    _, fact_columns = _facts(item, call.profile, call.calendar, c.subject_kind, known.ended_on if known else None,
                             c.columns, call.today)
    return {**c.columns, **fact_columns, **arrival}


async def _insert_fresh(connection: AsyncConnection, call: _Call, fresh: list[int], subjects: dict[str, Row],
                        names: dict[str, str], handoff: Handoff | None = None, overlapped: bool = False) -> None:
    """Creates unknown subjects, inserts the records; fills `call.stored`.

    A record needs no version row yet: until it first changes, the record itself is version 1
    (`versions_of`). Rows go in key order, so that concurrent calls wait for each other instead
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
        rows[(c.columns["catalogue_item_code"], c.columns["document_number"])] = (i, _record_row(call, c, known, arrival))
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
_record_values = itemgetter(*_RECORD_COLUMNS)
_CONTENT_AT = _RECORD_COLUMNS.index("content")
_RESERVE_IDS = "SELECT nextval(pg_get_serial_sequence('records', 'id')) FROM generate_series(1, $1)"


def _copy_values(records: list[dict], contents: list[str | None]) -> list[list]:
    """Records as COPY rows (column order `_RECORD_COLUMNS`), content as JSON text: `contents` holds
    what the checking process encoded already (None where it did not)."""
    values = []
    for row, content in zip(records, contents):
        record = list(_record_values(row))
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


# ------------------------------------------------------------------------------------ correction


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()  # a field a correction leaves as it is


@dataclass(frozen=True)
class RecordChanges:
    """What a correction changes; KEEP leaves a field, None clears an optional one.

    `content` is merged into the record's content: a field given null is removed.
    """

    document_number: Any = KEEP
    issuing_authority: Any = KEEP
    decided_on: Any = KEEP
    act_ended_on: Any = KEEP
    valid_from: Any = KEEP
    valid_until: Any = KEEP
    content: Any = KEEP
    consent_ref: Any = KEEP


def _merged(row: Row, changes: RecordChanges, item: CatalogueItem | None) -> RecordSubmission:
    def pick(name: str) -> Any:
        value = getattr(changes, name)
        return getattr(row, name) if value is KEEP else value

    act_ended = pick("act_ended_on")
    if (changes.act_ended_on is KEEP and changes.decided_on is not KEEP and item is not None
            and item.category is Category.BAD and row.act_ended_on == row.decided_on):
        act_ended = None  # it defaulted to the decision date: follow the corrected one
    content = dict(row.content or {})
    if changes.content is not KEEP:
        if not isinstance(changes.content, Mapping):
            content = changes.content  # refused by validation, naming `content`
        else:
            for key, value in changes.content.items():
                if value is None:
                    content.pop(key, None)
                else:
                    content[key] = value
    return RecordSubmission(
        subject_code=row.subject_code, catalogue_item=row.catalogue_item_code,
        document_number=pick("document_number"), issuing_authority=pick("issuing_authority"),
        decided_on=pick("decided_on"), act_ended_on=act_ended, valid_from=pick("valid_from"),
        valid_until=pick("valid_until"), content=content, consent_ref=pick("consent_ref"))


def _refuse(what: str, problems: list[Problem]) -> BadUserInput:
    return BadUserInput(f"{what}: " + "; ".join(map(str, problems)),
                        problems=[{"field": p.field, "reason": p.reason} for p in problems])


async def correct(engine: AsyncEngine, *, profile: JurisdictionProfile, calendar: WorkingDayCalendar,
                  department: str, user: str | None, record_id: int, changes: RecordChanges, reason: str,
                  today: dt.date, now: dt.datetime, channel: SubmissionChannel | str = SubmissionChannel.API) -> Row:
    """The provider corrects one of its records (HC-18); returns the record as corrected.

    Validated like a submission; the record's version goes up by one and a RecordVersion keeps
    the new state with the reason (the versions before it keep theirs), with a submission-log
    entry. Anyone but the providing department is refused, the credit centre included.
    """
    now = _utc(now)
    reason_text = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason_text or len(reason_text) > MAX_REASON:
        raise BadUserInput(f"reason: 1 to {MAX_REASON} characters saying why the record is corrected (HC-18)")
    async with engine.begin() as connection:
        statement = select(R).where(R.c.id == record_id)
        if connection.dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = (await connection.execute(statement)).one_or_none()
        if row is None:
            raise BadUserInput(f"no record {record_id}")
        if row.provider_code != department:
            raise Forbidden(f"record {record_id} was provided by another department: only the providing department "
                            "corrects a record (HC-18); nobody else, the credit centre included, changes its content",
                            rule="HC-18")
        item = profile.items.get(row.catalogue_item_code)
        checked = check(_merged(row, changes, item), profile=profile, department=department, channel=None,
                         today=today)
        if not checked.problems:
            if checked.columns["document_number"] != row.document_number:
                taken = (await connection.execute(select(R.c.id).where(
                    R.c.provider_code == department, R.c.catalogue_item_code == row.catalogue_item_code,
                    R.c.document_number == checked.columns["document_number"]))).scalar()
                if taken is not None:
                    checked.problems.append(Problem("documentNumber", f"record {taken} already holds document "
                                                    f"{checked.columns['document_number']!r} of this item"))
        if checked.problems:
            raise _refuse(f"correction of record {record_id} refused", checked.problems)
        differs = _differences(checked.columns, row)
        if not differs:
            raise BadUserInput(f"nothing to correct: the changes equal version {row.version} of record {record_id}")
        values = await _corrected_values(connection, profile, calendar, row, item, checked)
        version = row.version + 1
        done = await connection.execute(update(R).where(R.c.id == record_id, R.c.version == row.version).values(
            **values, version=version, updated_at=now))
        if done.rowcount != 1:
            raise BadUserInput(f"record {record_id} changed while it was being corrected; read it again and retry")
        await _keep_previous_version(connection, row, user)
        new_row = (await connection.execute(select(R).where(R.c.id == record_id))).one()
        await connection.execute(V.insert().values(record_id=record_id, version=version, change="CORRECTED",
                                                   reason=reason_text, snapshot=snapshot(new_row._mapping),
                                                   changed_by=user or "", changed_at=now))
        await append_submission_log(connection, user=user, department=department, action="CORRECT",
                                    channel=SubmissionChannel(channel).value, detail={
                                        "record_id": record_id, "version": version, "changed": differs,
                                        "reason": reason_text})
    return new_row


async def _corrected_values(connection: AsyncConnection, profile: JurisdictionProfile,
                            calendar: WorkingDayCalendar, row: Row, item: CatalogueItem,
                            checked: CheckedSubmission) -> dict[str, Any]:
    subject = (await connection.execute(select(S.c.kind, S.c.ended_on).where(
        S.c.code == row.subject_code))).one()
    _, fact_columns = _facts(item, profile, calendar, SubjectKind(subject.kind), subject.ended_on, checked.columns,
                             beijing_date(row.submitted_at))
    values = {**checked.columns, **fact_columns}
    if checked.columns["decided_on"] == row.decided_on:  # lateness is a fact of the original submission
        for name in ("deadline_on", "deadline_provisional", "late_working_days"):
            values[name] = getattr(row, name)
    return values


async def _keep_previous_version(connection: AsyncConnection, row: Row, user: str | None) -> None:
    """The state being replaced gets its version row if it has none: a record's first change
    keeps version 1, the record as it was stored (`versions_of`)."""
    kept = (await connection.execute(select(V.c.id).where(V.c.record_id == row.id,
                                                          V.c.version == row.version))).scalar()
    if kept is None and row.version == 1:
        await connection.execute(V.insert().values(
            record_id=row.id, version=1, change="CREATED", reason=None, snapshot=snapshot(row._mapping),
            changed_by=row.submitted_by, changed_at=_utc(row.submitted_at)))
    elif kept is None:  # not written by this gateway: keep what there is, saying so
        await connection.execute(V.insert().values(
            record_id=row.id, version=row.version, change="CORRECTED",
            reason="kept at the next correction: this version had no snapshot", snapshot=snapshot(row._mapping),
            changed_by=user or "", changed_at=_utc(row.updated_at)))


async def record_versions(engine: AsyncEngine, record_ids: list[int]) -> list[list[Row]]:
    """Each record's stored versions, oldest first, in one query (a dataloader's batch function);
    `versions_of` adds the version a record that never changed is."""
    async with engine.connect() as connection:
        rows = (await connection.execute(select(V).where(V.c.record_id.in_(set(record_ids))).order_by(
            V.c.record_id, V.c.version))).all()
    by_record: dict[int, list[Row]] = {}
    for row in rows:
        by_record.setdefault(row.record_id, []).append(row)
    return [by_record.get(i, []) for i in record_ids]


class _Unchanged(namedtuple("_Unchanged", "version change reason changed_by changed_at snapshot")):
    """Version 1 of a record that has not changed since it was stored: the record itself."""


_SNAPSHOT_COLUMNS = [c.name for c in R.columns]


def versions_of(record: Row, stored: list[Row]) -> list:
    """Every version of a record, oldest first (HC-18).

    Version rows are written when a record changes (the state replaced is kept then, and the new
    one with its reason), not when it is stored: until then its only version is the record row
    itself, and writing a copy of every record at submission would double an import's writes.
    """
    if stored:
        return stored
    row = record._mapping
    return [_Unchanged(1, "CREATED", None, record.submitted_by, record.submitted_at,
                       snapshot({c: row[c] for c in _SNAPSHOT_COLUMNS}))]


# -------------------------------------------------------------------------------------- lateness


@dataclass(frozen=True)
class LatePage:
    rows: list[Row]
    has_next: bool
    total: int


def late_cursor(row: Row) -> str:
    return base64.urlsafe_b64encode(f"{_utc(row.submitted_at).isoformat()}|{row.id}".encode()).decode()


def _decode_late_cursor(text: str) -> tuple[dt.datetime, int]:
    try:
        moment, ident = base64.urlsafe_b64decode(text.encode()).decode().split("|")
        return _utc(dt.datetime.fromisoformat(moment)), int(ident)
    except Exception:  # any malformed cursor is the client's error, named as such
        raise BadUserInput(f"invalid cursor {text[:60]!r}: pass an endCursor returned by this API") from None


def _period(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Beijing days from..to (inclusive) as UTC instants [start, end)."""
    if date_to < date_from:
        raise BadUserInput(f"to ({date_to}) is before from ({date_from})")
    start = dt.datetime.combine(date_from, dt.time(0), BEIJING).astimezone(UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), BEIJING).astimezone(UTC)
    return start, end


async def late_submissions(engine: AsyncEngine, department: str | None, date_from: dt.date, date_to: dt.date,
                           first: int = 20, after: str | None = None) -> LatePage:
    """Records submitted late (XZ-13) between from and to (Beijing days), newest first.

    `department` None lists every department's (for the credit centre and auditors).
    """
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}, got {first}")
    start, end = _period(date_from, date_to)
    where = [R.c.late_working_days > 0, R.c.submitted_at >= start, R.c.submitted_at < end]
    if department is not None:
        where.append(R.c.provider_code == department)
    page_where = list(where)
    if after:
        moment, ident = _decode_late_cursor(after)
        page_where.append(or_(R.c.submitted_at < moment, and_(R.c.submitted_at == moment, R.c.id < ident)))
    columns = [R.c.id, R.c.provider_code, R.c.catalogue_item_code, R.c.document_number, R.c.decided_on,
               R.c.deadline_on, R.c.deadline_provisional, R.c.submitted_at, R.c.late_working_days, R.c.channel]
    async with engine.connect() as connection:
        rows = (await connection.execute(select(*columns).where(*page_where).order_by(
            R.c.submitted_at.desc(), R.c.id.desc()).limit(first + 1))).all()
        total = (await connection.execute(select(func.count()).select_from(R).where(*where))).scalar()
    return LatePage(rows=list(rows[:first]), has_next=len(rows) > first, total=total)


@dataclass(frozen=True)
class DepartmentLateness:
    department: str
    name: str
    submitted: int
    late: int
    late_working_days: int
    max_late_working_days: int


async def lateness_summary(engine: AsyncEngine, date_from: dt.date, date_to: dt.date,
                           department: str | None = None) -> list[DepartmentLateness]:
    """Per providing department: records submitted between from and to, how many late, by how much.

    Departments that submitted nothing are listed with zeros: they may be the most overdue (催报).
    Most late records first.
    """
    start, end = _period(date_from, date_to)
    late = R.c.late_working_days
    statement = select(R.c.provider_code, func.count(), func.sum(case((late > 0, 1), else_=0)),
                       func.coalesce(func.sum(late), 0), func.coalesce(func.max(late), 0)).where(
        R.c.submitted_at >= start, R.c.submitted_at < end).group_by(R.c.provider_code)
    departments = select(Department.code, Department.name, Department.kind)
    if department is not None:
        statement = statement.where(R.c.provider_code == department)
        departments = departments.where(Department.code == department)
    async with engine.connect() as connection:
        counts = {r[0]: r for r in await connection.execute(statement)}
        names = {r.code: r for r in await connection.execute(departments)}
    codes = {c for c, r in names.items() if r.kind in {k.value for k in PROVIDER_KINDS}} | set(counts)
    summary = [DepartmentLateness(code, names[code].name if code in names else code,
                                  *(int(v) for v in (counts[code][1:] if code in counts else (0, 0, 0, 0))))
               for code in codes]
    return sorted(summary, key=lambda d: (-d.late, -d.late_working_days, d.department))


# -------------------------------------------------------------------------------------- calendar


async def deployment_profile(engine_or_connection: AsyncEngine | AsyncConnection) -> JurisdictionProfile:
    """The jurisdiction profile the database was initialised with (fixed at init-db)."""
    statement = select(Setting.value).where(Setting.key == "profile")
    if isinstance(engine_or_connection, AsyncEngine):
        async with engine_or_connection.connect() as connection:
            code = (await connection.execute(statement)).scalar()
    else:
        code = (await engine_or_connection.execute(statement)).scalar()
    if code is None:
        raise RuntimeError("the database has no jurisdiction profile: run `credit-gateway init-db` first")
    return load_profile(code)


_CALENDAR_CACHE: dict[tuple, WorkingDayCalendar] = {}


async def _calendar(connection: AsyncConnection) -> WorkingDayCalendar:
    rows = (await connection.execute(select(C.c.year, C.c.schedule, C.c.added_at).order_by(C.c.year))).all()
    key = tuple((r.year, str(r.added_at)) for r in rows)
    cached = _CALENDAR_CACHE.get(key)
    if cached is None:
        cached = WorkingDayCalendar.shipped()
        for row in rows:
            cached = cached.with_year(parse_schedule(row.schedule, f"calendar_years/{row.year}"))
        _CALENDAR_CACHE.clear()
        _CALENDAR_CACHE[key] = cached
    return cached


async def working_day_calendar(engine: AsyncEngine) -> WorkingDayCalendar:
    """The shipped schedules plus the years operators added (they replace shipped ones)."""
    async with engine.connect() as connection:
        return await _calendar(connection)


@dataclass(frozen=True)
class CalendarChange:
    year: int
    holidays: int
    working_days: int
    replaced: bool
    recounted: int  # stored records whose provisional deadline was counted again


async def add_calendar_year(engine: AsyncEngine, schedule_yaml_text: str, source: str,
                            *, user: str | None = None) -> CalendarChange:
    """Store one year's official schedule (format: domain/holidays/README.md); raises ScheduleError.

    A year given again replaces the stored one entirely. Records whose deadline was provisional
    (counted on weekdays alone) are counted again on the new calendar, in the same transaction.
    """
    if len(schedule_yaml_text) > MAX_SCHEDULE_TEXT:
        raise ScheduleError(f"{source}: {len(schedule_yaml_text)} characters; a year's schedule is far shorter "
                            f"(at most {MAX_SCHEDULE_TEXT})")
    try:
        data = yaml.safe_load(schedule_yaml_text)
    except yaml.YAMLError as exc:
        raise ScheduleError(f"{source}: not valid YAML: {exc}") from None
    schedule = parse_schedule(data, source)
    if schedule.year not in CALENDAR_YEARS:
        raise ScheduleError(f"{source}: year {schedule.year} is outside {CALENDAR_YEARS.start}.."
                            f"{CALENDAR_YEARS.stop - 1}")
    stored = {"year": schedule.year, "source": schedule.source,
              "holidays": sorted(d.isoformat() for d in schedule.holidays),
              "working_days": sorted(d.isoformat() for d in schedule.working_days)}
    async with engine.begin() as connection:
        replaced = (await connection.execute(select(C.c.year).where(C.c.year == schedule.year))).scalar() is not None
        insert = dialect_insert(connection)(C).values(year=schedule.year, schedule=stored, source=source[:256],
                                                       added_at=dt.datetime.now(UTC))
        await connection.execute(insert.on_conflict_do_update(index_elements=["year"], set_={
            "schedule": insert.excluded.schedule, "source": insert.excluded.source,
            "added_at": insert.excluded.added_at}))
        recounted = await _recount_provisional(connection, await deployment_profile(connection),
                                               await _calendar(connection))
        change = CalendarChange(schedule.year, len(schedule.holidays), len(schedule.working_days), replaced,
                                recounted)
        await append_submission_log(connection, user=user, department=None, action="CALENDAR", detail={
            "year": change.year, "source": source[:256], "holidays": change.holidays,
            "working_days": change.working_days, "replaced": replaced, "recounted": recounted})
    return change


async def _recount_provisional(connection: AsyncConnection, profile: JurisdictionProfile,
                               calendar: WorkingDayCalendar) -> int:
    rows = (await connection.execute(
        select(R.c.id, R.c.catalogue_item_code, R.c.decided_on, R.c.act_ended_on, R.c.valid_until,
               R.c.submitted_at, S.c.kind, S.c.ended_on).join(S, S.c.code == R.c.subject_code)
        .where(R.c.deadline_provisional.is_(True)))).all()
    changes = []
    for row in rows:
        item = profile.items.get(row.catalogue_item_code)
        if item is None or SubjectKind(row.kind) not in item.subject_kinds:
            continue
        facts, _ = _facts(item, profile, calendar, SubjectKind(row.kind), row.ended_on, row._mapping,
                          beijing_date(row.submitted_at))
        changes.append({"rid": row.id, "due": facts.deadline_on, "provisional": facts.deadline_provisional,
                        "late": facts.late_working_days})
    if changes:
        await connection.execute(update(R).where(R.c.id == bindparam("rid")).values(
            deadline_on=bindparam("due"), deadline_provisional=bindparam("provisional"),
            late_working_days=bindparam("late")), changes)
    return len(changes)
