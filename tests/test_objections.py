"""Objections (异议) through HTTP under the Huancui profile (SPEC 3.4; HC-29).

Each step by the right actor and refused for every other (FORBIDDEN, nothing written), deadlines
in working days across National Day 2026; the annotation every reader sees while the objection is
open; a provider past its day loses the record to the public (read by date) but not to
departments, until it decides.

Subjects are this module's own (organisations of series YB) and every test its own serials.
"""

from __future__ import annotations

import datetime as dt

from store.models import Notification
from tests import world
from tests.conftest import graphql, make_token
from tests.test_cases import (CASES, OPERATOR, SCJG, ZJJ, count, forbidden, on, payload, penalty, submit, writes)

CASE = """case { id number kind state nextParty dueOn dueProvisional overdue reason objectionGround objectionChannel
  decisionReason document closedAt steps { kind effectiveOn department document } } errors { code field message }"""
FILE = "mutation($i: FileObjectionInput!) { fileObjection(input: $i) { %s } }" % CASE
COMPARE = "mutation($i: CompareObjectionInput!) { compareObjection(input: $i) { %s } }" % CASE
FORWARD = "mutation($i: ForwardObjectionInput!) { forwardObjection(input: $i) { %s } }" % CASE
DECIDE = "mutation($i: DecideObjectionInput!) { decideObjection(input: $i) { %s } }" % CASE
NOTIFY = "mutation($i: NotifyObjectionResultInput!) { notifyObjectionResult(input: $i) { %s } }" % CASE
READ = "query($id: ID!) { record(id: $id) { id status annotations { kind text } } }"
VERSIONS = """query($id: ID!) { record(id: $id) { version details { name value }
  versions { version change reason changedBy } } }"""
DEPARTMENT_BASIS = {"purpose": "supervision", "basis": "ZJJ-2026-OB"}


def org(serial: int) -> str:
    return world.org_code(serial, series="YB")


def subject_token(serial: int) -> str:
    return make_token(user=f"ob-org{serial}", subject=org(serial))


async def fine_and_versions(client, record_id: str) -> tuple[str, list[tuple]]:
    """The record's fine and its versions, as its provider reads them (HC-18)."""
    record = (await graphql(client, VERSIONS, {"id": record_id}, token=SCJG))["data"]["record"]
    fine = next(d["value"] for d in record["details"] if d["name"] == "fineAmount")
    versions = [(v["version"], v["change"], v["changedBy"], v["reason"]) for v in record["versions"]]
    assert record["version"] == versions[-1][0]
    return fine, versions


async def forwarded(client, serial: int) -> tuple[str, dict]:
    """A record of `serial`'s subject, its objection filed and forwarded to the provider (SAME)."""
    record_id = await submit(client, penalty(org(serial), 700 + serial, "2026-10-21"), SCJG)
    case = (await filed(client, record_id, serial))["case"]
    payload(await graphql(client, COMPARE, {"i": {"caseId": case["id"], "outcome": "SAME", "note": "一致"}},
                          token=OPERATOR), "compareObjection")
    return record_id, case


async def filed(client, record_id: str, serial: int, **extra) -> dict:
    body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "ERROR_OR_OMISSION",
                                               "statement": "罚款金额记载错误", **extra}}, token=subject_token(serial))
    return payload(body, "fileObjection")


async def test_huancui_same_then_upheld_each_step_by_its_party_only(engine):
    serial = 1
    async with await on(engine, dt.date(2026, 9, 29)) as client:
        record_id = await submit(client, penalty(org(serial), 700 + serial, "2026-09-21"), SCJG)
        before = await writes(engine)
        for token in (None, SCJG, ZJJ, make_token(user="ob-other", subject=org(99))):
            body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "ERROR_OR_OMISSION",
                                                      "statement": "错"}}, token=token)
            assert forbidden(body), body
        assert await writes(engine) == before
        done = await filed(client, record_id, serial)
        case = done["case"]
        assert done["errors"] == []
        # filed two days before National Day: 3 working days are 30 September, 8 and 9 October
        assert (case["state"], case["nextParty"], case["dueOn"], case["objectionGround"], case["objectionChannel"]) \
            == ("FILED", "CENTRE", "2026-10-09", "ERROR_OR_OMISSION", "ONLINE")
        assert case["reason"] == "罚款金额记载错误"
        # the annotation: every reader sees it, the public too, without the statement
        for token in (None, SCJG, subject_token(serial)):
            record = (await graphql(client, READ, {"id": record_id}, token=token))["data"]["record"]
            assert [a["kind"] for a in record["annotations"]] == ["OBJECTION_OPEN"], record
            assert "罚款" not in record["annotations"][0]["text"]
        again = await filed(client, record_id, serial)
        assert again["case"] is None and again["errors"][0]["code"] == "DUPLICATE"
        assert f"case {case['number']}" in again["errors"][0]["message"]
        assert await count(engine, Notification, Notification.case_id == case["number"],
                           Notification.recipient == "SCJG") == 0  # the provider is no party yet
        # Huancui has no forwarding step of its own: the comparison forwards
        body = await graphql(client, FORWARD, {"i": {"caseId": case["id"]}}, token=OPERATOR)
        assert body["data"]["forwardObjection"]["errors"][0]["message"].startswith("the objection workflow")
    async with await on(engine, dt.date(2026, 10, 9)) as client:
        for token in (None, SCJG, subject_token(serial)):
            body = await graphql(client, COMPARE, {"i": {"caseId": case["id"], "outcome": "SAME", "note": "一致"}},
                                 token=token)
            assert forbidden(body), body
        same = payload(await graphql(client, COMPARE, {"i": {"caseId": case["id"], "outcome": "SAME",
                                                             "note": "平台与报送单位数据一致"}}, token=OPERATOR),
                       "compareObjection")["case"]
        # 15 working days from 9 October 2026: Saturday 10 October is worked (调休), so 29 October
        assert (same["state"], same["nextParty"], same["dueOn"]) == ("FORWARDED", "PROVIDER", "2026-10-29")
        for token in (None, OPERATOR, ZJJ, subject_token(serial)):
            body = await graphql(client, DECIDE, {"i": {"caseId": case["id"], "decision": "UPHELD",
                                                        "reason": "核实"}}, token=token)
            assert forbidden(body), body
        before = await writes(engine)
        for extra, field in (({}, "correction"), ({"correction": {"content": {"fineAmount": "abc"}}},
                                                  "correction.content.fineAmount"),
                             ({"correction": {"content": {"fineAmount": "2000.00"}},
                               "revocation": {"revokedOn": "2026-10-09", "document": "撤销决定"}}, "correction")):
            refused = payload(await graphql(client, DECIDE, {"i": {"caseId": case["id"], "decision": "UPHELD",
                                                                   "reason": "经核查金额有误", **extra}}, token=SCJG),
                              "decideObjection")
            assert [e["field"] for e in refused["errors"]] == [field], refused
        assert await writes(engine) == before
        assert await fine_and_versions(client, record_id) == ("3000", [(1, "CREATED", "cs-scjg", None)])
        decided = payload(await graphql(client, DECIDE, {"i": {"caseId": case["id"], "decision": "UPHELD",
                                                               "reason": "经核查金额有误",
                                                               "correction": {"content": {"fineAmount": "2000.00"}}}},
                                        token=SCJG), "decideObjection")["case"]
        assert (decided["state"], decided["nextParty"], decided["decisionReason"]) == ("UPHELD", "NONE", "经核查金额有误")
        assert decided["closedAt"] is not None
        # the provider's correction is a version like any other, in the decision's own transaction
        assert await fine_and_versions(client, record_id) == ("2000", [
            (1, "CREATED", "cs-scjg", None),
            (2, "CORRECTED", "cs-scjg", f"objection case {decided['number']} (HC-29): 经核查金额有误")])
        assert [(s["kind"], s["department"]) for s in decided["steps"]] == [
            ("OBJECTION_FILED", None), ("OBJECTION_FORWARDED", "XYZX"), ("CORRECTED", "SCJG"),
            ("OBJECTION_UPHELD", "SCJG")]
        record = (await graphql(client, READ, {"id": record_id}))["data"]["record"]
        assert record["annotations"] == []
        again = payload(await graphql(client, DECIDE, {"i": {"caseId": case["id"], "decision": "REJECTED",
                                                             "reason": "再次"}}, token=SCJG), "decideObjection")
        assert again["errors"][0]["code"] == "ALREADY_REVOKED" and "UPHELD" in again["errors"][0]["message"]
    assert await count(engine, Notification, Notification.case_id == decided["number"],
                       Notification.recipient == org(serial)) == 3  # filed, forwarded, upheld


async def test_huancui_differs_closes_corrected_and_a_new_objection_may_follow(engine):
    serial = 2
    async with await on(engine, dt.date(2026, 11, 2)) as client:
        record_id = await submit(client, penalty(org(serial), 700 + serial, "2026-10-21"), SCJG)
        case = (await filed(client, record_id, serial))["case"]
        before = await writes(engine)
        for extra, field in (({}, "correction"), ({"correction": {"decidedOn": "2026-11-03"}}, "correction.decidedOn"),
                             ({"correction": {"content": {"fineAmount": "3000.00"}}}, "correction")):
            refused = payload(await graphql(client, COMPARE, {"i": {"caseId": case["id"], "outcome": "DIFFERS",
                                                                    "note": "不一致", **extra}}, token=OPERATOR),
                              "compareObjection")
            assert [e["field"] for e in refused["errors"]] == [field], refused
        refused = payload(await graphql(client, COMPARE, {"i": {"caseId": case["id"], "outcome": "SAME", "note": "一致",
                                                                "correction": {"content": {"fineAmount": "1.00"}}}},
                                        token=OPERATOR), "compareObjection")
        assert [e["field"] for e in refused["errors"]] == ["correction"]
        assert await writes(engine) == before
        differs = payload(await graphql(client, COMPARE, {"i": {"caseId": case["id"], "outcome": "DIFFERS",
                                                                "note": "平台数据与报送单位不一致",
                                                                "correction": {"content": {"fineAmount": "300.00"}}}},
                                        token=OPERATOR), "compareObjection")["case"]
        assert (differs["state"], differs["nextParty"]) == ("CORRECTED", "NONE")
        # corrected from the provider's copy: a version by the centre's operator on the provider's record
        assert await fine_and_versions(client, record_id) == ("300", [
            (1, "CREATED", "cs-scjg", None),
            (2, "CORRECTED", "cs-op", f"objection case {differs['number']} (HC-29): 平台数据与报送单位不一致")])
        assert [(s["kind"], s["department"]) for s in differs["steps"]][1:] == [
            ("CORRECTED", "XYZX"), ("OBJECTION_CORRECTED", "XYZX")]
        assert (await graphql(client, READ, {"id": record_id}))["data"]["record"]["annotations"] == []
        second = await filed(client, record_id, serial)
        assert second["errors"] == [] and second["case"]["state"] == "FILED"


async def test_a_written_application_is_entered_by_the_centre_with_its_reference(engine):
    serial = 3
    async with await on(engine, dt.date(2026, 11, 2)) as client:
        record_id = await submit(client, penalty(org(serial), 700 + serial, "2026-10-21"), SCJG)
        body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "PRIVACY_OR_TRADE_SECRET",
                                                  "statement": "涉及商业秘密", "channel": "WRITTEN"}}, token=OPERATOR)
        assert [e["field"] for e in payload(body, "fileObjection")["errors"]] == ["applicationReference"]
        body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "PRIVACY_OR_TRADE_SECRET",
                                                  "statement": "涉及商业秘密"}}, token=OPERATOR)
        assert [e["field"] for e in payload(body, "fileObjection")["errors"]] == ["channel"]
        body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "PRIVACY_OR_TRADE_SECRET",
                                                  "statement": "涉及商业秘密", "channel": "WRITTEN",
                                                  "applicationReference": "异议申请〔2026〕3号"}}, token=OPERATOR)
        case = payload(body, "fileObjection")["case"]
        assert (case["objectionChannel"], case["document"], case["state"]) == ("WRITTEN", "异议申请〔2026〕3号", "FILED")


async def test_a_provider_past_its_day_loses_the_record_to_the_public_until_it_decides(engine):
    serial = 4
    async with await on(engine, dt.date(2026, 11, 2)) as client:
        record_id = await submit(client, penalty(org(serial), 700 + serial, "2026-10-21"), SCJG)
        case = (await filed(client, record_id, serial))["case"]
        forwarded = payload(await graphql(client, COMPARE, {"i": {"caseId": case["id"], "outcome": "SAME",
                                                                  "note": "一致"}}, token=OPERATOR),
                            "compareObjection")["case"]
    assert forwarded["dueOn"] == "2026-11-23"  # 15 working days from Monday 2 November
    async with await on(engine, dt.date(2026, 11, 23)) as client:  # the due day itself is still in time
        assert (await graphql(client, READ, {"id": record_id}))["data"]["record"] is not None
    async with await on(engine, dt.date(2026, 11, 24)) as client:
        assert (await graphql(client, READ, {"id": record_id}))["data"]["record"] is None
        officer = make_token(user="ob-zjj", department="ZJJ", roles=["officer"])
        seen = (await graphql(client, READ, {"id": record_id}, token=officer, **DEPARTMENT_BASIS))["data"]["record"]
        assert seen is not None and [a["kind"] for a in seen["annotations"]] == ["OBJECTION_OPEN"]
        own = (await graphql(client, READ, {"id": record_id}, token=subject_token(serial)))["data"]["record"]
        assert own is not None
        payload(await graphql(client, DECIDE, {"i": {"caseId": case["id"], "decision": "REJECTED",
                                                     "reason": "记载无误"}}, token=SCJG), "decideObjection")
        record = (await graphql(client, READ, {"id": record_id}))["data"]["record"]
        assert record is not None and record["annotations"] == []


async def test_an_upheld_objection_may_revoke_the_record_through_a_revocation_case(engine):
    serial = 5
    async with await on(engine, dt.date(2026, 11, 2)) as client:
        record_id, case = await forwarded(client, serial)
        revoke = {"caseId": case["id"], "decision": "UPHELD", "reason": "处罚决定已被撤销"}
        before = await writes(engine)
        for revocation, field in (({"revokedOn": "2026-10-20", "document": "撤销决定"}, "revocation.revokedOn"),
                                  ({"revokedOn": "2026-10-30", "document": " "}, "revocation.document")):
            refused = payload(await graphql(client, DECIDE, {"i": {**revoke, "revocation": revocation}}, token=SCJG),
                              "decideObjection")
            assert [e["field"] for e in refused["errors"]] == [field], refused
        refused = payload(await graphql(client, DECIDE, {"i": {**revoke, "decision": "REJECTED", "revocation": {
            "revokedOn": "2026-10-30", "document": "撤销决定"}}}, token=SCJG), "decideObjection")
        assert [e["field"] for e in refused["errors"]] == ["revocation"]
        assert await writes(engine) == before
        decided = payload(await graphql(client, DECIDE, {"i": {**revoke, "revocation": {
            "revokedOn": "2026-10-30", "document": "环市监撤〔2026〕1号"}}}, token=SCJG), "decideObjection")["case"]
        assert (decided["state"], decided["steps"][-1]["kind"]) == ("UPHELD", "OBJECTION_UPHELD")
        # the record left every query at once; the revocation case waits for the centre (HC-30)
        assert (await graphql(client, READ, {"id": record_id}))["data"]["record"] is None
        listed = (await graphql(client, CASES, {"f": {"kind": "REVOCATION", "state": "REPORTED"}},
                                token=OPERATOR))["data"]["cases"]["edges"]
        revocations = [e["node"] for e in listed if e["node"]["number"] > decided["number"]]
        assert [(c["state"], c["dueOn"]) for c in revocations] == [("REPORTED", "2026-11-05")]


WITHDRAW = "mutation($i: WithdrawObjectionInput!) { withdrawObjection(input: $i) { %s } }" % CASE
DISPUTE = "mutation($i: DisputeObjectionResultInput!) { disputeObjectionResult(input: $i) { %s } }" % CASE
OVERDUE = "{ overdueObjections { department party count oldestDueOn caseNumbers } }"


async def test_a_rejection_the_subject_disputes_stays_annotated_for_every_reader(engine):
    serial = 6
    async with await on(engine, dt.date(2026, 11, 2)) as client:
        record_id = await submit(client, penalty(org(serial), 700 + serial, "2026-10-21"), SCJG)
        case = (await filed(client, record_id, serial))["case"]
        dispute = {"i": {"caseId": case["id"], "statement": "仍有异议"}}
        early = payload(await graphql(client, DISPUTE, dispute, token=subject_token(serial)), "disputeObjectionResult")
        assert early["errors"][0]["code"] == "INVALID" and "FILED" in early["errors"][0]["message"]
        payload(await graphql(client, COMPARE, {"i": {"caseId": case["id"], "outcome": "SAME", "note": "一致"}},
                              token=OPERATOR), "compareObjection")
        payload(await graphql(client, DECIDE, {"i": {"caseId": case["id"], "decision": "REJECTED",
                                                     "reason": "记载无误"}}, token=SCJG), "decideObjection")
        assert (await graphql(client, READ, {"id": record_id}))["data"]["record"]["annotations"] == []
        before = await writes(engine)
        for token in (None, OPERATOR, SCJG, subject_token(serial + 90)):
            assert forbidden(await graphql(client, DISPUTE, dispute, token=token))
        blank = payload(await graphql(client, DISPUTE, {"i": {"caseId": case["id"], "statement": " "}},
                                      token=subject_token(serial)), "disputeObjectionResult")
        assert [e["field"] for e in blank["errors"]] == ["statement"]
        assert await writes(engine) == before
        disputed = payload(await graphql(client, DISPUTE, dispute, token=subject_token(serial)),
                           "disputeObjectionResult")["case"]
        assert (disputed["state"], disputed["nextParty"], disputed["steps"][-1]["kind"]) == (
            "DISPUTED", "NONE", "OBJECTION_DISPUTED")
    async with await on(engine, dt.date(2027, 3, 1)) as client:  # it stays, whoever reads
        for token in (None, SCJG, subject_token(serial)):
            record = (await graphql(client, READ, {"id": record_id}, token=token))["data"]["record"]
            assert [a["kind"] for a in record["annotations"]] == ["OBJECTION_DISPUTED"], record
            assert "仍有异议" not in record["annotations"][0]["text"]
        again = payload(await graphql(client, DISPUTE, dispute, token=subject_token(serial)), "disputeObjectionResult")
        assert again["errors"][0]["code"] == "ALREADY_REVOKED"


async def test_the_subject_withdraws_an_open_objection_and_a_grantee_files_one(engine):
    from tests.test_access_matrix import GRANT, _window

    serial = 7
    async with await on(engine, dt.date(2026, 11, 2)) as client:
        record_id, case = await forwarded(client, serial)
        before = await writes(engine)
        for token in (None, OPERATOR, SCJG, subject_token(serial + 90)):
            assert forbidden(await graphql(client, WITHDRAW, {"i": {"caseId": case["id"]}}, token=token))
        assert await writes(engine) == before
        withdrawn = payload(await graphql(client, WITHDRAW, {"i": {"caseId": case["id"]}},
                                          token=subject_token(serial)), "withdrawObjection")["case"]
        assert (withdrawn["state"], withdrawn["closedAt"] is not None) == ("WITHDRAWN", True)
        assert (await graphql(client, READ, {"id": record_id}))["data"]["record"]["annotations"] == []
        late = payload(await graphql(client, DECIDE, {"i": {"caseId": case["id"], "decision": "REJECTED",
                                                            "reason": "无误"}}, token=SCJG), "decideObjection")
        assert late["errors"][0]["code"] == "ALREADY_REVOKED"
        assert await count(engine, Notification, Notification.case_id == case["number"],
                           Notification.kind == "OBJECTION_WITHDRAWN") == 2  # the centre and the provider
        # a grantee whose written authorisation covers the record files for the subject (XZ-22)
        start, end = _window()
        granted = await graphql(client, GRANT, {"grantee": {"user": "ob-agent"}, "scope": {
            "catalogueItems": ["HC-13-6-PENALTY"]}, "purpose": "LICENSING", "from": start, "until": end,
            "ref": "SQ-OB-7"}, token=subject_token(serial))
        assert granted["data"]["grantAuthorization"]["errors"] == [], granted
        body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "ERROR_OR_OMISSION",
                                                  "statement": "代为提出异议"}}, token=make_token(user="ob-agent"),
                             purpose="licensing", basis="SQ-OB-7")
        by_grantee = payload(body, "fileObjection")
        assert by_grantee["errors"] == [] and by_grantee["case"]["state"] == "FILED"


async def test_overdue_objections_are_listed_per_department_for_the_centre_and_auditors(engine):
    from tests.test_cases import AUDITOR, AUDIT_BASIS

    serial = 8
    async with await on(engine, dt.date(2026, 11, 2)) as client:
        forwarded = await submit(client, penalty(org(serial), 700 + serial, "2026-10-21"), SCJG)
        waiting = await submit(client, penalty(org(serial + 1), 700 + serial + 1, "2026-10-21"), SCJG)
        provider_case = (await filed(client, forwarded, serial))["case"]
        payload(await graphql(client, COMPARE, {"i": {"caseId": provider_case["id"], "outcome": "SAME",
                                                      "note": "一致"}}, token=OPERATOR), "compareObjection")
        centre_case = (await filed(client, waiting, serial + 1))["case"]
    async with await on(engine, dt.date(2026, 12, 1)) as client:
        for token in (None, SCJG, subject_token(serial)):
            assert forbidden(await graphql(client, OVERDUE, token=token))
        for token, basis in ((OPERATOR, {}), (AUDITOR, AUDIT_BASIS)):
            groups = (await graphql(client, OVERDUE, token=token, **basis))["data"]["overdueObjections"]
            mine = {(g["department"], g["party"]): g for g in groups}
            assert provider_case["number"] in mine["SCJG", "PROVIDER"]["caseNumbers"]
            assert centre_case["number"] in mine["XYZX", "CENTRE"]["caseNumbers"]
            assert mine["XYZX", "CENTRE"]["oldestDueOn"] <= "2026-11-05"
