"""Importing a spreadsheet (批量上传, XZ-12): rows read and checked by `ingest.import_checker` (in
a second process for a large file), stored chunk by chunk through the collection pipeline
(`resolvers.collection`), a row-level error report written beside the file.

Best effort: each chunk is its own transaction and is acknowledged only after it commits, so a
killed import leaves whole, acknowledged chunks and nothing else. All or nothing: every chunk in
one transaction, committed only when no row failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import os
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.catalogue import CatalogueItem
from domain.clock import Clock, jurisdiction_day, utc_now
from domain.problems import Problem
from ingest.import_checker import CheckedChunk, Checking, checked_chunks, fields_of, locate
from ingest.spreadsheets import Column, SpreadsheetError, count_rows, file_item_code, layout

@dataclass
class ChunkAck:
    """What one committed chunk stored: handed to `on_chunk` only after its commit."""

    first_row: int
    last_row: int
    stored_ids: list[int]
    unchanged: int
    rejected: int
    outcomes: list[tuple[int, str, int | None]]  # (row, status, record id)

    def line(self) -> str:
        return (f"committed rows {self.first_row}-{self.last_row}: {len(self.stored_ids)} stored, "
                f"{self.unchanged} unchanged, {self.rejected} rejected; ids {_ranges(self.stored_ids) or '-'}")


def _ranges(ids: list[int]) -> str:
    parts, ids = [], sorted(ids)
    start = prev = None
    for value in ids + [None]:
        if start is not None and value == prev + 1:
            prev = value
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = value
    return ",".join(parts)


@dataclass
class ImportReport:
    """Counts of an import, the first row-level errors and where all of them were written."""

    path: Path
    item: str
    mode: str
    report_path: Path
    rows: int = 0
    stored: int = 0
    unchanged: int = 0
    rejected: int = 0
    not_stored: int = 0
    problem_count: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "field", "reason"}
    outcomes: list[dict] = field(default_factory=list)  # {"row", "status", "recordId"}, if asked
    keep_outcomes: int = 0

    def summary(self) -> str:
        return (f"{self.path.name} ({self.item}, {self.mode}): {self.rows} rows, {self.stored} stored, "
                f"{self.unchanged} unchanged, {self.rejected} rejected, {self.not_stored} not stored")


class ItemNotNamed(SpreadsheetError):
    """Neither the caller nor the file says which catalogue item the file holds."""


class NotAProvider(SpreadsheetError):
    """The importing department does not provide the file's catalogue item (XZ-12: providers only)."""


def catalogue_item(profile, code: str) -> CatalogueItem:
    """The profile's item `code`; an unknown code is refused naming the items it may have meant."""
    if code not in profile.items:
        near = [c for c in profile.items if code.upper() in c] or list(profile.items)
        raise SpreadsheetError(f"no catalogue item {code!r} in profile {profile.code}; items: {', '.join(near)}")
    return profile.items[code]


def item_of(path: Path, profile, department: str, named: str | None = None) -> CatalogueItem:
    """The catalogue item a file is imported as: the one `named`, which must agree with the one the
    file says it holds (a template's marker), or else that one; it must exist and `department` must
    provide it. Every route (CLI, upload) asks this before anything is read or stored."""
    marked = file_item_code(path)
    if named and marked and named != marked:
        raise SpreadsheetError(f"{path.name} is a template for {marked}, not {named}")
    code = named or marked
    if not code:
        raise ItemNotNamed(f"{path.name} does not say which catalogue item it holds: name the item")
    item = catalogue_item(profile, code)
    if not item.may_submit(department):
        raise NotAProvider(f"department {department} does not provide {item.code}; its providers are "
                           f"{', '.join(item.providers)}")
    return item


class ImportAborted(RuntimeError):
    """An all-or-nothing import met a concurrent submission of the same documents: nothing stored."""


class _Errors:
    """The row-level report, written as rows fail (UTF-8 with BOM, so Excel shows the Chinese)."""

    HEADER = ("行号 row", "列 column", "字段 field", "原因 reason")

    def __init__(self, path: Path, report: ImportReport, keep: int) -> None:
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(self.HEADER)
        self.report, self.keep = report, keep

    def add(self, row: int, label: str, name: str, problem: Problem) -> None:
        self.writer.writerow((row, label, name, problem.reason))
        self.report.problem_count += 1
        if len(self.report.errors) < self.keep:
            self.report.errors.append({"row": row, "column": label or None, "field": name or None,
                                       "reason": problem.reason})


PARALLEL_FROM_ROWS = 5_000  # below this, starting a checking process (~0.3 s) costs more than it saves


async def import_file(engine, path: str | Path, *, profile, department: str, user: str | None,
                      item: str | None = None, all_or_nothing: bool = False, chunk_size: int = 1000,
                      progress: bool | None = None, report_path: str | Path | None = None,
                      on_chunk=None, max_errors: int = 1000, keep_outcomes: int = 0, calendar=None,
                      today: dt.date | None = None, parallel: bool | None = None,
                      overlap: bool | None = None, now: Clock = utc_now, log_tag: dict | None = None,
                      total: int | None = None) -> ImportReport:
    """Import a file through `resolvers.collection.submit`, chunk by chunk (channel BATCH), as the
    catalogue item `item_of` finds for it (refused before anything is stored otherwise).

    Best effort: each chunk is one transaction; after its commit `on_chunk(ChunkAck)` says which
    rows it stored, so a killed import leaves exactly the acknowledged chunks. All or nothing: the
    chunks run in ONE transaction (every row is still validated and every fault reported), which
    is committed only if no row failed; the acknowledgements follow that commit. (A first pass
    that only validates would miss what needs the database, such as a resend that differs, and
    a second, storing pass could then fail half-way.) Errors go to
    `report_path` (default: FILE.errors.csv beside the file). `progress`: None shows a bar on
    standard error only on a terminal, True always, False never. `parallel`: rows are read and
    checked in a second process while this one stores (`ingest.import_checker`); None decides by
    the file's size and the machine's cores. `overlap` (best effort): each chunk is looked up and
    prepared while the one before is written and committed (`resolvers.collection.Handoff`);
    PostgreSQL only (SQLite has one writer at a time), where None means yes. `now` is the clock
    stamping each chunk's records; `today` (default: the profile's day at `now`) their lateness.
    `log_tag` goes into each chunk's submission-log entry (a background job's id); `total`, the
    file's rows when the caller has counted them (off the event loop), else they are counted here.
    """
    from resolvers.calendar_years import working_day_calendar
    from resolvers.collection import Mode, overlap_refusal

    path = Path(path)
    code = item_of(path, profile, department, item).code
    mode = Mode.ALL_OR_NOTHING if all_or_nothing else Mode.BEST_EFFORT
    report_path = Path(report_path) if report_path else path.with_name(path.stem + ".errors.csv")
    report = ImportReport(path, code, mode.value, report_path, keep_outcomes=keep_outcomes)
    today = today or jurisdiction_day(now(), profile.time_zone)
    checking = Checking(path, profile, code, department, today, chunk_size)
    writing = _Writing(profile, profile.items[code], department, user, calendar or await working_day_calendar(engine),
                       today, now, log_tag)
    total = count_rows(path) if total is None else total
    if parallel is None:
        parallel = (total or 0) >= PARALLEL_FROM_ROWS and (os.cpu_count() or 1) > 1
    chunks = checked_chunks(checking, child=parallel and checking.can_check_in_child())
    errors = _Errors(report_path, report, max_errors)
    bar = _progress(path, total, progress)
    try:
        refusal = overlap_refusal(engine)
        if overlap is None:
            overlap = refusal is None
        elif overlap and refusal:
            raise ValueError(refusal)
        if mode is Mode.BEST_EFFORT and overlap:
            await _overlapped(engine, chunks, writing, report, errors, bar, on_chunk)
        elif mode is Mode.BEST_EFFORT:
            async for chunk in chunks:
                ack = await _store_chunk(engine, chunk, writing, mode, report, errors)
                _acknowledge(ack, errors, bar, on_chunk)
        else:
            acks = await _all_or_nothing(engine, chunks, writing, report, errors, bar)
            for ack in acks:
                if on_chunk is not None:
                    on_chunk(ack)
    except SpreadsheetError:
        errors.handle.close()
        report_path.unlink(missing_ok=True)  # no report of a file that could not be read at all
        raise
    finally:
        await chunks.aclose()  # a child process still checking is stopped
        bar.close()
        errors.handle.close()
    return report


def _acknowledge(ack: ChunkAck, errors: _Errors, bar, on_chunk) -> None:
    """After a chunk's commit: its report lines on disk, the bar moved on, the caller told."""
    errors.handle.flush()
    bar.update(len(ack.outcomes))
    if on_chunk is not None:
        on_chunk(ack)


async def _overlapped(engine, chunks, writing, report, errors, bar, on_chunk) -> None:
    """Best effort, two chunks in flight: one is written and committed while the next is looked up
    and prepared on a second connection (`resolvers.collection.Handoff` says why that is safe).
    Commits, reports and acknowledgements stay in the file's order."""
    from resolvers.collection import Handoff, Mode

    async def store(chunk: CheckedChunk, handoff: Handoff) -> None:
        try:
            ack = await _store_chunk(engine, chunk, writing, Mode.BEST_EFFORT, report, errors, handoff=handoff)
            _acknowledge(ack, errors, bar, on_chunk)
            handoff.finish(ok=True)
        finally:
            handoff.finish(ok=False)  # failed or cancelled: the chunk after it gives up too

    running: deque[asyncio.Task] = deque()
    before: Handoff | None = None
    try:
        async for chunk in chunks:
            while len(running) >= 2:  # the chunk two back is done before this one looks anything up
                await running.popleft()
            handoff = Handoff(before)
            running.append(asyncio.create_task(store(chunk, handoff)))
            await handoff.planned.wait()  # the next chunk must know which subjects this one creates
            before = handoff
        while running:
            await running.popleft()
    except Exception:
        # The file could not be read on, or a chunk failed: the chunks handed over before end as they
        # would have one at a time (stored; or, after a failed one, not stored), then the error is told.
        while running:
            with contextlib.suppress(Exception):
                await running.popleft()
        raise
    finally:  # cancelled (interrupted): nothing more is stored
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(BaseException):
                await task


async def _all_or_nothing(engine, chunks, writing, report, errors, bar) -> list[ChunkAck]:
    """Every chunk in one transaction, committed only if no row failed. Inside it the chunks are
    stored best-effort, so a later row that conflicts with an earlier sound one (the same document
    with other content) is still found and reported before everything is rolled back."""
    from resolvers.collection import Mode

    acks: list[ChunkAck] = []
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            async for chunk in chunks:
                acks.append(await _store_chunk(engine, chunk, writing, Mode.BEST_EFFORT,
                                               report, errors, connection=connection))
                bar.update(len(chunk.numbers))
        except BaseException:
            await transaction.rollback()
            raise
        if report.rejected:
            await transaction.rollback()
            report.not_stored += report.stored
            report.stored = 0
            for outcome in report.outcomes:
                if outcome["status"] == "STORED":
                    outcome.update(status="NOT_STORED", recordId=None)
            return []
        await transaction.commit()
    return acks


@dataclass(frozen=True)
class _Writing:
    """What storing an import's chunks depends on."""

    profile: Any
    item: CatalogueItem
    department: str
    user: str | None
    calendar: Any
    today: dt.date
    now: Clock
    log_tag: dict | None = None

    @property
    def by_field(self) -> dict[str, Column]:
        return fields_of(layout(self.item))


def _progress(path: Path, total: int | None, progress: bool | None):
    from tqdm import tqdm

    return tqdm(total=total, unit="行", desc=path.name, file=sys.stderr, mininterval=0.5,
                disable=None if progress is None else not progress, dynamic_ncols=True)


async def _store_chunk(engine, chunk: CheckedChunk, writing: _Writing, mode, report: ImportReport,
                       errors: _Errors, connection=None, handoff=None) -> ChunkAck:
    """Store one checked chunk; count and report its outcomes (overlapped: after the chunk before's)."""
    from resolvers.collection import Status, submit

    outcomes = []
    if chunk.checked:
        try:
            outcomes = await submit(engine, profile=writing.profile, calendar=writing.calendar,
                                    department=writing.department, user=writing.user, channel="BATCH",
                                    checked=chunk.checked, mode=mode, today=writing.today,
                                    now=writing.now(), connection=connection, handoff=handoff,
                                    log_tag=writing.log_tag)
        except Exception as exc:
            if connection is None:
                raise
            # all-or-nothing: anything raised inside the one transaction aborts the whole import
            raise ImportAborted(f"the import was interrupted and nothing was stored: {exc!r}") from exc
    elif handoff is not None:
        handoff.wrote()
    if handoff is not None:
        await handoff.before_finished()  # report after the chunk before, even with nothing to store
    by_field = writing.by_field
    results = {o.row: (o.status.value, o.record_id, [(*locate(p, by_field), p) for p in o.problems])
               for o in outcomes}
    results.update({number: (Status.REJECTED.value, None, problems) for number, problems in chunk.refused.items()})
    ack = ChunkAck(chunk.numbers[0], chunk.numbers[-1], [], 0, 0, [])
    for number in chunk.numbers:
        status, record_id, problems = results[number]
        for label, name, problem in problems:
            errors.add(number, label, name, problem)
        ack.outcomes.append((number, status, record_id))
        if len(report.outcomes) < report.keep_outcomes:
            report.outcomes.append({"row": number, "status": status, "recordId": record_id})
        report.rows += 1
        if status == "STORED":
            report.stored += 1
            ack.stored_ids.append(record_id)
        elif status == "UNCHANGED":
            report.unchanged += 1
            ack.unchanged += 1
        elif status == "REJECTED":
            report.rejected += 1
            ack.rejected += 1
        else:
            report.not_stored += 1
    return ack
