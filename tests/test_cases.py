"""Revocation (HC-30), credit repair (HC-31) and honour deletion (HC-33) through HTTP (SPEC 3.4).

Each step by the right actor, refused for every other (FORBIDDEN, nothing written); deadlines in
working days across National Day and into an unpublished year; a revoked record's content absent
from every live table while the query log naming its id still reads; a repaired record shown to
its subject and auditors marked REPAIRED and to nobody else.

Subjects are this module's own (organisations of series CW, persons born 1987-07-07) and every
test its own serials, since the session's database is shared with other tests.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
from sqlalchemy import func, select, text

from domain.identifiers import resident_id_check_char
from domain.working_days import WorkingDayCalendar
from resolvers.node_ids import NodeKind, global_id
from store.models import (Annotation, Case, Notification, QueryLogEntry, Record, RecordEvent, RecordTombstone,
                          RecordVersion, SubmissionLogEntry)
from tests import world
from tests.conftest import app_for, graphql, make_token, row_number

PENALTY = "HC-13-6-PENALTY"  # BAD, PUBLIC, minimum publicity 3 months; SCJG provides it
HONOUR = "HC-12-1-HONOUR"  # GOOD, HONOUR family; TW provides it; a person's is SHARED
SCJG = make_token(user="cs-scjg", department="SCJG", roles=["officer"])
ZJJ = make_token(user="cs-zjj", department="ZJJ", roles=["officer"])  # provides the item, not these records
TW = make_token(user="cs-tw", department="TW", roles=["officer"])
OPERATOR = make_token(user="cs-op", department="XYZX", roles=["operator"])
AUDITOR = make_token(user="cs-audit", department="FGJ", roles=["auditor"])
AUDIT_BASIS = {"purpose": "supervision", "basis": "FGJ-AUDIT-2026-7"}

SUBMIT = """mutation($r: [RecordInput!]!) { submitRecords(input: {records: $r, mode: ALL_OR_NOTHING}) {
  result { outcomes { recordId status errors { field message } } } errors { message } } }"""
CASE_FIELDS = """case { id number kind state nextParty dueOn dueProvisional overdue document reason revokedOn
  openedOn closedAt record { id status } tombstone { recordNumber providerCode catalogueItemCode documentNumber
  reason reference deletedOn } subject { code } provider { code } steps { kind effectiveOn department document } }
  errors { code field message }"""
REPORT = "mutation($i: ReportRevocationInput!) { reportRevocation(input: $i) { %s } }" % CASE_FIELDS
COMPLETE = "mutation($i: CompleteRevocationInput!) { completeRevocation(input: $i) { %s } }" % CASE_FIELDS
CERTIFY = "mutation($i: CertifyRepairInput!) { certifyRepair(input: $i) { %s } }" % CASE_FIELDS
REQUEST = "mutation($i: RequestHonourDeletionInput!) { requestHonourDeletion(input: $i) { %s } }" % CASE_FIELDS
DELETE = "mutation($i: DeleteHonourInput!) { deleteHonour(input: $i) { %s } }" % CASE_FIELDS
CORRECT = "mutation($i: CorrectRecordInput!) { correctRecord(input: $i) { errors { code field message } } }"
RECORD = "query($id: ID!) { record(id: $id) { id status } }"
CASES = """query($f: CaseFilter, $after: String) { cases(filter: $f, first: 50, after: $after) {
  totalCount edges { node { number kind state overdue dueOn } } pageInfo { hasNextPage endCursor } } }"""
MY_CASES = "{ myCases(first: 50) { totalCount edges { node { number kind state } } } }"


def org(serial: int) -> str:
    return world.org_code(serial, series="CW")


def person(serial: int) -> str:
    body = f"37100219870707{serial:03d}"
    return body + resident_id_check_char(body)


def penalty(subject: str, serial: int, decided_on: str) -> dict:
    return {"subjectCode": subject, "subjectName": f"威海市环翠区案件测试{serial}有限公司", "catalogueItem": PENALTY,
            "documentNumber": f"威环市监罚〔2026〕CS{serial}号", "issuingAuthority": "环翠区市场监督管理局",
            "decidedOn": decided_on,
            "content": {"violation": f"案件测试违法事实{serial}", "legalBasis": "《食品安全法》第一百二十四条",
                        "penaltyKind": "罚款", "fineAmount": "3000.00"}}


def honour(subject: str, serial: int, name: str) -> dict:
    return {"subjectCode": subject, "subjectName": name, "catalogueItem": HONOUR,
            "documentNumber": f"环团发〔2026〕CS{serial}号", "issuingAuthority": "共青团威海市环翠区委员会",
            "decidedOn": "2026-05-04",
            "content": {"honourName": f"优秀志愿者{serial}", "honourKind": "AWARD", "awardingBody": "共青团环翠区委",
                        "level": "区级", "awardedOn": "2026-05-04"}}


async def on(engine, today: dt.date):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(engine, today=today)), base_url="http://gateway")


async def submit(client, item: dict, token: str) -> str:
    body = await graphql(client, SUBMIT, {"r": [item]}, token=token)
    outcome = body["data"]["submitRecords"]["result"]["outcomes"][0]
    assert outcome["status"] == "STORED", body
    return global_id(NodeKind.RECORD, outcome["recordId"])


def payload(body: dict, name: str) -> dict:
    assert "errors" not in body or all(e["extensions"]["code"] == "PURPOSE_REQUIRED" for e in body["errors"]), body
    return body["data"][name]


def forbidden(body: dict) -> bool:
    return body.get("data") is None and [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def count(engine, model, *where) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(model).where(*where))).scalar()


async def writes(engine) -> tuple[int, int, int, int]:
    """Cases, events, notifications and submission-log entries: what a refused step must not add."""
    return (await count(engine, Case), await count(engine, RecordEvent), await count(engine, Notification),
            await count(engine, SubmissionLogEntry))


# ---- revocation (HC-30) ------------------------------------------------------------------------


async def test_a_revocation_hides_the_record_at_once_and_the_centre_deletes_its_content(engine):
    subject = org(101)
    async with await on(engine, dt.date(2026, 9, 28)) as client:
        record_id = await submit(client, penalty(subject, 101, "2026-09-21"), SCJG)
        assert (await graphql(client, RECORD, {"id": record_id}))["data"]["record"]["status"] == "ACTIVE"
        corrected = await graphql(client, CORRECT, {"i": {"id": record_id, "reason": "金额更正", "changes": {
            "content": {"fineAmount": "3500.00", "violation": "案件测试违法事实101（更正）"}}}}, token=SCJG)
        assert corrected["data"]["correctRecord"]["errors"] == [], corrected
    number = row_number(record_id)
    assert await count(engine, RecordVersion, RecordVersion.record_id == number) == 2  # as stored, as corrected
    async with await on(engine, dt.date(2026, 9, 30)) as client:
        body = await graphql(client, REPORT, {"i": {"recordId": record_id, "revokedOn": "2026-09-29",
                                                    "document": "威环市监撤〔2026〕1号"}}, token=SCJG)
        case = payload(body, "reportRevocation")["case"]
        # received the day before National Day: 3 working days are 8, 9 and 10 October (a Saturday worked)
        assert (case["kind"], case["state"], case["nextParty"]) == ("REVOCATION", "REPORTED", "CENTRE")
        assert (case["dueOn"], case["dueProvisional"], case["overdue"]) == ("2026-10-10", False, False)
        assert case["revokedOn"] == "2026-09-29" and case["closedAt"] is None and case["tombstone"] is None
        assert [s["kind"] for s in case["steps"]] == ["REVOCATION_REPORTED"]
        assert case["steps"][0]["department"] == "SCJG" and case["steps"][0]["document"] == "威环市监撤〔2026〕1号"
        # off every query at once (the decision is revoked); its subject and provider see it REVOKED
        assert (await graphql(client, RECORD, {"id": record_id}))["data"]["record"] is None
        officer = make_token(user="cs-fy", department="FY", roles=["officer"])
        assert (await graphql(client, RECORD, {"id": record_id}, token=officer, purpose="licensing",
                              basis="X-1"))["data"]["record"] is None
        for reader in (make_token(user="cs-org101", subject=subject), SCJG):
            assert (await graphql(client, RECORD, {"id": record_id}, token=reader))["data"]["record"]["status"] == \
                "REVOKED"
        again = payload(await graphql(client, REPORT, {"i": {"recordId": record_id, "revokedOn": "2026-09-29",
                                                             "document": "again"}}, token=SCJG), "reportRevocation")
        assert [e["code"] for e in again["errors"]] == ["ALREADY_REVOKED"] and again["case"] is None
    async with await on(engine, dt.date(2026, 10, 9)) as client:
        done = payload(await graphql(client, COMPLETE, {"i": {"caseId": case["id"]}}, token=OPERATOR),
                       "completeRevocation")
        case = done["case"]
        assert done["errors"] == [] and (case["state"], case["nextParty"]) == ("REVOKED", "NONE")
        assert case["closedAt"] and case["record"] is None
        assert case["tombstone"] == {"recordNumber": number, "providerCode": "SCJG", "catalogueItemCode": PENALTY,
                                     "documentNumber": "威环市监罚〔2026〕CS101号", "reason": "REVOKED",
                                     "reference": "威环市监撤〔2026〕1号", "deletedOn": "2026-10-09"}
        assert [s["kind"] for s in case["steps"]] == ["REVOCATION_REPORTED", "REVOKED"]
        for reader in (None, SCJG, make_token(user="cs-org101", subject=subject)):
            assert (await graphql(client, RECORD, {"id": record_id}, token=reader))["data"]["record"] is None
        twice = payload(await graphql(client, COMPLETE, {"i": {"caseId": case["id"]}}, token=OPERATOR),
                        "completeRevocation")
        assert [e["code"] for e in twice["errors"]] == ["ALREADY_REVOKED"]
        # the query log entries naming the record still read, by its number
        log = await graphql(client, """{ queryLog(filter: {subject: "%s"}, first: 50) {
            edges { node { recordIds } } } }""" % subject, token=AUDITOR, **AUDIT_BASIS)
        assert any(number in e["node"]["recordIds"] for e in log["data"]["queryLog"]["edges"]), log
    # content out of every live table and version; the tombstone and the events' dates stay
    async with engine.connect() as connection:
        assert await count(engine, Record, Record.id == number) == 0
        assert await count(engine, RecordVersion, RecordVersion.record_id == number) == 0
        assert await count(engine, Annotation, Annotation.record_id == number) == 0
        assert await count(engine, RecordTombstone, RecordTombstone.record_id == number) == 1
        events = (await connection.execute(select(RecordEvent).where(RecordEvent.record_id == number))).all()
        assert {e.kind for e in events} >= {"REVOCATION_REPORTED", "REVOKED"}
        assert all(e.before == {} and e.after == {} for e in events)
        messages = (await connection.execute(select(Notification.message).where(
            Notification.record_id == number))).scalars().all()
        logged = (await connection.execute(select(SubmissionLogEntry.action).where(
            SubmissionLogEntry.action.like("CASE_REVOCATION_%")))).scalars().all()
        if connection.dialect.name == "postgresql":
            dump = (await connection.execute(text(
                "SELECT string_agg(t::text, '') FROM (SELECT * FROM records) t"))).scalar() or ""
        else:
            dump = json.dumps([list(r) for r in (await connection.execute(select(Record))).all()], default=str)
    assert "案件测试违法事实101" not in dump and not any("案件测试违法事实101" in m for m in messages)
    assert {"CASE_REVOCATION_REPORT", "CASE_REVOCATION_COMPLETE"} <= set(logged)


async def test_revocation_steps_are_refused_to_every_other_actor(engine):
    subject = org(102)
    async with await on(engine, dt.date(2026, 9, 28)) as client:
        record_id = await submit(client, penalty(subject, 102, "2026-09-21"), SCJG)
        before = await writes(engine)
        report = {"i": {"recordId": record_id, "revokedOn": "2026-09-25", "document": "撤销书"}}
        for token in (None, ZJJ, make_token(user="cs-org102", subject=subject), OPERATOR, AUDITOR,
                      make_token(user="cs-scjg-none", department="SCJG")):  # SCJG without a role
            assert forbidden(await graphql(client, REPORT, report, token=token)), token
        assert await writes(engine) == before
        async with engine.connect() as connection:  # each refusal is in the query log, for supervisors
            outcome = (await connection.execute(select(QueryLogEntry.outcome).where(
                QueryLogEntry.user == "cs-zjj").order_by(QueryLogEntry.seq.desc()).limit(1))).scalar()
        assert outcome == "REFUSED"
        case = payload(await graphql(client, REPORT, report, token=SCJG), "reportRevocation")["case"]
        before = await writes(engine)
        for token in (None, SCJG, ZJJ, make_token(user="cs-org102", subject=subject), AUDITOR,
                      make_token(user="cs-op-x", department="SCJG", roles=["officer"])):
            assert forbidden(await graphql(client, COMPLETE, {"i": {"caseId": case["id"]}}, token=token)), token
        assert await writes(engine) == before
        assert (await graphql(client, RECORD, {"id": record_id}, token=SCJG))["data"]["record"]["status"] == "REVOKED"


async def test_a_revocation_names_what_is_wrong_with_its_input_and_changes_nothing(engine):
    subject = org(103)
    async with await on(engine, dt.date(2026, 9, 28)) as client:
        bad = await submit(client, penalty(subject, 103, "2026-09-21"), SCJG)
        good = await submit(client, honour(subject, 103, "威海市环翠区案件测试103有限公司"), TW)
        before = await writes(engine)
        cases = [
            ({"recordId": bad, "revokedOn": "2026-09-29", "document": "撤销书"}, SCJG, [("INVALID", "revokedOn")]),
            ({"recordId": bad, "revokedOn": "2026-09-20", "document": "  "}, SCJG,
             [("INVALID", "document"), ("INVALID", "revokedOn")]),
            ({"recordId": good, "revokedOn": "2026-09-20", "document": "撤销书"}, TW, [("INVALID", "recordId")]),
            ({"recordId": global_id(NodeKind.RECORD, 999999999), "revokedOn": "2026-09-20", "document": "撤销书"}, SCJG,
             [("NOT_FOUND", "recordId")]),
            ({"recordId": "not an id", "revokedOn": "2026-09-20", "document": "撤销书"}, SCJG,
             [("INVALID", "recordId")]),
        ]
        for given, token, expected in cases:
            answer = payload(await graphql(client, REPORT, {"i": given}, token=token), "reportRevocation")
            assert answer["case"] is None and sorted((e["code"], e["field"]) for e in answer["errors"]) == expected, \
                (given, answer)
        assert await writes(engine) == before
        assert (await graphql(client, RECORD, {"id": bad}))["data"]["record"]["status"] == "ACTIVE"


# ---- credit repair (HC-31) ---------------------------------------------------------------------


async def test_repair_is_refused_before_the_minimum_publicity_period_then_hides_the_record(engine):
    subject = org(104)
    async with await on(engine, dt.date(2026, 6, 10)) as client:
        record_id = await submit(client, penalty(subject, 104, "2026-06-01"), SCJG)
    certify = {"i": {"recordId": record_id, "document": "信用修复证明〔2026〕104号"}}
    async with await on(engine, dt.date(2026, 8, 31)) as client:
        before = await writes(engine)
        early = payload(await graphql(client, CERTIFY, certify, token=SCJG), "certifyRepair")
        assert [(e["code"], e["field"]) for e in early["errors"]] == [("INVALID", "recordId")]
        assert "2026-09-01" in early["errors"][0]["message"] and early["case"] is None
        for token in (None, ZJJ, OPERATOR, AUDITOR, make_token(user="cs-org104", subject=subject)):
            assert forbidden(await graphql(client, CERTIFY, certify, token=token)), token
        assert await writes(engine) == before
    async with await on(engine, dt.date(2026, 9, 1)) as client:
        case = payload(await graphql(client, CERTIFY, certify, token=SCJG), "certifyRepair")["case"]
        # immediate: off the query interface on the day of the certificate, its 3 working days met
        assert (case["kind"], case["state"], case["nextParty"], case["overdue"]) == ("REPAIR", "REPAIRED", "NONE",
                                                                                      False)
        assert case["closedAt"] and case["dueOn"] == "2026-09-04"
        assert [s["kind"] for s in case["steps"]] == ["REPAIR_CERTIFIED", "REPAIRED"]
        # the public and departments no longer see it; the subject, an auditor and its provider see it REPAIRED
        assert (await graphql(client, RECORD, {"id": record_id}))["data"]["record"] is None
        officer = make_token(user="cs-fy2", department="FY", roles=["officer"])
        assert (await graphql(client, RECORD, {"id": record_id}, token=officer, purpose="licensing",
                              basis="X-2"))["data"]["record"] is None
        assert (await graphql(client, RECORD, {"id": record_id}, token=AUDITOR))["data"]["record"] is None
        for token, declared in ((make_token(user="cs-org104", subject=subject), {}), (AUDITOR, AUDIT_BASIS),
                                (SCJG, {})):
            seen = (await graphql(client, RECORD, {"id": record_id}, token=token, **declared))["data"]["record"]
            assert seen["status"] == "REPAIRED", token
        listed = await graphql(client, """query($c: ID!) { subject(code: $c) {
            records(status: REPAIRED, first: 5) { totalCount } } }""", {"c": subject}, token=AUDITOR, **AUDIT_BASIS)
        assert listed["data"]["subject"]["records"]["totalCount"] == 1
        again = payload(await graphql(client, CERTIFY, certify, token=SCJG), "certifyRepair")
        assert [e["code"] for e in again["errors"]] == ["INVALID"] and again["case"] is None


# ---- honour deletion (HC-33) -------------------------------------------------------------------


async def test_honour_deletion_notifies_at_once_runs_into_an_unpublished_year_and_is_listed_when_overdue(engine):
    subject, other = org(105), org(106)
    async with await on(engine, dt.date(2026, 12, 28)) as client:
        record_id = await submit(client, honour(subject, 105, "威海市环翠区案件测试105有限公司"), TW)
        penalty_id = await submit(client, penalty(subject, 105, "2026-12-21"), SCJG)
    me = make_token(user="cs-org105", subject=subject)
    request = {"i": {"recordId": record_id, "reason": "不再希望公开该荣誉"}}
    async with await on(engine, dt.date(2026, 12, 29)) as client:
        before = await writes(engine)
        for token in (None, TW, OPERATOR, AUDITOR, make_token(user="cs-org106", subject=other)):
            assert forbidden(await graphql(client, REQUEST, request, token=token)), token
        assert await writes(engine) == before
        wrong = payload(await graphql(client, REQUEST, {"i": {"recordId": penalty_id, "reason": "x"}}, token=me),
                        "requestHonourDeletion")
        assert [(e["code"], e["field"]) for e in wrong["errors"]] == [("INVALID", "recordId")]
        case = payload(await graphql(client, REQUEST, request, token=me), "requestHonourDeletion")["case"]
        assert (case["kind"], case["state"], case["nextParty"]) == ("HONOUR_DELETION", "REQUESTED", "PROVIDER")
        # 5 working days from 29 December run into 2027, whose schedule is not published: provisional
        due = WorkingDayCalendar.shipped().add_working_days(dt.date(2026, 12, 29), 5)
        assert due.provisional and (case["dueOn"], case["dueProvisional"]) == (due.due.isoformat(), True)
        assert case["dueOn"] > "2027-01-01" and case["reason"] == "不再希望公开该荣誉"
        # the centre and the provider are told at once, in the request's own transaction
        async with engine.connect() as connection:
            told = (await connection.execute(select(Notification.recipient_party, Notification.recipient).where(
                Notification.case_id == case["number"]))).all()
        assert sorted(map(tuple, told)) == [("CENTRE", "XYZX"), ("PROVIDER", "TW")]
        for token in (None, SCJG, me, OPERATOR):
            assert forbidden(await graphql(client, DELETE, {"i": {"caseId": case["id"]}}, token=token)), token
        # still shown until its provider deletes it
        assert (await graphql(client, RECORD, {"id": record_id}))["data"]["record"]["status"] == "ACTIVE"
    async with await on(engine, due.due + dt.timedelta(days=1)) as client:
        overdue = await graphql(client, CASES, {"f": {"overdue": True, "subjectCode": subject}}, token=OPERATOR)
        assert [(n["node"]["number"], n["node"]["overdue"]) for n in overdue["data"]["cases"]["edges"]] == \
            [(case["number"], True)]
        done = payload(await graphql(client, DELETE, {"i": {"caseId": case["id"]}}, token=TW), "deleteHonour")
        assert done["errors"] == [] and (done["case"]["state"], done["case"]["nextParty"]) == ("DELETED", "NONE")
        assert done["case"]["tombstone"]["reason"] == "HONOUR_DELETED" and done["case"]["record"] is None
        assert (await graphql(client, RECORD, {"id": record_id}, token=me))["data"]["record"] is None
        assert (await graphql(client, CASES, {"f": {"overdue": True, "subjectCode": subject}},
                              token=OPERATOR))["data"]["cases"]["totalCount"] == 0
    assert await count(engine, Record, Record.id == row_number(record_id)) == 0


# ---- listing cases -----------------------------------------------------------------------------


async def test_cases_are_listed_for_the_centre_and_auditors_and_my_cases_for_subjects_and_providers(engine):
    subject = org(107)
    async with await on(engine, dt.date(2026, 9, 28)) as client:
        record_id = await submit(client, penalty(subject, 107, "2026-09-21"), SCJG)
        case = payload(await graphql(client, REPORT, {"i": {"recordId": record_id, "revokedOn": "2026-09-25",
                                                            "document": "撤销书107"}}, token=SCJG),
                       "reportRevocation")["case"]
        for token in (OPERATOR, AUDITOR):
            body = await graphql(client, CASES, {"f": {"subjectCode": subject, "kind": "REVOCATION",
                                                       "state": "REPORTED", "providerCode": "SCJG"}}, token=token)
            listed = [e["node"]["number"] for e in body["data"]["cases"]["edges"]]
            assert listed == [case["number"]], body
        assert (await graphql(client, CASES, {"f": {"subjectCode": subject, "state": "REVOKED"}},
                              token=OPERATOR))["data"]["cases"]["totalCount"] == 0
        for token in (None, SCJG, make_token(user="cs-org107", subject=subject)):
            assert forbidden(await graphql(client, CASES, {"f": {"subjectCode": subject}}, token=token)), token
        mine = await graphql(client, MY_CASES, token=make_token(user="cs-org107", subject=subject))
        assert [e["node"]["number"] for e in mine["data"]["myCases"]["edges"]] == [case["number"]]
        provider = await graphql(client, MY_CASES, token=SCJG)
        assert case["number"] in [e["node"]["number"] for e in provider["data"]["myCases"]["edges"]]
        assert case["number"] not in [e["node"]["number"] for e in
                                      (await graphql(client, MY_CASES, token=ZJJ))["data"]["myCases"]["edges"]]
        assert forbidden(await graphql(client, MY_CASES))
        # node(id): the same readers
        node = "query($id: ID!) { node(id: $id) { ... on Case { number state } } }"
        assert (await graphql(client, node, {"id": case["id"]}, token=SCJG))["data"]["node"]["number"] == case["number"]
        assert (await graphql(client, node, {"id": case["id"]}, token=ZJJ))["data"]["node"] is None


async def test_a_revoked_record_under_objection_and_annotated_is_deleted_with_them(engine):
    """store/record_deletion.py: a record's objections and annotations refer to it (foreign keys):
    they leave with it, on PostgreSQL as on SQLite."""
    from sqlalchemy import insert

    from store.models import Objection

    subject = org(108)
    async with await on(engine, dt.date(2026, 9, 28)) as client:
        record_id = await submit(client, penalty(subject, 108, "2026-09-21"), SCJG)
        number = row_number(record_id)
        async with engine.begin() as connection:
            await connection.execute(insert(Objection.__table__).values(
                record_id=number, subject_code=subject, ground="ERROR_OR_OMISSION", statement="金额有误",
                status="FILED"))
            await connection.execute(insert(Annotation.__table__).values(
                record_id=number, kind="OBJECTION_OPEN", text="异议处理中"))
        case = payload(await graphql(client, REPORT, {"i": {"recordId": record_id, "revokedOn": "2026-09-25",
                                                            "document": "撤销书108"}}, token=SCJG),
                       "reportRevocation")["case"]
        done = payload(await graphql(client, COMPLETE, {"i": {"caseId": case["id"]}}, token=OPERATOR),
                       "completeRevocation")
        assert done["errors"] == [] and done["case"]["state"] == "REVOKED"
    assert await count(engine, Objection, Objection.record_id == number) == 0
    assert await count(engine, Annotation, Annotation.record_id == number) == 0
    assert await count(engine, Record, Record.id == number) == 0


async def test_a_deleted_records_id_is_never_given_to_another_record(engine):
    """A tombstone keeps a revoked record's id so that logs naming it stay readable (HC-30): a new
    record must never take that id. PostgreSQL's sequences never reuse one; on SQLite `records` is an
    AUTOINCREMENT table (migration 0009), whose rowid would otherwise follow the highest id present."""
    subject = org(109)
    async with await on(engine, dt.date(2026, 9, 28)) as client:
        record_id = await submit(client, penalty(subject, 109, "2026-09-21"), SCJG)
        case = payload(await graphql(client, REPORT, {"i": {"recordId": record_id, "revokedOn": "2026-09-25",
                                                            "document": "撤销书109"}}, token=SCJG),
                       "reportRevocation")["case"]
        await graphql(client, COMPLETE, {"i": {"caseId": case["id"]}}, token=OPERATOR)
        following = await submit(client, penalty(subject, 1109, "2026-09-21"), SCJG)
    assert row_number(following) > row_number(record_id)


async def test_a_page_of_cases_costs_the_same_statements_for_one_case_as_for_five(engine):
    """No query per case: records, tombstones, subjects and steps are batched (schema/cases.py)."""
    from tests.test_statement_count import StatementCounter

    async with await on(engine, dt.date(2026, 11, 2)) as client:
        for serial in range(110, 115):
            subject = org(serial)
            record_id = await submit(client, honour(subject, serial, f"威海市环翠区案件测试{serial}有限公司"), TW)
            await graphql(client, REQUEST, {"i": {"recordId": record_id, "reason": "请删除"}},
                          token=make_token(user=f"cs-org{serial}", subject=subject))
        page = """query($n: Int!) { cases(filter: {kind: HONOUR_DELETION, providerCode: "TW"}, first: $n) {
          totalCount edges { node { number state dueOn overdue record { id status } tombstone { recordNumber }
          subject { code name } provider { code name } steps { kind effectiveOn } } } } }"""
        await graphql(client, page, {"n": 1}, token=OPERATOR)  # reference data read once, before
        counts = {}
        for n in (1, 5):
            with StatementCounter(engine) as counter:
                body = await graphql(client, page, {"n": n}, token=OPERATOR)
            assert "errors" not in body and len(body["data"]["cases"]["edges"]) == n, body
            counts[n] = counter.count
    assert counts[1] == counts[5], counts
