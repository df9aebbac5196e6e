"""Instants and days (issue 10, item 6): an instant given with an offset is the instant meant, on
SQLite and PostgreSQL; instants come back with their offset; "today" is the jurisdiction's
(Beijing) day, not the host's. Through HTTP on the real app, its clock fixed where it matters.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from store.chain import QUERY_LOG, SUBMISSION_LOG
from store.log_archive import verify_stored
from tests import world as w
from tests.conftest import app_for, graphql, make_token, row_number
from tests.test_access_matrix import GRANT, labels_of, read

BEIJING = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
# 16:00 UTC on 29 November is already 00:00 on 30 November in Beijing.
NOW = dt.datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
SUBJECT = make_token(user="inst-p", subject=w.PERSON_P)
SCJG = make_token(user="inst-scjg", department="SCJG", roles=["officer"])
OPERATOR = make_token(user="inst-centre", department="XYZX", roles=["operator"])
AUDITOR = make_token(user="inst-audit", department="FGJ", roles=["auditor"])
org = lambda serial: w.org_code(serial, series="TM")  # noqa: E731  (this module's organisations)


@pytest.fixture
async def at_16_utc(engine):
    """A client of the app whose clock says 2026-11-29T16:00Z."""
    app = app_for(engine, now=NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


def errors_of(body: dict) -> list[dict]:
    return body.get("errors") or []


async def grant(client, user: str, valid_from: str, valid_until: str) -> dict:
    body = await graphql(client, GRANT.replace("{ id purpose", "{ id validFrom validUntil purpose"),
                         {"grantee": {"user": user}, "scope": {"classes": ["AUTHORIZED"]}, "purpose": "LICENSING",
                          "from": valid_from, "until": valid_until, "ref": "SQ-INST-1"}, token=SUBJECT)
    assert not errors_of(body) and body["data"]["grantAuthorization"]["errors"] == [], body
    return body["data"]["grantAuthorization"]["authorization"]


async def test_a_grant_given_in_beijing_time_applies_from_that_instant(at_16_utc, engine, backend):
    # Half an hour before the clock's now, and half an hour after, both written in Beijing time.
    started = await grant(at_16_utc, "inst-bank-started", "2026-11-29T23:30:00+08:00", "2026-12-29T23:30:00+08:00")
    pending = await grant(at_16_utc, "inst-bank-pending", "2026-11-30T00:30:00+08:00", "2026-12-29T23:30:00+08:00")
    # Shown in UTC, with the offset: the same instants.
    assert (started["validFrom"], started["validUntil"]) == ("2026-11-29T15:30:00+00:00", "2026-12-29T15:30:00+00:00")
    assert pending["validFrom"] == "2026-11-29T16:30:00+00:00"
    mine = await graphql(at_16_utc, "{ myAuthorizations { id validFrom revokedAt } }", token=SUBJECT)
    stored = {a["id"]: a for a in mine["data"]["myAuthorizations"]}
    assert stored[started["id"]]["validFrom"] == "2026-11-29T15:30:00+00:00"

    started_view = await read(at_16_utc, make_token(user="inst-bank-started"), purpose="licensing", basis="SQ-INST-1")
    assert "P-AUTHORIZED" in labels_of(started_view), "the grant began half an hour ago"
    pending_view = await read(at_16_utc, make_token(user="inst-bank-pending"), purpose="licensing", basis="SQ-INST-1")
    assert "P-AUTHORIZED" not in labels_of(pending_view), "the grant begins in half an hour"

    async with engine.connect() as connection:  # stored as the instant itself (SQLite: UTC text)
        raw = (await connection.execute(text("SELECT valid_from FROM authorizations WHERE id = :id"),
                                        {"id": row_number(started["id"])})).scalar()
    if backend == "sqlite":
        assert str(raw).startswith("2026-11-29 15:30:00")
    else:
        assert raw == dt.datetime(2026, 11, 29, 15, 30, tzinfo=UTC)
    for table in (QUERY_LOG, SUBMISSION_LOG):  # the chains still verify over what was written
        assert (await verify_stored(engine, table)).fault is None


async def test_a_datetime_without_offset_is_refused_naming_it(at_16_utc):
    variables = {"grantee": {"user": "inst-bank-naive"}, "scope": {"classes": ["AUTHORIZED"]},
                 "purpose": "LICENSING", "from": "2026-11-29T23:30:00", "until": "2026-12-29T23:30:00+08:00",
                 "ref": "SQ-INST-2"}
    body = await graphql(at_16_utc, GRANT, variables, token=SUBJECT)
    [error] = errors_of(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and body.get("data") is None
    assert "$from" in error["message"] and "offset" in error["message"] and "+08:00" in error["message"]
    literal = await graphql(at_16_utc, '{ queryLog(filter: {to: "2026-11-30T08:00:00"}) { totalCount } }',
                            token=AUDITOR)
    [error] = errors_of(literal)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "offset" in error["message"]


async def test_the_query_log_filter_honours_the_offset_and_shows_it(client):
    user = f"inst-log-{uuid.uuid4().hex[:8]}"
    before = dt.datetime.now(BEIJING) - dt.timedelta(minutes=2)
    probe = await client.post("/graphql", json={"query": "{ departments { code } }"},
                              headers={"Authorization": f"Bearer {make_token(user=user)}"})
    assert probe.status_code == 200 and "errors" not in probe.json(), probe.text
    after = dt.datetime.now(BEIJING) + dt.timedelta(minutes=2)
    query = """query($f: QueryLogFilter) { queryLog(filter: $f, first: 10) { totalCount
               edges { node { user at } } } }"""
    body = await graphql(client, query, {"f": {"user": user, "from": before.isoformat(), "to": after.isoformat()}},
                         token=AUDITOR)
    assert not errors_of(body), body
    [edge] = body["data"]["queryLog"]["edges"]
    at = edge["node"]["at"]
    assert at.endswith("+00:00"), at
    assert before <= dt.datetime.fromisoformat(at) <= after
    # An instant just after the entry, in Beijing time, excludes it.
    later = await graphql(client, query, {"f": {"user": user, "from": after.isoformat()}}, token=AUDITOR)
    assert later["data"]["queryLog"]["totalCount"] == 0


def penalty(serial: int, decided_on: str) -> dict:
    return {"subjectCode": org(serial), "subjectName": f"威海市环翠区时区测试{serial}有限公司",
            "catalogueItem": "HC-13-6-PENALTY", "documentNumber": f"威环市监罚〔2026〕TM{serial}号",
            "issuingAuthority": "环翠区市场监督管理局", "decidedOn": decided_on,
            "content": {"violation": "销售过期食品", "legalBasis": "《食品安全法》第一百二十四条",
                        "penaltyKind": "罚款", "fineAmount": "300"}}


SUBMIT = """mutation($input: [RecordInput!]!) { submitRecords(input: {records: $input, mode: BEST_EFFORT}) {
  result { stored outcomes { index recordId status errors { field message } } } } }"""


async def test_today_is_the_beijing_day(at_16_utc, engine):
    # 2026-11-30 is today in Beijing at 16:00 UTC on the 29th: a decision of that day is accepted.
    body = await graphql(at_16_utc, SUBMIT, {"input": [penalty(1, "2026-11-30"), penalty(2, "2026-11-18")]},
                         token=SCJG)
    assert not errors_of(body), body
    outcomes = body["data"]["submitRecords"]["result"]["outcomes"]
    assert [o["errors"] for o in outcomes] == [[], []], outcomes
    late_id = outcomes[1]["recordId"]
    # Decided Wed 18 Nov: 7 working days make it due Fri 27 Nov. It came in on Monday 30 Nov
    # (Beijing), one working day late; on the host's UTC day (Sunday 29th) it would count 0.
    record = await graphql(at_16_utc, "query($id: ID!) { record(id: $id) { submittedAt lateWorkingDays } }",
                           {"id": late_id}, token=SCJG)
    assert record["data"]["record"] == {"submittedAt": "2026-11-29T16:00:00+00:00", "lateWorkingDays": 1}
    late = await graphql(at_16_utc, """{ lateSubmissions(department: "SCJG", from: "2026-11-30", to: "2026-11-30",
        first: 100) { edges { node { recordId submittedAt lateWorkingDays deadlineOn } } } }""", token=OPERATOR)
    assert not errors_of(late), late
    nodes = {e["node"]["recordId"]: e["node"] for e in late["data"]["lateSubmissions"]["edges"]}
    assert nodes[late_id] == {"recordId": late_id, "submittedAt": "2026-11-29T16:00:00+00:00",
                              "lateWorkingDays": 1, "deadlineOn": "2026-11-27"}
    # A minute earlier (15:59Z, 23:59 on the 29th in Beijing) a decision of the 30th is in the future.
    app = app_for(engine, now=NOW - dt.timedelta(minutes=1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as earlier:
        body = await graphql(earlier, SUBMIT, {"input": [penalty(3, "2026-11-30")]}, token=SCJG)
    [outcome] = body["data"]["submitRecords"]["result"]["outcomes"]
    assert outcome["status"] == "REJECTED" and outcome["errors"][0]["field"] == "records[0].decidedOn"
    assert "today is 2026-11-29" in outcome["errors"][0]["message"]


def test_the_profile_names_its_time_zone_and_a_wrong_one_is_refused(tmp_path):
    from domain.catalogue import PROFILES_DIR, CatalogueError, load_profile

    assert {load_profile(code).time_zone.key for code in ("huancui", "xinzheng")} == {"Asia/Shanghai"}
    source = (PROFILES_DIR / "huancui.yaml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong-zone.yaml"
    wrong.write_text(source.replace("time_zone: Asia/Shanghai", "time_zone: Asia/Beijing"), encoding="utf-8")
    with pytest.raises(CatalogueError, match="profile.time_zone 'Asia/Beijing' is not a time zone"):
        load_profile(wrong)
