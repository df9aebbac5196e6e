"""`credit-gateway sweep` killed with SIGKILL mid-run (a real subprocess) leaves whole batches only:
every archived record has its one event, notice and log entry, no other record has any; a rerun
completes the work, and a run after that changes nothing (issue 15, Done when)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from store.bootstrap import initialise
from store.engine import create_engine
from store.models import Notification, Record, RecordEvent, SubmissionLogEntry
from tests.conftest import PG_HINT, scratch_postgres_url
from tests.sweep_world import AS_OF, counts, insert_records, record_row

RECORDS = 1500
BATCH = 5
ACKS_BEFORE_KILL = 3
ACK = re.compile(r"^committed ARCHIVE: (\d+) ids ([\d,]+)$")


async def prepare(url: str) -> None:
    engine = create_engine(url)
    await initialise(engine, "huancui")
    await insert_records(engine, [record_row(1000 + i, disclosure_ends_on=AS_OF - dt.timedelta(days=1 + i % 30))
                                  for i in range(RECORDS)])
    await engine.dispose()


def run_sweep(url: str, tmp_path: Path, *, kill_after: int | None = None) -> tuple[int, list[str]]:
    env = {**os.environ, "DATABASE_URL": url, "CREDIT_DATA_DIR": str(tmp_path / "data"), "CREDIT_PROFILE": "huancui",
           "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "sweep", "--as-of", AS_OF.isoformat(),
                                "--batch-size", str(BATCH)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    lines: list[str] = []
    try:
        if kill_after is not None:
            deadline = time.monotonic() + 120
            while sum(bool(ACK.match(line)) for line in lines) < kill_after:
                line = process.stdout.readline()
                if not line:
                    pytest.fail(f"the sweep ended before it was killed ({process.wait()}):\n{process.stderr.read()}")
                lines.append(line.rstrip("\n"))
                assert time.monotonic() < deadline, "the sweep acknowledged nothing in time"
            time.sleep(0.02)  # somewhere inside a later batch
            process.send_signal(signal.SIGKILL)
        rest, errors = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    lines += rest.splitlines()
    assert kill_after is not None or process.returncode == 0, errors
    return process.returncode, lines


async def check_whole_batches(url: str, acknowledged: set[int] | None) -> set[int]:
    """Every archived record has exactly one ARCHIVED event, notice to its subject and notice to its
    provider, and is named in one log entry;
    none other is;
    each `acknowledged` one (printed after its batch committed) is archived. Returns the archived ids."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(Record.id, Record.disclosure_ends_on, Record.status_changed_on)
                                             .where(Record.status == "ARCHIVED"))).all()
            archived = {row.id for row in rows}
            assert rows and all(row.status_changed_on == row.disclosure_ends_on + dt.timedelta(days=1) for row in rows)
            events = list((await connection.execute(select(RecordEvent.record_id)
                                                    .where(RecordEvent.kind == "ARCHIVED"))).scalars())
            notices = {party: list((await connection.execute(select(Notification.record_id).where(
                Notification.kind == "ARCHIVED", Notification.recipient_party == party))).scalars())
                for party in ("SUBJECT", "PROVIDER")}
            logged = [i for d in (await connection.execute(
                select(SubmissionLogEntry.detail).where(SubmissionLogEntry.action == "SWEEP_ARCHIVE"))).scalars()
                      for i in d["record_ids"]]
    finally:
        await engine.dispose()
    for written in (events, notices["SUBJECT"], notices["PROVIDER"], logged):
        assert sorted(written) == sorted(archived)  # one each, for exactly the archived records
    assert len(archived) % BATCH == 0, "a batch was applied in part"
    if acknowledged is not None:
        assert acknowledged <= archived
        assert len(archived - acknowledged) <= BATCH  # the kill may land between a commit and its line
    return archived


def killed_then_rerun(url: str, tmp_path: Path) -> None:
    asyncio.run(prepare(url))
    code, lines = run_sweep(url, tmp_path, kill_after=ACKS_BEFORE_KILL)
    assert code == -signal.SIGKILL
    acknowledged = {int(i) for m in map(ACK.match, lines) if m for i in m.group(2).split(",")}
    archived = asyncio.run(check_whole_batches(url, acknowledged))
    assert 0 < len(archived) < RECORDS, "the kill did not land mid-run"

    code, lines = run_sweep(url, tmp_path)
    assert lines[-1].startswith(f"sweep as of {AS_OF.isoformat()}: {RECORDS - len(archived)} archived")
    assert len(asyncio.run(check_whole_batches(url, None))) == RECORDS
    engine_counts = asyncio.run(_counts(url))
    assert engine_counts["archived"] == RECORDS

    code, lines = run_sweep(url, tmp_path)
    assert lines[-1].startswith(f"sweep as of {AS_OF.isoformat()}: 0 archived, 0 publicity ended, 0 deleted")
    assert asyncio.run(_counts(url)) == engine_counts


async def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        return await counts(engine)
    finally:
        await engine.dispose()


@pytest.mark.e2e
def test_killed_sqlite_sweep_leaves_whole_batches_and_a_rerun_completes(tmp_path):
    killed_then_rerun(f"sqlite+aiosqlite:///{tmp_path / 'sweep-kill.sqlite3'}", tmp_path)


@pytest.mark.e2e
@pytest.mark.postgres
def test_killed_postgres_sweep_leaves_whole_batches_and_a_rerun_completes(tmp_path):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip(PG_HINT)
    url = asyncio.run(scratch_postgres_url("sweep_kill"))
    killed_then_rerun(url, tmp_path)
