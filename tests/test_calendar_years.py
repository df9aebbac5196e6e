"""Operator-added holiday years (SPEC 3.4, last point): deadlines follow them at once.

Until 2027's schedule is published, a deadline running into 2027 is counted on weekdays less the
statutory holidays and marked provisional; adding the year counts it again on the real schedule. The 2027 schedule here is made
up (not the real notice) and is removed again afterwards, since the session's database is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sqlite3

import httpx
import pytest
from sqlalchemy import delete, func, select

from domain.working_days import ScheduleError
from gateway.calendar_cli import add_calendar_command
from resolvers.calendar_years import add_calendar_year, working_day_calendar
from store.models import CalendarYear, Record, SubmissionLogEntry
from tests import world
from tests.conftest import app_for, graphql, make_token
from tests.test_working_days import HYPOTHETICAL_2027  # the same made-up 2027 arrangement

SUBMIT = """
mutation($input: [RecordInput!]!) {
  submitRecords(input: {records: $input, mode: BEST_EFFORT}) { result { outcomes { recordId status } } }
}
"""
TOKEN = make_token(user="cal-scjg", department="SCJG", roles=["officer"])


org = functools.partial(world.org_code, series="QU")


async def submit_decided_on_new_years_eve(engine, serial: int) -> int:
    """A penalty decided Thu 2026-12-31, submitted that day: due 7 working days later, in 2027."""
    item = {"subjectCode": org(serial), "subjectName": f"日历测试{serial}有限公司", "catalogueItem": "HC-13-6-PENALTY",
            "documentNumber": f"日历〔2026〕{serial}号", "issuingAuthority": "环翠区市场监督管理局",
            "decidedOn": "2026-12-31", "content": {"violation": "x", "legalBasis": "y", "penaltyKind": "警告"}}
    app = app_for(engine, today=dt.date(2026, 12, 31))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        body = await graphql(client, SUBMIT, {"input": [item]}, token=TOKEN)
    [outcome] = body["data"]["submitRecords"]["result"]["outcomes"]
    assert outcome["status"] == "STORED", body
    return int(outcome["recordId"])


async def deadline_of(engine, record_id: int) -> tuple[dt.date, bool]:
    async with engine.connect() as connection:
        row = (await connection.execute(select(Record.deadline_on, Record.deadline_provisional).where(
            Record.id == record_id))).one()
    return row.deadline_on, row.deadline_provisional


@pytest.fixture
async def clean_2027(engine):
    yield
    async with engine.begin() as connection:
        await connection.execute(delete(CalendarYear).where(CalendarYear.year == 2027))


async def test_an_added_year_changes_the_deadline_and_clears_the_provisional_flag(engine, clean_2027):
    before = await submit_decided_on_new_years_eve(engine, 1)
    # Weekdays less the statutory 元旦 (Fri 01-01): Mon 01-04 … Fri 01-08, Mon 01-11, Tue 01-12.
    assert await deadline_of(engine, before) == (dt.date(2027, 1, 12), True)
    log = await _count(engine, SubmissionLogEntry.action == "CALENDAR")

    change = await add_calendar_year(engine, HYPOTHETICAL_2027, "2027.yaml", user="cal-operator")
    assert (change.year, change.holidays, change.working_days, change.replaced) == (2027, 3, 1, False)
    assert change.recounted >= 1
    assert (await working_day_calendar(engine)).is_published(2027)
    assert await _count(engine, SubmissionLogEntry.action == "CALENDAR") == log + 1

    # 2027's schedule makes Saturday 01-09 a working day: the 7th working day is Mon 01-11, and certain.
    assert await deadline_of(engine, before) == (dt.date(2027, 1, 11), False), "stored deadlines are counted again"
    after = await submit_decided_on_new_years_eve(engine, 2)
    assert await deadline_of(engine, after) == (dt.date(2027, 1, 11), False)

    again = await add_calendar_year(engine, HYPOTHETICAL_2027.replace("2027-01-01..2027-01-03", "2027-01-01"),
                                    "2027.yaml")
    assert again.replaced and again.holidays == 1 and again.recounted == 0


@pytest.mark.parametrize("text, source, fault", [
    (HYPOTHETICAL_2027.replace("2027-01-09", "2027-01-08"), "2027.yaml", "only weekend days"),
    (HYPOTHETICAL_2027, "2028.yaml", "named for 2028"),
    ("year: 2027\nholidays: [2027-01-01\n", "2027.yaml", "not valid YAML"),
    (HYPOTHETICAL_2027.replace("source:", "sauce:"), "2027.yaml", "unknown key"),
    ("year: 1899\nholidays: [1899-01-01]\n", "holidays.yaml", "outside"),
    ("year: 2030\nsource: x\nholidays: [2030-13-01]\n", "2030.yaml", "a date that does not exist"),
    ("year: 2030\nsource: x\n", "2030.yaml", "lists no dates"),
    ("year: 2030\nsource: x\nholidays: []\nworking_days: []\n", "2030.yaml", "lists no dates"),
])
async def test_a_faulty_schedule_changes_nothing(engine, clean_2027, text, source, fault):
    years = await _count(engine, CalendarYear.year.is_not(None), model=CalendarYear)
    with pytest.raises(ScheduleError, match=fault) as caught:
        await add_calendar_year(engine, text, source)
    assert source in str(caught.value)
    assert await _count(engine, CalendarYear.year.is_not(None), model=CalendarYear) == years
    assert not (await working_day_calendar(engine)).is_published(2027)


def test_the_cli_adds_a_year(tmp_path, monkeypatch, capsys):
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("CREDIT_DATA_DIR", str(tmp_path))
    parser = argparse.ArgumentParser(prog="credit-gateway")
    add_calendar_command(parser.add_subparsers(dest="command"))

    bad = tmp_path / "2027.yaml"
    bad.write_text(HYPOTHETICAL_2027.replace("2027-01-09", "2027-01-08"), encoding="utf-8")
    args = parser.parse_args(["add-holidays", str(bad)])
    assert args.func(args) == 2
    assert "holidays not added" in capsys.readouterr().err
    impossible = tmp_path / "2030.yaml"  # an unquoted impossible date: a clear refusal, not a traceback
    impossible.write_text("year: 2030\nsource: x\nholidays: [2030-13-01]\n", encoding="utf-8")
    args = parser.parse_args(["add-holidays", str(impossible)])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert "holidays not added" in err and "does not exist" in err and "Traceback" not in err

    good = tmp_path / "ok" / "2027.yaml"
    good.parent.mkdir()
    good.write_text(HYPOTHETICAL_2027, encoding="utf-8")
    args = parser.parse_args(["add-holidays", str(good), "--user", "ops"])
    assert args.func(args) == 0
    assert "2027 added: 3 holiday dates, 1 adjusted working days" in capsys.readouterr().out
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT year, source FROM calendar_years").fetchall() == [(2027, str(good))]
        assert connection.execute("SELECT user FROM submission_log WHERE action = 'CALENDAR'").fetchall() == [("ops",)]


async def _count(engine, *where, model=SubmissionLogEntry) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(model).where(*where))).scalar()
