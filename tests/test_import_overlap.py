"""Overlapped import (the default on PostgreSQL): each chunk is looked up and prepared while the one
before it is written and committed (`resolvers.collection.Handoff`). A clerk must see exactly what
one chunk at a time gives: the same outcomes, report and acknowledgements, in the file's order,
also where two chunks meet (a subject created by one and used by the next without its name, a
document repeated in the next, identical or not) and where the chunk before fails.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, text

import resolvers.collection as collection
from ingest.spreadsheet_import import import_file
from resolvers.calendar_years import working_day_calendar
from resolvers.collection import BatchBeforeFailed, Handoff, Status, submit
from store.bootstrap import initialise
from store.engine import create_engine
from store.models import Record, Subject, SubmissionLogEntry
from tests.conftest import scratch_url
from tests.test_spreadsheets import DEPARTMENT, ITEM, PROFILE, good_row, report_rows, write_csv


@pytest.fixture(scope="module")
async def db(tmp_path_factory):
    """PostgreSQL only: on SQLite, one writer at a time, imports store one chunk after the other."""
    engine = create_engine(await scratch_url("postgresql", tmp_path_factory.getbasetemp(), "overlap"))
    await initialise(engine, "huancui")
    yield engine
    await engine.dispose()


def serials(offset: int) -> int:
    """Subjects of their own for each test (the module's database outlives a test)."""
    return 100_000 + offset


def chunks_that_meet(prefix: str, base: int, size: int) -> tuple[list[dict], list[str]]:
    """Rows in chunks of `size` (padded with sound rows) whose neighbours depend on each other;
    the status each row must end with."""
    def row(serial: int, **changes) -> dict:
        return {**good_row(prefix, base + serial), **changes}

    first_subject, resent, altered = row(1), row(2), row(3)
    chunks = [
        [(first_subject, "STORED"), (resent, "STORED"), (altered, "STORED")],
        # the subject created just before, without its name; a resend; the same document, other fine
        [(row(4, subjectCode=first_subject["subjectCode"], subjectName=None), "STORED"),
         (dict(resent), "UNCHANGED"), ({**altered, "fineAmount": "9"}, "REJECTED")],
        # nothing in this chunk survives checking
        [(row(5, decidedOn="2099-01-01"), "REJECTED"), (row(6, documentNumber=None), "REJECTED"),
         (row(7, fineAmount="x"), "REJECTED")],
        [(row(8), "STORED"), (row(9, subjectCode=first_subject["subjectCode"], subjectName=None), "STORED")],
    ]
    rows, statuses, filler = [], [], 100
    for chunk in chunks:
        while len(chunk) < size:
            filler += 1
            chunk.append((row(filler), "STORED"))
        for r, status in chunk:
            rows.append(r)
            statuses.append(status)
    return rows, statuses


@pytest.mark.parametrize("size", [3, 120], ids=["insert-sized", "copy-sized"])
async def test_overlapped_chunks_give_what_one_chunk_at_a_time_gives(db, tmp_path, size, monkeypatch):
    seen_overlapped = []
    store = collection._store
    log = collection.append_submission_log
    next_chunk_looking = asyncio.Event()

    async def spying_store(connection, call, handoff=None, overlapped=False):
        seen_overlapped.append(overlapped)
        if overlapped:
            next_chunk_looking.set()
        await store(connection, call, handoff, overlapped)

    async def slow_log(connection, **entry):
        """Overlapping, the first chunk stays uncommitted until the next one is looking: the overlap
        is then certain, not a matter of timing."""
        if overlap and not next_chunk_looking.is_set():
            await asyncio.wait_for(next_chunk_looking.wait(), DEADLINE)
        return await log(connection, **entry)

    monkeypatch.setattr(collection, "_store", spying_store)
    monkeypatch.setattr(collection, "append_submission_log", slow_log)
    results = {}
    for overlap in (True, False):
        prefix = f"OV{size}{'Y' if overlap else 'N'}"
        base = serials(10_000 * (size > 3) + 1_000 * overlap)
        rows, expected = chunks_that_meet(prefix, base, size)
        path = write_csv(tmp_path / f"{prefix}.csv", rows, labels=True)
        acks = []
        user = f"overlap-{prefix}"
        report = await import_file(db, path, profile=PROFILE, department=DEPARTMENT, user=user, item=ITEM.code,
                                   chunk_size=size, on_chunk=acks.append, overlap=overlap, keep_outcomes=len(rows))
        statuses = [o["status"] for o in report.outcomes]
        assert statuses == expected
        assert [a.first_row for a in acks] == sorted(a.first_row for a in acks)  # acknowledged in order
        ids = [o["recordId"] for o in report.outcomes]
        assert ids[size + 1] == ids[1]  # the second chunk's resend names the record the first chunk stored
        async with db.connect() as connection:
            logged = [r[0]["record_ids"] for r in await connection.execute(
                select(SubmissionLogEntry.detail).where(SubmissionLogEntry.user == user)
                .order_by(SubmissionLogEntry.seq))]
        committed = [i for entry in logged for i in entry]
        assert committed == sorted(committed)  # committed in the file's order
        assert set(committed) == {o["recordId"] for o in report.outcomes if o["status"] == "STORED"}
        results[overlap] = ([(e["row"], e["column"]) for e in report_rows(report.report_path)], report.stored,
                            report.unchanged, report.rejected)
        assert any(seen_overlapped) == overlap, "overlapped: chunks prepared while the one before was stored"
        seen_overlapped.clear()
        next_chunk_looking.clear()
    assert results[True] == results[False]


def penalty(prefix: str, serial: int, named: bool) -> collection.RecordSubmission:
    row = good_row(prefix, serial)
    return collection.RecordSubmission(
        subject_code=row["subjectCode"], subject_name=row["subjectName"] if named else None,
        catalogue_item=ITEM.code, document_number=row["documentNumber"], issuing_authority=row["issuingAuthority"],
        decided_on=dt.date(2025, 6, 1),
        content={"violation": row["violation"], "legalBasis": row["legalBasis"], "penaltyKind": "罚款",
                 "fineAmount": "1.5"})


async def submit_after(db, before: Handoff, submissions) -> asyncio.Task:
    return asyncio.create_task(submit(
        db, profile=PROFILE, calendar=await working_day_calendar(db), department=DEPARTMENT,
        user="overlap-fallback", channel="BATCH", submissions=submissions, mode="BEST_EFFORT",
        today=dt.date(2025, 6, 3), now=dt.datetime.now(dt.timezone.utc), handoff=Handoff(before)))


async def stored_subjects(db, codes) -> set[str]:
    async with db.connect() as connection:
        return set((await connection.execute(select(Subject.code).where(Subject.code.in_(codes)))).scalars())


async def last_record_id(db) -> int:
    """The records' sequence: a batch takes its ids when it writes, visibly before it commits (0 while
    no id was ever taken: a fresh sequence shows its start value as last_value, not yet called)."""
    async with db.connect() as connection:
        return (await connection.execute(text(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM records_id_seq"))).scalar()


DEADLINE = 30  # seconds: what a wait for an event may take before the test fails, saying which


class WatchedEvent(asyncio.Event):
    """An event that also tells when someone starts waiting for it: the batch after has then done
    all it may do before the batch before reaches that point."""

    def __init__(self) -> None:
        super().__init__()
        self.awaited = asyncio.Event()

    async def wait(self):
        self.awaited.set()
        return await super().wait()


def watched_handoff() -> Handoff:
    """The batch before, whose `written` and `finished` report when the batch after waits on them."""
    before = Handoff()
    before.written, before.finished = WatchedEvent(), WatchedEvent()
    return before


async def waits_for(event: WatchedEvent, task: asyncio.Task, what: str) -> None:
    """Until the batch after (`task`) waits on `event`; fails if it ends or takes too long instead."""
    waiting = asyncio.ensure_future(event.awaited.wait())
    done, _ = await asyncio.wait({waiting, task}, timeout=DEADLINE, return_when=asyncio.FIRST_COMPLETED)
    if waiting not in done:
        waiting.cancel()
        raise AssertionError(f"the batch after did not wait for the batch before to be {what}: "
                             + ("it ended: " + repr(task.exception() or task.result()) if task in done
                                else f"nothing in {DEADLINE}s"))


@pytest.mark.parametrize("size", [1, 120], ids=["insert-sized", "copy-sized"])
async def test_a_batch_writes_and_commits_only_after_the_batch_before(db, size):
    """Writing after it, the batch before never waits for this one's locks; committing after it,
    a killed import leaves a prefix of the file's batches."""
    submissions = [penalty("AFTER", serials(20_000 + 1_000 * (size > 1)) + i, named=True) for i in range(size)]
    codes = [s.subject_code for s in submissions]
    before = watched_handoff()
    before.plan(())
    ids_before = await last_record_id(db)
    task = await submit_after(db, before, submissions)
    await waits_for(before.written, task, "written")
    assert not task.done() and await last_record_id(db) == ids_before, "wrote before the batch before had"
    before.written.set()
    await waits_for(before.finished, task, "finished")
    assert await last_record_id(db) == ids_before + size, "prepared and looked up, it writes now"
    assert not task.done() and await stored_subjects(db, codes) == set(), "committed before the batch before had"
    before.finish(ok=True)
    outcomes = await asyncio.wait_for(task, 30)
    assert [o.status for o in outcomes] == [Status.STORED] * size
    assert await stored_subjects(db, codes) == set(codes)


@pytest.mark.parametrize("size", [1, 120], ids=["insert-sized", "copy-sized"])
async def test_a_subject_the_batch_before_did_not_create_after_all(db, size):
    """The batch before said it would create these subjects, then did not (its rows were refused on
    a retry): this batch, which counted them as known, is stored again once that batch is done, and
    then creates them where it names them and refuses its rows where it does not."""
    prefix = f"FB{size}"
    base = serials(30_000 + 1_000 * (size > 1))
    named = [penalty(prefix, base + i, named=True) for i in range(size)]
    unnamed = penalty(prefix, base + size, named=False)
    before = watched_handoff()
    before.plan({s.subject_code for s in named} | {unnamed.subject_code})
    before.written.set()
    task = await submit_after(db, before, named + [unnamed])
    await waits_for(before.finished, task, "finished")
    assert not task.done(), "a batch commits only after the batch before has"
    before.finish(ok=True)
    outcomes = await asyncio.wait_for(task, 30)
    assert [o.status for o in outcomes] == [Status.STORED] * size + [Status.REJECTED]
    assert "subjectName" in outcomes[-1].problems[0].field and "not known" in outcomes[-1].problems[0].reason
    assert await stored_subjects(db, [s.subject_code for s in named + [unnamed]]) == {s.subject_code for s in named}


async def test_nothing_is_stored_after_a_batch_that_failed(db):
    prefix = "FF"
    submissions = [penalty(prefix, serials(40_000), named=True)]
    before = watched_handoff()
    before.plan(())
    task = await submit_after(db, before, submissions)
    await waits_for(before.written, task, "written")  # it has looked up and prepared, and waits
    before.finish(ok=False)
    with pytest.raises(BatchBeforeFailed):
        await asyncio.wait_for(task, 30)
    async with db.connect() as connection:
        assert (await connection.execute(select(Subject.code).where(
            Subject.code == submissions[0].subject_code))).first() is None


async def test_sqlite_stores_one_chunk_after_the_other(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one-writer.sqlite3'}")
    try:
        await initialise(engine, "huancui")
        path = write_csv(tmp_path / "rows.csv", [good_row("SQ", serials(50_000))], labels=True)
        with pytest.raises(ValueError, match="PostgreSQL"):
            await import_file(engine, path, profile=PROFILE, department=DEPARTMENT, user="u", item=ITEM.code,
                              overlap=True)
        report = await import_file(engine, path, profile=PROFILE, department=DEPARTMENT, user="u", item=ITEM.code)
        assert report.stored == 1  # by default, without overlapping
    finally:
        await engine.dispose()


async def test_two_imports_of_the_same_rows_at_once_store_each_record_once(db, tmp_path):
    """Two clerks import the same rows at the same moment, one file in the other's reverse order,
    so that their overlapped chunks meet half-way and conflict both ways: no deadlock, and every
    record is stored once, by one of them, the other seeing it UNCHANGED."""
    base = serials(60_000)
    rows = [good_row("TWICE", base + i) for i in range(1_200)]
    rows[650] = {**rows[150]}  # a document repeated in a later chunk
    forward = write_csv(tmp_path / "forward.csv", rows, labels=True)
    backward = write_csv(tmp_path / "backward.csv", rows[::-1], labels=True)

    async def run(path, user: str):
        return await import_file(db, path, profile=PROFILE, department=DEPARTMENT, user=user, item=ITEM.code,
                                 chunk_size=120, keep_outcomes=len(rows), report_path=tmp_path / f"{user}.csv")

    first, second = await asyncio.wait_for(asyncio.gather(run(forward, "clerk-a"), run(backward, "clerk-b")), 120)
    documents = {r["documentNumber"] for r in rows}
    assert first.stored + second.stored == len(documents)
    assert first.stored and second.stored, "the imports met: each stored part of the rows"
    for report in (first, second):
        assert report.rejected == 0 and report.rows == len(rows)
        assert {o["status"] for o in report.outcomes} <= {"STORED", "UNCHANGED"}
    for a, b in zip(first.outcomes, second.outcomes[::-1]):
        assert a["recordId"] == b["recordId"]  # the same record, whoever stored it
    assert len({o["recordId"] for o in first.outcomes}) == len(documents)
    async with db.connect() as connection:
        stored = (await connection.execute(select(Record.document_number).where(
            Record.document_number.like("TWICE%")))).scalars().all()
    assert sorted(stored) == sorted(documents)
