"""The sweeper (store/sweep.py, `credit-gateway sweep`): what the dates decide is applied once, each
change an event, a notice and a submission-log entry; a second run changes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from domain.catalogue import load_profile
from gateway import cli
from store.bootstrap import initialise
from store.engine import create_engine
from store.models import Notification, Record, RecordEvent, RecordTombstone, SubmissionLogEntry
from store.sweep import SweepStep, sweep
from tests.sweep_world import AS_OF, PROVIDER, fresh, counts, insert_case, insert_records, record_row

PROFILE = load_profile("huancui")
DAY = dt.timedelta(days=1)


@pytest.fixture
async def sweep_engine(backend, tmp_path):
    engine = await fresh(backend, tmp_path, "sweeper")
    yield engine
    await engine.dispose()


async def _events(engine, kind: str) -> list:
    async with engine.connect() as connection:
        return (await connection.execute(select(RecordEvent.__table__).where(RecordEvent.kind == kind)
                                         .order_by(RecordEvent.id))).all()


async def test_each_date_is_applied_once_as_an_event_a_notice_and_a_log_entry(sweep_engine):
    ended, today, publicity, kept, long_kept = await insert_records(sweep_engine, [
        record_row(1, disclosure_ends_on=AS_OF - DAY, status_changed_on=dt.date(2020, 1, 1)),
        record_row(2, disclosure_ends_on=AS_OF),  # its last disclosed day is today: stays ACTIVE
        record_row(3, publicity_ends_on=AS_OF - 10 * DAY, disclosure_ends_on=AS_OF + 300 * DAY),
        record_row(4, status="ARCHIVED", disclosure_ends_on=AS_OF - 2000 * DAY, retained_until=AS_OF - DAY),
        record_row(5, status="ARCHIVED", disclosure_ends_on=AS_OF - 2000 * DAY, retained_until=AS_OF),
    ])
    missed = await insert_case(sweep_engine, publicity, 3, due_on=AS_OF - DAY)
    await insert_case(sweep_engine, publicity, 3, due_on=AS_OF - DAY, closed=True)  # closed: not missed
    await insert_case(sweep_engine, publicity, 3, due_on=AS_OF)  # due today: not missed yet

    report = await sweep(sweep_engine, PROFILE, AS_OF, batch_size=2)
    assert report.counts == {SweepStep.ARCHIVE: 1, SweepStep.END_PUBLICITY: 1, SweepStep.END_RETENTION: 1,
                             SweepStep.MISS_DEADLINE: 1}

    async with sweep_engine.connect() as connection:
        records = {r.id: r for r in (await connection.execute(select(Record.__table__))).all()}
        tombstones = (await connection.execute(select(RecordTombstone.__table__))).all()
        notices = (await connection.execute(select(Notification.__table__).order_by(Notification.id))).all()
        log = (await connection.execute(select(SubmissionLogEntry.action, SubmissionLogEntry.detail)
                                        .order_by(SubmissionLogEntry.seq))).all()
    assert (records[ended].status, records[ended].status_changed_on) == ("ARCHIVED", AS_OF)
    assert records[today].status == "ACTIVE" and records[publicity].status == "ACTIVE"
    assert kept not in records and long_kept in records
    assert [(t.record_id, t.reason, t.effective_on) for t in tombstones] == [(kept, "RETENTION_ENDED", AS_OF)]

    [archived] = await _events(sweep_engine, "ARCHIVED")
    assert (archived.record_id, archived.effective_on, archived.actor_user) == (ended, AS_OF, "sweeper")
    assert archived.before == {"status": "ACTIVE", "status_changed_on": "2020-01-01"}
    assert archived.after == {"status": "ARCHIVED", "status_changed_on": AS_OF.isoformat()}
    [public] = await _events(sweep_engine, "PUBLICITY_ENDED")
    assert (public.record_id, public.effective_on) == (publicity, AS_OF - 9 * DAY)
    [deleted] = await _events(sweep_engine, "RETENTION_ENDED")
    assert (deleted.record_id, deleted.effective_on, deleted.after) == (kept, AS_OF, {})  # content scrubbed
    [deadline] = await _events(sweep_engine, "DEADLINE_MISSED")
    assert (deadline.case_id, deadline.record_id, deadline.effective_on) == (missed, publicity, AS_OF)

    assert [(n.recipient_party, n.recipient, n.kind, n.record_id) for n in notices] == [
        ("SUBJECT", records[ended].subject_code, "ARCHIVED", ended), ("PROVIDER", PROVIDER, "ARCHIVED", ended),
        ("SUBJECT", records[publicity].subject_code, "PUBLICITY_ENDED", publicity),
        ("SUBJECT", tombstones[0].subject_code, "RETENTION_ENDED", kept), ("PROVIDER", PROVIDER, "RETENTION_ENDED", kept),
        ("CENTRE", "XYZX", "DEADLINE_MISSED", publicity), ("PROVIDER", PROVIDER, "DEADLINE_MISSED", publicity)]
    assert {n.case_id for n in notices[-2:]} == {missed} and all("passed its deadline" in n.message
                                                                 for n in notices[-2:])
    assert "your department provided" in notices[1].message and "the next step was yours" in notices[-1].message
    assert [(a, d["record_ids"], d.get("case_ids"), d["as_of"]) for a, d in log] == [
        ("SWEEP_ARCHIVE", [ended], None, "2026-11-20"), ("SWEEP_PUBLICITY_ENDED", [publicity], None, "2026-11-20"),
        ("SWEEP_RETENTION_ENDED", [kept], None, "2026-11-20"), ("SWEEP_DEADLINE_MISSED", [publicity], [missed],
                                                                 "2026-11-20")]

    before = await counts(sweep_engine)
    again = await sweep(sweep_engine, PROFILE, AS_OF)
    assert again.changed == 0 and again.batches == 0
    assert await counts(sweep_engine) == before

    # The next day, what ended today follows.
    later = await sweep(sweep_engine, PROFILE, AS_OF + DAY)
    assert later.counts[SweepStep.ARCHIVE] == 1 and later.counts[SweepStep.END_RETENTION] == 1
    assert later.counts[SweepStep.MISS_DEADLINE] == 1


async def test_batches_cover_everything_due(sweep_engine):
    ids = await insert_records(sweep_engine, [record_row(100 + i, disclosure_ends_on=AS_OF - DAY)
                                              for i in range(23)])
    seen: list[list[int]] = []
    report = await sweep(sweep_engine, PROFILE, AS_OF, batch_size=5, on_batch=lambda step, batch: seen.append(batch))
    assert report.counts[SweepStep.ARCHIVE] == 23 and report.batches == 5
    assert [len(b) for b in seen] == [5, 5, 5, 5, 3]
    assert sorted(sum(seen, [])) == sorted(ids)
    assert (await counts(sweep_engine))["archived"] == 23


def _cli(monkeypatch, url: str, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CREDIT_PROFILE", "huancui")
    return cli.main(["sweep", *args])


def test_cli_refuses_a_future_day_and_a_non_date(tmp_path, monkeypatch, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    future = (dt.date.today() + 3 * DAY).isoformat()
    assert _cli(monkeypatch, url, "--as-of", future) == 2
    assert "is in the future" in capsys.readouterr().err
    assert _cli(monkeypatch, url, "--as-of", "20-11-2026") == 2
    assert "is not a date" in capsys.readouterr().err
    assert _cli(monkeypatch, url, "--batch-size", "0") == 2


def test_cli_sweeps_as_of_a_day_and_says_what_it_did(tmp_path, monkeypatch, capsys):
    import asyncio

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"

    async def prepare():
        engine = create_engine(url)
        await initialise(engine, "huancui")
        await insert_records(engine, [record_row(200 + i, disclosure_ends_on=AS_OF - DAY) for i in range(3)])
        await engine.dispose()

    asyncio.run(prepare())
    assert _cli(monkeypatch, url, "--as-of", (AS_OF - DAY).isoformat()) == 0
    assert "0 archived" in capsys.readouterr().out  # not yet: the end is the day before as-of
    assert _cli(monkeypatch, url, "--as-of", AS_OF.isoformat(), "--batch-size", "2") == 0
    out = capsys.readouterr().out
    assert out.count("committed ARCHIVE: ") == 2 and "3 archived" in out
    assert _cli(monkeypatch, url, "--as-of", AS_OF.isoformat()) == 0
    assert "0 archived" in capsys.readouterr().out


async def test_one_sweeper_at_a_time_on_postgresql(sweep_engine, backend):
    from store.sweep import sweep_lock

    async with sweep_lock(sweep_engine) as first:
        assert first
        async with sweep_lock(sweep_engine) as second:
            assert second is (backend == "sqlite")  # SQLite: one process, nothing to share
    async with sweep_lock(sweep_engine) as after:
        assert after  # released when the holder's run ended


async def test_serve_sweeps_at_start_and_skips_while_another_holds_the_lock(sweep_engine, backend):
    from store.sweep import sweep_lock
    from tests.conftest import app_for

    await insert_records(sweep_engine, [record_row(400, disclosure_ends_on=AS_OF - DAY)])
    app = app_for(sweep_engine, today=AS_OF, sweep_interval_seconds=3600)
    [sweeper] = app.state.background
    if backend == "postgresql":  # a cron run holds it: serve's round does nothing
        async with sweep_lock(sweep_engine) as held:
            assert held
            assert await sweeper.run_once() is None
        assert (await counts(sweep_engine))["archived"] == 0
    async with app.router.lifespan_context(app):
        for _ in range(100):
            if sweeper.last is not None:
                break
            await asyncio.sleep(0.05)
    assert sweeper.last is not None and sweeper.last.counts[SweepStep.ARCHIVE] == 1
    assert (await counts(sweep_engine))["archived"] == 1
