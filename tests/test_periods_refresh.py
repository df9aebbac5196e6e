"""A database filled under the earlier period rules gets today's periods at start (store/period_refresh.py):
a general penalty archived 12 months after its decision is read by departments again until 5 years after
its act ended, leaves public view when its publicity ends, and an act end that is unknown stays open.

Its own SQLite file: refreshing the shared test database would change the periods other modules rely on.
"""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import delete, insert, select

from domain.enums import RecordStatus
from store.bootstrap import initialise
from store.engine import create_engine
from store.models import Record, Setting, Subject, SubmissionLogEntry
from store.period_refresh import PERIOD_RULES, SETTING
from tests import world
from tests.conftest import app_for, graphql, make_token

CODE = world.org_code(1, series="PR")
READ = """query($c: [ID!]!) { subjects(codes: $c) { records(first: 10) { edges { node {
  documentNumber status disclosureEndsOn publicityEndsOn } } } } }"""
AS_OF = """query($c: ID!, $d: Date) { subject(code: $c, asOf: $d) { records(status: null, first: 10) { edges { node {
  documentNumber status disclosureEndsOn events(first: 10) { nodes { kind effectiveOn before after } } } } } } }"""
TODAY = dt.date(2026, 11, 20)  # the day of the start that refreshes, and of the reads
OFFICER = make_token(user="refresh-gaj", department="GAJ", roles=["officer"])


def penalty(number: str, decided: dt.date, act_ended: dt.date | None, old_end: dt.date) -> dict:
    return {"subject_code": CODE, "catalogue_item_code": "HC-13-6-PENALTY", "provider_code": "SCJG", "category": "BAD",
            "family": "PENALTY", "visibility": "PUBLIC", "severity": "GENERAL", "document_number": number,
            "issuing_authority": "环翠区市场监督管理局", "decided_on": decided, "act_ended_on": act_ended,
            "disclosure_ends_on": old_end, "status": RecordStatus.ACTIVE.value, "channel": "API",
            "content": {"violation": "x", "legalBasis": "y", "penaltyKind": "罚款", "fineAmount": 1},
            "submitted_by": "before-issue-15", "late_working_days": 0,
            "submitted_at": dt.datetime.combine(decided, dt.time(9), dt.timezone.utc)}


async def numbers(client, token=None, declared=None) -> dict:
    body = await graphql(client, READ, {"c": [CODE]}, token=token, **(declared or {}))
    return {e["node"]["documentNumber"]: e["node"] for s in body["data"]["subjects"] for e in s["records"]["edges"]}


async def test_records_stored_under_the_old_rules_get_todays_periods_once(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await initialise(engine, "huancui")
        async with engine.begin() as connection:
            await connection.execute(insert(Subject.__table__).values(code=CODE, kind="ORGANISATION",
                                                                       name="威海市环翠区旧规则有限公司", status="ACTIVE",
                                                                       created_at=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)))
            await connection.execute(insert(Record.__table__), [
                # the old rules: 12 months from the decision, whatever the act
                penalty("旧〔2025〕1号", dt.date(2025, 3, 3), dt.date(2025, 3, 3), dt.date(2026, 3, 3)),
                penalty("旧〔2026〕2号", dt.date(2026, 1, 5), dt.date(2026, 1, 5), dt.date(2027, 1, 5)),
            ])
            await connection.execute(delete(Setting.__table__).where(Setting.key == SETTING))  # a pre-issue-15 database
        await initialise(engine, "huancui", today=TODAY)
        async with engine.connect() as connection:
            assert (await connection.execute(select(Setting.value).where(Setting.key == SETTING))).scalar() == PERIOD_RULES

        app = app_for(engine, today=TODAY)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            officer = await numbers(client, OFFICER, {"purpose": "licensing", "basis": "XK-2026-0001"})
            assert officer["旧〔2025〕1号"] == {"documentNumber": "旧〔2025〕1号", "status": "ACTIVE",
                                             "disclosureEndsOn": "2030-03-03", "publicityEndsOn": "2026-03-03"}
            assert officer["旧〔2026〕2号"]["disclosureEndsOn"] == "2031-01-05"
            assert set(await numbers(client)) == {"旧〔2026〕2号"}, "the public sees only what is still on display"
            # asOf the day before the refresh: the periods the platform used then (its event puts them back)
            subject = make_token(user="refresh-org", subject=CODE)
            today = TODAY
            then = await graphql(client, AS_OF, {"c": CODE, "d": (today - dt.timedelta(days=1)).isoformat()},
                                 token=subject)
            assert then["data"]["subject"] is not None, then
            shown = {e["node"]["documentNumber"]: e["node"] for e in then["data"]["subject"]["records"]["edges"]}
            assert (shown["旧〔2025〕1号"]["status"], shown["旧〔2025〕1号"]["disclosureEndsOn"]) == ("ARCHIVED", "2026-03-03")
            assert shown["旧〔2026〕2号"]["disclosureEndsOn"] == "2027-01-05"
            now = await graphql(client, AS_OF, {"c": CODE, "d": today.isoformat()}, token=subject)
            event = next(e for e in now["data"]["subject"]["records"]["edges"][0]["node"]["events"]["nodes"]
                         if e["kind"] == "PERIODS_RECOMPUTED")
            assert event["effectiveOn"] == today.isoformat() and set(event["before"]) == set(event["after"]) >= {
                "disclosureEndsOn"}
        async with engine.connect() as connection:
            logged = (await connection.execute(select(SubmissionLogEntry.detail).where(
                SubmissionLogEntry.action == "PERIODS_RECOMPUTED"))).scalars().all()
        assert [(d["rules"], len(d["record_ids"])) for d in logged] == [(PERIOD_RULES, 2)]

        async with engine.begin() as connection:  # a later start changes nothing by hand-made edits
            await connection.execute(Record.__table__.update().values(disclosure_ends_on=dt.date(2026, 3, 3))
                                     .where(Record.document_number == "旧〔2025〕1号"))
        await initialise(engine, "huancui")
        async with engine.connect() as connection:
            kept = (await connection.execute(select(Record.disclosure_ends_on)
                                             .where(Record.document_number == "旧〔2025〕1号"))).scalar()
        assert kept == dt.date(2026, 3, 3), "refreshed once per rules version, not at every start"
    finally:
        await engine.dispose()
