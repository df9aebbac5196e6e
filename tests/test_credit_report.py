"""The printable credit report, `GET /reports/{code}` (信用报告, XZ-21), through HTTP.

The subject itself and its grantee (HC-22) get the page with the records their rights open, by
category and with status and periods; everyone else is refused with JSON and a code. The page
names what the reader could not see (classes, never content), and carries a receipt whose hash,
kept in the request's chained query-log entry, is the hash of the content the page embeds.
A log that cannot be written is a 503 and no report (HC-35).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import httpx
from sqlalchemy import select

from gateway.query_log import QueryLogWriter
from resolvers.node_ids import NodeKind, global_id
from resolvers.receipts import answer_hash
from store.engine import create_engine
from store.models import Annotation, CreditCheckReceipt, QueryLogEntry, Record, Subject
from tests import world as w
from tests.conftest import app_for, graphql, make_token

GRANT = """mutation($i: GrantAuthorizationInput!) {
  grantAuthorization(input: $i) { authorization { id } errors { code field message } } }"""
CONTENT = re.compile(r'<script type="application/json" id="report-content">(.*?)</script>', re.S)


def content_of(response: httpx.Response) -> dict:
    """The report's content as the page embeds it (what the receipt's hash covers)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return json.loads(CONTENT.search(response.text).group(1))


def record_ids(content: dict) -> dict[str, str]:
    """Record global id → status, every category."""
    return {r["id"]: r["status"] for group in content["categories"] for r in group["records"]}


def rid(label: str) -> str:
    return global_id(NodeKind.RECORD, w.WORLD.records[label])


async def report(client, code: str, token: str | None, **headers) -> httpx.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await client.get(f"/reports/{code}", headers=headers)


def error_code(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "data" not in body or body["data"] is None
    return body["errors"][0]["extensions"]["code"]


async def logged(engine, response: httpx.Response):
    async with engine.connect() as connection:
        return (await connection.execute(select(QueryLogEntry.__table__).where(
            QueryLogEntry.request_id == response.headers["x-request-id"]))).one()


async def test_the_subject_gets_its_report_with_every_record_it_may_see_and_a_receipt_in_the_log(engine, client):
    response = await report(client, w.ORG_A, make_token(user="rp-org-a", subject=w.ORG_A))
    content = content_of(response)
    assert content["subject"]["code"] == w.ORG_A and content["subject"]["name"] == "威海市环翠区甲乙商贸有限公司"
    assert content["reader"]["as"] == "SUBJECT"
    # the subject sees all of its own records, whatever their status, with the status (SPEC 3.2)
    assert record_ids(content) == {rid("A-PUBLIC"): "ACTIVE", rid("A-SHARED"): "ACTIVE",
                                   rid("A-ARCHIVED"): "ARCHIVED", rid("A-REVOKED"): "REVOKED"}
    assert [g["category"] for g in content["categories"]] == ["BAD", "GOOD", "BASIC"]
    archived = next(r for g in content["categories"] for r in g["records"] if r["id"] == rid("A-ARCHIVED"))
    assert archived["decidedOn"] == "2019-03-01" and archived["disclosureEndsOn"] == "2024-03-01"
    assert archived["archivedOn"] == "2024-03-02"
    assert content["withheld"] == []
    assert content["issuedAt"].endswith("+08:00")  # Asia/Shanghai
    page = response.text
    assert "信用报告" in page and "Noto Sans CJK SC" in page and "@page { size: A4" in page
    assert "verifyCreditCheck" in page
    receipt_id = re.search(r'id="receipt-id">(R[0-9A-F]+)<', page).group(1)
    shown_hash = re.search(r'id="answer-hash">([0-9a-f]{64})<', page).group(1)
    assert shown_hash == answer_hash(content)
    entry = await logged(engine, response)
    assert entry.receipts == [{"receipt": receipt_id, "code": w.ORG_A, "hash": shown_hash, "kind": "CREDIT_REPORT"}]
    assert entry.outcome == "OK" and entry.subjects == [w.ORG_A] and entry.operation_name == "creditReport"
    assert sorted(entry.record_ids) == sorted(w.WORLD.records[label] for label in
                                              ("A-PUBLIC", "A-SHARED", "A-ARCHIVED", "A-REVOKED"))
    async with engine.connect() as connection:
        filed = (await connection.execute(select(CreditCheckReceipt.__table__).where(
            CreditCheckReceipt.receipt_id == receipt_id))).one()
    assert (filed.log_seq, filed.answer_hash, filed.subject_code) == (entry.seq, shown_hash, w.ORG_A)


async def test_an_open_objection_is_printed_beside_its_record(engine, client):
    """A subject of this module's own (series RP) with a copy of A-PUBLIC under open objection (HC-29)."""
    code = w.org_code(1, series="RP")
    async with engine.begin() as connection:
        if (await connection.execute(select(Subject.code).where(Subject.code == code))).first() is None:
            await connection.execute(Subject.__table__.insert(), [{"code": code, "kind": "ORGANISATION",
                                                                   "name": "威海市报告测试有限公司", "status": "ACTIVE"}])
            row = (await connection.execute(select(Record.__table__).where(
                Record.id == w.WORLD.records["A-PUBLIC"]))).one()._asdict()
            row.update(subject_code=code, document_number="RP〔2026〕1号")
            del row["id"]
            record_id = (await connection.execute(Record.__table__.insert().values(**row))).inserted_primary_key[0]
            await connection.execute(Annotation.__table__.insert(), [{
                "record_id": record_id, "kind": "OBJECTION_OPEN", "text": "信息主体已提出异议，正在核查中",
                "created_at": dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)}])
    response = await report(client, code, make_token(user="rp-annotated", subject=code))
    [record] = [r for g in content_of(response)["categories"] for r in g["records"]]
    assert [(a["kind"], a["text"]) for a in record["annotations"]] == [("OBJECTION_OPEN", "信息主体已提出异议，正在核查中")]
    assert "异议处理中" in response.text and "信息主体已提出异议，正在核查中" in response.text


async def test_the_page_escapes_what_it_shows_and_embeds_no_markup(engine, client):
    """A name with markup prints as text; the embedded content cannot close its script element."""
    response = await report(client, w.PERSON_P, make_token(user="rp-person-p", subject=w.PERSON_P,
                                                           name="<b>王</b></script>&"))
    content = content_of(response)
    assert content["reader"]["name"] == "<b>王</b></script>&"
    assert "<b>王</b>" not in response.text and html.escape("<b>王</b></script>&") in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


async def test_a_grantee_gets_the_records_its_authorisation_opens_and_is_told_what_it_could_not_see(client):
    subject = make_token(user="rp-p", subject=w.PERSON_P)
    now = dt.datetime.now(dt.timezone.utc)
    body = await graphql(client, GRANT, {"i": {
        "grantee": {"user": "rp-bank"}, "scope": {"classes": ["AUTHORIZED"]}, "purpose": "LICENSING",
        "validFrom": (now - dt.timedelta(days=1)).isoformat(), "validUntil": (now + dt.timedelta(days=30)).isoformat(),
        "writtenAuthorizationRef": "SQ-RP-1"}}, token=subject)
    assert body["data"]["grantAuthorization"]["errors"] == [], body
    grantee = make_token(user="rp-bank")
    content = content_of(await report(client, w.PERSON_P, grantee,
                                      **{"X-Query-Purpose": "licensing", "X-Query-Basis": "SQ-RP-1"}))
    assert record_ids(content) == {rid("P-PUBLIC"): "ACTIVE", rid("P-AUTHORIZED"): "ACTIVE"}
    assert content["reader"]["as"] == "GRANTEE" and content["reader"]["authorization"]
    withheld = {w_["visibility"]: w_["items"] for w_ in content["withheld"]}
    assert set(withheld) == {"SHARED", "LIMITED"} and withheld["SHARED"] == []  # whole classes, no content
    assert "P-SHARED" not in json.dumps(content)
    # without the authorisation's purpose and basis it is not a grantee's request: refused
    assert error_code(await report(client, w.PERSON_P, grantee), 403) == "FORBIDDEN"


async def test_everyone_else_is_refused_with_json_and_the_refusal_is_logged(engine, client):
    other = make_token(user="rp-other", subject=w.ORG_B)
    response = await report(client, w.ORG_A, other)
    assert error_code(response, 403) == "FORBIDDEN"
    entry = await logged(engine, response)
    assert entry.outcome == "REFUSED" and entry.receipts is None
    assert entry.refused[0]["code"] == "FORBIDDEN" and "XZ-21" in entry.refused[0]["rule"]
    officer = make_token(user="rp-officer", department="SCJG", roles=("officer",))
    assert error_code(await report(client, w.ORG_A, officer, **{"X-Query-Purpose": "supervision",
                                                                "X-Query-Basis": "RP-1"}), 403) == "FORBIDDEN"
    assert error_code(await report(client, w.ORG_A, None), 401) == "UNAUTHENTICATED"
    assert error_code(await report(client, w.ORG_A, "not-a-token"), 401) == "UNAUTHENTICATED"
    bad = w.ORG_A[:-1] + ("0" if w.ORG_A[-1] != "0" else "1")
    response = await report(client, bad, make_token(user="rp-bad", subject=w.ORG_A))
    assert error_code(response, 400) == "BAD_USER_INPUT"
    assert response.json()["errors"][0]["extensions"]["fault"] == "CHECK_DIGIT"
    unknown = w.org_code(999_999, series="RP")
    assert error_code(await report(client, unknown, make_token(user="rp-new", subject=unknown)), 404) == "NOT_FOUND"
    assert error_code(await client.get(f"/reports/{w.ORG_A}?format=pdf", headers={
        "Authorization": f"Bearer {make_token(user='rp-org-a', subject=w.ORG_A)}"}), 400) == "BAD_REQUEST"


async def test_no_report_when_the_log_cannot_be_written(engine):
    app = app_for(engine)
    nowhere = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    app.state.gateway.query_log = QueryLogWriter(nowhere)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
        response = await report(client, w.ORG_A, make_token(user="rp-org-a", subject=w.ORG_A))
    await nowhere.dispose()
    assert error_code(response, 503) == "QUERY_LOG_UNAVAILABLE"
    assert "信用报告" not in response.text and "receipt" not in response.text.lower()
