"""Background imports (issue 14): `POST /import` accepts a file as a job and answers at once; the job
runs here, in the serving process, as an asyncio task, while the rows are read and checked in the
checker process (`ingest.import_checker`) for a large file, so the event loop only stores chunks.

Each job is a row of `import_jobs`. Its progress is written about once a second by a ticker (never
inside a chunk's transaction); its start and end are entries of the submission log, and so is every
chunk it commits, tagged with the job's id. Those tags are what make a job's counts exact: a job
stopped with its server (killed, crashed) is claimed again on restart — by any serving process
that finds it orphaned: its owner is a dead process on this host, or its heartbeat is older than
`LEASE` — and imported again from its first row, as `credit-gateway import` resumes: the rows the
earlier attempt committed come back UNCHANGED, and are counted as stored by this job because the
tagged entries name their records. After `MAX_ATTEMPTS` starts it is marked FAILED instead, its
stored count read from those entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import os
import shutil
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import Clock, utc_now
from ingest.spreadsheet_import import ChunkAck, ImportAborted, import_file
from ingest.spreadsheets import SpreadsheetError, count_rows
from store.chain import append_submission_log
from store.models import ImportJob, SubmissionLogEntry

log = logging.getLogger("gateway.imports")

J = ImportJob.__table__
TAG = "import_job"  # the key naming the job in its chunks' submission-log entries
# Chunks of 200: each chunk's synchronous work (looking up, building COPY rows) holds the event loop
# briefly, so the server's other requests are answered in between (bench/import_jobs.py).
JOB_CHUNK = 200
LEASE = dt.timedelta(seconds=60)  # a job whose heartbeat is older belongs to no one
TICK_SECONDS = 1.0  # progress and heartbeat, written this often while a job runs
SWEEP_SECONDS = 20.0  # how often a serving process looks for orphaned jobs
MAX_ATTEMPTS = 3


class JobState(str, enum.Enum):
    QUEUED = "QUEUED"  # accepted (or released by a server that stopped), not running yet
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"  # read to its end: see the counts for rejected rows
    FAILED = "FAILED"  # stopped before its end: see `error`; what the counts name is stored


@dataclass
class _Counts:
    """What a job's committed chunks did; `earlier`: records a previous attempt of the job stored,
    which come back UNCHANGED and count as stored (once each, at their first row)."""

    earlier: set[int] = field(default_factory=set)
    rows_total: int | None = None
    rows: int = 0
    stored: int = 0
    unchanged: int = 0
    rejected: int = 0
    not_stored: int = 0
    problem_count: int = 0
    dirty: bool = True

    def add(self, ack: ChunkAck) -> None:
        for _row, status, record_id in ack.outcomes:
            self.rows += 1
            if status == "STORED" or (status == "UNCHANGED" and record_id in self.earlier):
                self.earlier.discard(record_id)
                self.stored += 1
            elif status == "UNCHANGED":
                self.unchanged += 1
            elif status == "REJECTED":
                self.rejected += 1
            else:
                self.not_stored += 1
        self.dirty = True

    def values(self) -> dict:
        return {"rows_total": self.rows_total, "rows_done": self.rows, "stored": self.stored,
                "unchanged": self.unchanged, "rejected": self.rejected, "not_stored": self.not_stored,
                "problem_count": self.problem_count}


def report_name(file_name: str) -> str:
    """`FILE.errors.csv` for FILE.xlsx / FILE.csv, as the command line names it."""
    return Path(file_name).stem + ".errors.csv"


class ImportJobs:
    """The serving process's background imports: accepts jobs, runs them, takes over orphaned ones."""

    def __init__(self, engine: AsyncEngine, profile, folder: Path, *, now: Clock = utc_now) -> None:
        self.engine, self.profile, self.folder, self.now = engine, profile, Path(folder), now
        self.owner = f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._tasks: dict[str, asyncio.Task] = {}
        self._running: dict[str, _Counts] = {}
        self._ticker: asyncio.Task | None = None
        self._sweeper: asyncio.Task | None = None

    # ------------------------------------------------------------------------------ accepting

    async def accept(self, source: Path, *, file_name: str, department: str, user: str | None, item: str,
                     mode: str, today: dt.date):
        """Keep `source` (moved) in the job's own folder, record the job, start it; the job's row."""
        public_id = uuid.uuid4().hex
        folder = self.folder / public_id
        await asyncio.to_thread(_keep, source, folder, file_name)
        now = self.now()
        async with self.engine.begin() as connection:
            await connection.execute(J.insert().values(
                public_id=public_id, department_code=department, user=user, catalogue_item=item, mode=mode,
                file_name=file_name, folder=str(folder), today=today, state=JobState.QUEUED.value, rows_done=0,
                stored=0, unchanged=0, rejected=0, not_stored=0, problem_count=0, attempts=0, owner=self.owner,
                heartbeat_at=now, created_at=now))
            job = (await connection.execute(select(J).where(J.c.public_id == public_id))).one()
        self._start(public_id)
        return job

    def _start(self, public_id: str) -> None:
        task = asyncio.create_task(self._run(public_id), name=f"import-job-{public_id}")
        self._tasks[public_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(public_id, None))
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="import-jobs-ticker")

    # -------------------------------------------------------------------------------- running

    async def _run(self, public_id: str) -> None:
        async with self.engine.connect() as connection:
            job = (await connection.execute(select(J).where(J.c.public_id == public_id))).one()
        if job.attempts >= MAX_ATTEMPTS:
            counts = _Counts(rows=job.rows_done, unchanged=job.unchanged, rejected=job.rejected,
                             not_stored=job.not_stored, problem_count=job.problem_count, rows_total=job.rows_total)
            counts.stored = len(await self._stored_by(job))
            await self._finish(job, JobState.FAILED, counts, f"the import was interrupted {job.attempts} times "
                               "(its server stopped); the rows counted as stored are stored: send the file again "
                               "to import the rest (stored rows come back as unchanged)")
            return
        path = Path(job.folder) / job.file_name
        counts = _Counts(earlier=await self._stored_by(job) if job.attempts else set())
        try:
            async with self.engine.begin() as connection:
                await connection.execute(update(J).where(J.c.id == job.id).values(
                    state=JobState.RUNNING.value, attempts=job.attempts + 1, owner=self.owner,
                    heartbeat_at=self.now(), started_at=job.started_at or self.now(), **counts.values()))
                await append_submission_log(connection, user=job.user, department=job.department_code,
                                            action="IMPORT_START", channel="BATCH", detail={
                                                TAG: public_id, "file": job.file_name, "item": job.catalogue_item,
                                                "mode": job.mode, "attempt": job.attempts + 1})
            self._running[public_id] = counts
            if not path.is_file():
                raise SpreadsheetError(f"{job.file_name}: the uploaded file is no longer kept; send it again")
            counts.rows_total = await asyncio.to_thread(count_rows, path)
            report = await import_file(
                self.engine, path, profile=self.profile, department=job.department_code, user=job.user,
                item=job.catalogue_item, all_or_nothing=job.mode == "ALL_OR_NOTHING", chunk_size=JOB_CHUNK,
                progress=False, report_path=Path(job.folder) / report_name(job.file_name), max_errors=0,
                today=job.today, now=self.now, on_chunk=counts.add, log_tag={TAG: public_id},
                total=counts.rows_total)
        except asyncio.CancelledError:  # the server is stopping: the next one resumes the job at once
            self._running.pop(public_id, None)
            with contextlib.suppress(Exception):
                await self._release(job)
            raise
        except Exception as exc:
            self._running.pop(public_id, None)
            await self._finish(job, JobState.FAILED, counts, _failure(exc, job.file_name))
            return
        self._running.pop(public_id, None)
        if report.rows > counts.rows:  # all or nothing, rolled back: nothing stored, nothing acknowledged
            counts.rows, counts.stored, counts.unchanged = report.rows, 0, report.unchanged
            counts.rejected, counts.not_stored = report.rejected, report.not_stored
        counts.problem_count = report.problem_count
        await self._finish(job, JobState.SUCCEEDED, counts)

    async def _stored_by(self, job) -> set[int]:
        """The records the job's committed chunks stored: its tagged submission-log entries."""
        statement = select(SubmissionLogEntry.detail).where(
            SubmissionLogEntry.action == "SUBMIT", SubmissionLogEntry.department == job.department_code,
            SubmissionLogEntry.at >= job.created_at)
        stored: set[int] = set()
        async with self.engine.connect() as connection:
            for (detail,) in await connection.execute(statement):
                if isinstance(detail, dict) and detail.get(TAG) == job.public_id:
                    stored.update(detail.get("record_ids") or [])
        return stored

    async def _finish(self, job, state: JobState, counts: _Counts, error: str | None = None) -> None:
        values = counts.values()
        async with self.engine.begin() as connection:
            await connection.execute(update(J).where(J.c.id == job.id).values(
                state=state.value, error=error, finished_at=self.now(), owner=None, heartbeat_at=None, **values))
            await append_submission_log(connection, user=job.user, department=job.department_code,
                                        action="IMPORT_END", channel="BATCH",
                                        detail={TAG: job.public_id, "state": state.value, **values,
                                                **({"error": error} if error else {})})
        (Path(job.folder) / job.file_name).unlink(missing_ok=True)  # the report stays, for download
        log.info("import job %s (%s, %s): %s, %s", job.public_id, job.department_code, job.file_name, state.value,
                 values)

    async def _release(self, job) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(update(J).where(J.c.id == job.id, J.c.owner == self.owner).values(
                state=JobState.QUEUED.value, owner=None, heartbeat_at=None))

    async def _tick(self) -> None:
        """Progress and heartbeat of the running jobs, about once a second."""
        while self._tasks:
            await asyncio.sleep(TICK_SECONDS)
            for public_id, counts in list(self._running.items()):
                values = counts.values() if counts.dirty else {}
                counts.dirty = False
                try:
                    async with self.engine.begin() as connection:
                        await connection.execute(update(J).where(
                            J.c.public_id == public_id, J.c.owner == self.owner,
                            J.c.state == JobState.RUNNING.value).values(heartbeat_at=self.now(), **values))
                except SQLAlchemyError as exc:  # the job itself will meet the failure, or not
                    counts.dirty = True
                    log.warning("import job %s: progress not written: %s", public_id, exc)

    # ----------------------------------------------------------------------------- recovering

    async def recover(self) -> list[str]:
        """Claim and start the jobs no living process runs; their ids."""
        async with self.engine.connect() as connection:
            jobs = (await connection.execute(select(J.c.id, J.c.public_id, J.c.owner, J.c.heartbeat_at, J.c.attempts,
                                                    J.c.state).where(J.c.state.in_((JobState.QUEUED.value,
                                                                                    JobState.RUNNING.value))))).all()
        claimed = []
        for job in jobs:
            if job.public_id in self._tasks or not self._orphaned(job):
                continue
            owner_then = J.c.owner.is_(None) if job.owner is None else J.c.owner == job.owner
            async with self.engine.begin() as connection:
                result = await connection.execute(update(J).where(
                    J.c.id == job.id, J.c.state == job.state, J.c.attempts == job.attempts, owner_then).values(
                    owner=self.owner, heartbeat_at=self.now()))
            if result.rowcount == 1:
                log.warning("import job %s was left %s by %s: resuming it", job.public_id, job.state,
                            job.owner or "a server that stopped")
                self._start(job.public_id)
                claimed.append(job.public_id)
        return claimed

    def _orphaned(self, job) -> bool:
        if job.owner is None or job.heartbeat_at is None or job.heartbeat_at < self.now() - LEASE:
            return True
        parts = job.owner.rsplit(":", 2)  # host:pid:token
        if job.owner == self.owner or len(parts) != 3 or not parts[1].isdigit() or \
                parts[0] != self.owner.rsplit(":", 2)[0]:
            return False  # ours, or another host's with a fresh heartbeat
        return not _alive(int(parts[1]))  # a process of this host that is gone

    async def start(self) -> None:
        """At start-up: take over orphaned jobs now, and look again every `SWEEP_SECONDS`."""
        await self.recover()

        async def sweep() -> None:
            while True:
                await asyncio.sleep(SWEEP_SECONDS)
                try:
                    await self.recover()
                except Exception as exc:  # the database is away: look again later
                    log.warning("looking for orphaned import jobs failed: %s", exc)

        self._sweeper = asyncio.create_task(sweep(), name="import-jobs-sweeper")

    async def close(self) -> None:
        """At shutdown: running jobs are released (QUEUED, no owner) for the next start to resume."""
        for task in [self._sweeper, *self._tasks.values()]:
            if task is not None:
                task.cancel()
        for task in [self._sweeper, *list(self._tasks.values()), self._ticker]:
            if task is not None:
                if task is self._ticker:
                    task.cancel()
                with contextlib.suppress(BaseException):
                    await task


def _keep(source: Path, folder: Path, file_name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), folder / file_name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _failure(exc: Exception, file_name: str) -> str:
    """What a failed job tells its department."""
    if isinstance(exc, SpreadsheetError):
        return str(exc)
    if isinstance(exc, ImportAborted):
        return f"{exc}; send the file again"
    if isinstance(exc, (SQLAlchemyError, OSError)):
        log.error("import job of %s stopped by the database: %s", file_name, exc)
        return ("the database failed part-way: the rows counted as stored are stored; send the file again "
                "to import the rest (stored rows come back as unchanged)")
    log.exception("import job of %s failed unexpectedly", file_name)
    return "the import failed unexpectedly and the gateway logged it; send the file again"
