"""Every branch of a Xinzheng objection through HTTP (XZ-22..24): UPHELD correcting and revoking,
REJECTED then disputed, withdrawal, the centre's written notice (its letter, 2 working days), and an
open objection that never hides a bad record nor stops its handling (XZ-24). Each step leaves an
event on the record, a submission-log entry and a notification to whom it concerns.
On a database of this module's own (the Xinzheng catalogue)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import graphql, make_token
from tests.objection_steps import case_in, file, on, penalty, profile_engine, subject_token, take, traces
from tests.test_cases import (COMPLETE, CORRECT, OPERATOR, REPORT, SCJG, count, forbidden, payload, writes)
from tests.test_objections import NOTIFY, READ
from store.models import Notification

P = "xinzheng"
ZJJ_OFFICER = make_token(user="ox-zjj", department="ZJJ", roles=["officer"])
DEPARTMENT_BASIS = {"purpose": "supervision", "basis": "ZJJ-2026-OX"}
MY_CASES = """{ myCases(first: 20) { edges { node { number state closedAt decisionReason record { id }
  tombstone { recordNumber reason } steps { kind document } } } } }"""


@pytest.fixture(scope="module")
async def xz(backend, tmp_path_factory):
    engine = await profile_engine(backend, tmp_path_factory, "objections_xz_branches", P)
    yield engine
    await engine.dispose()


async def annotations(client, record_id: str, token=None, **declared) -> list[dict] | None:
    record = (await graphql(client, READ, {"id": record_id}, token=token, **declared))["data"]["record"]
    return None if record is None else record["annotations"]


async def fine(client, record_id: str) -> str:
    body = await graphql(client, "query($id: ID!) { record(id: $id) { details { name value } } }", {"id": record_id},
                         token=SCJG)
    return next(d["value"] for d in body["data"]["record"]["details"] if d["name"] == "fineAmount")


async def test_upheld_corrects_at_once_and_the_centres_letter_within_2_working_days_closes_it(xz):
    serial = 1
    async with on(xz, dt.date(2026, 11, 2), P) as client:
        record_id, case = await case_in(client, P, serial, "FORWARDED")
        assert (case["nextParty"], case["dueOn"]) == ("PROVIDER", "2026-11-23")
    async with on(xz, dt.date(2026, 11, 6), P) as client:  # a Friday: 2 working days are Monday and Tuesday
        verified = (await take(client, "uphold", case["id"], SCJG))["case"]
        assert (verified["state"], verified["nextParty"], verified["dueOn"], verified["closedAt"]) == (
            "VERIFIED_UPHELD", "CENTRE", "2026-11-10", None)
        assert await fine(client, record_id) == "2000"  # the correction is the provider's step's own
        # still open: the record stays annotated until the applicant has the centre's letter
        assert [a["kind"] for a in await annotations(client, record_id)] == ["OBJECTION_OPEN"]
        before = await writes(xz)
        for letter in (" ", "函" * 201):
            refused = payload(await graphql(client, NOTIFY, {"i": {"caseId": case["id"], "letterReference": letter}},
                                            token=OPERATOR), "notifyObjectionResult")
            assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", "letterReference")]
        assert await writes(xz) == before
    async with on(xz, dt.date(2026, 11, 10), P) as client:
        done = (await take(client, "notify_upheld", case["id"], OPERATOR))["case"]
        assert (done["state"], done["nextParty"], done["overdue"], done["closedAt"] is not None) == (
            "UPHELD", "NONE", False, True)
        assert done["steps"][-1] == {"kind": "OBJECTION_RESULT_NOTIFIED", "effectiveOn": "2026-11-10",
                                     "department": "XYZX", "document": "异议复函〔2026〕1号"}
        assert await annotations(client, record_id) == []
    events, notes, logged = await traces(xz, case["number"])
    assert events == ["OBJECTION_FILED", "OBJECTION_FORWARDED", "CORRECTED", "OBJECTION_UPHELD",
                      "OBJECTION_RESULT_NOTIFIED"]
    # the applicant hears of the verification only through the centre's letter (XZ-23)
    assert notes == [("OBJECTION_FILED", "SUBJECT"), ("OBJECTION_FILED", "CENTRE"),
                     ("OBJECTION_FORWARDED", "SUBJECT"), ("OBJECTION_FORWARDED", "PROVIDER"),
                     ("OBJECTION_UPHELD", "CENTRE"),
                     ("OBJECTION_RESULT_NOTIFIED", "SUBJECT"), ("OBJECTION_RESULT_NOTIFIED", "PROVIDER")]
    assert logged == ["CASE_OBJECTION_FILE", "CASE_OBJECTION_FORWARD", "CORRECT", "CASE_OBJECTION_UPHOLD",
                      "CASE_OBJECTION_NOTIFY_UPHELD"]


async def test_upheld_revocation_completed_before_the_letter_the_case_still_closes_and_the_subject_sees_it(xz):
    """The provider upholds by revoking (XZ-23, HC-30's case opens); the centre deletes the record's
    content before writing its letter: the letter still closes the objection, on the tombstone."""
    serial = 2
    me = subject_token(P, serial)
    async with on(xz, dt.date(2026, 11, 2), P) as client:
        record_id, case = await case_in(client, P, serial, "FORWARDED")
        verified = (await graphql(client, """mutation($i: DecideObjectionInput!) { decideObjection(input: $i) {
            case { state nextParty } errors { code field message } } }""", {"i": {
            "caseId": case["id"], "decision": "UPHELD", "reason": "处罚决定已被撤销",
            "revocation": {"revokedOn": "2026-10-30", "document": "新市监撤〔2026〕OX2号"}}}, token=SCJG))
        assert payload(verified, "decideObjection") == {"case": {"state": "VERIFIED_UPHELD", "nextParty": "CENTRE"},
                                                        "errors": []}
        assert (await graphql(client, READ, {"id": record_id}))["data"]["record"] is None  # revoked: gone at once
        revocations = await graphql(client, "{ cases(filter: {kind: REVOCATION}, first: 5) { edges { node { id "
                                            "state } } } }", token=OPERATOR)
        revocation = revocations["data"]["cases"]["edges"][0]["node"]
        completed = payload(await graphql(client, COMPLETE, {"i": {"caseId": revocation["id"]}}, token=OPERATOR),
                            "completeRevocation")
        assert completed["errors"] == [] and completed["case"]["state"] == "REVOKED"
    async with on(xz, dt.date(2026, 11, 3), P) as client:
        done = (await take(client, "notify_upheld", case["id"], OPERATOR))
        assert done["errors"] == [], done
        assert (done["case"]["state"], done["case"]["closedAt"] is not None) == ("UPHELD", True)
        mine = (await graphql(client, MY_CASES, token=me))["data"]["myCases"]["edges"]
        seen = next(e["node"] for e in mine if e["node"]["number"] == case["number"])
        assert (seen["state"], seen["decisionReason"], seen["record"]) == ("UPHELD", "处罚决定已被撤销", None)
        assert seen["tombstone"]["reason"] == "REVOKED"
        assert seen["steps"][-1] == {"kind": "OBJECTION_RESULT_NOTIFIED", "document": "异议复函〔2026〕1号"}
    assert await count(xz, Notification, Notification.case_id == case["number"],
                       Notification.kind == "OBJECTION_RESULT_NOTIFIED", Notification.recipient_party == "SUBJECT") == 1
    assert "CASE_OBJECTION_NOTIFY_UPHELD" in (await traces(xz, case["number"]))[2]


async def test_rejected_then_notified_then_disputed_stays_annotated_for_every_reader(xz):
    serial = 3
    me = subject_token(P, serial)
    async with on(xz, dt.date(2026, 11, 2), P) as client:
        record_id, case = await case_in(client, P, serial, "VERIFIED_REJECTED")
        assert (case["nextParty"], case["dueOn"]) == ("CENTRE", "2026-11-04")
        # before the centre's letter the rejection is not the subject's to dispute
        early = await take(client, "dispute", case["id"], me)
        assert early["errors"][0]["code"] == "INVALID" and "VERIFIED_REJECTED" in early["errors"][0]["message"]
        notified = (await take(client, "notify_rejected", case["id"], OPERATOR))["case"]
        assert (notified["state"], notified["closedAt"] is not None) == ("REJECTED", True)
        assert await annotations(client, record_id) == []
        disputed = (await take(client, "dispute", case["id"], me))["case"]
        assert (disputed["state"], disputed["steps"][-1]["kind"]) == ("DISPUTED", "OBJECTION_DISPUTED")
        for token, declared in ((None, {}), (SCJG, {}), (me, {}), (ZJJ_OFFICER, DEPARTMENT_BASIS)):
            seen = await annotations(client, record_id, token, **declared)
            assert [a["kind"] for a in seen] == ["OBJECTION_DISPUTED"], token
            assert "仍有异议" not in seen[0]["text"] and "罚款金额" not in seen[0]["text"]
    events, notes, logged = await traces(xz, case["number"])
    assert events[-3:] == ["OBJECTION_REJECTED", "OBJECTION_RESULT_NOTIFIED", "OBJECTION_DISPUTED"]
    assert notes[-2:] == [("OBJECTION_DISPUTED", "PROVIDER"), ("OBJECTION_DISPUTED", "CENTRE")]
    assert logged[-3:] == ["CASE_OBJECTION_REJECT", "CASE_OBJECTION_NOTIFY_REJECTED", "CASE_OBJECTION_DISPUTE"]


@pytest.mark.parametrize("state, told", [("FILED", ["CENTRE"]), ("FORWARDED", ["PROVIDER", "CENTRE"]),
                                         ("VERIFIED_UPHELD", ["PROVIDER", "CENTRE"]),
                                         ("VERIFIED_REJECTED", ["PROVIDER", "CENTRE"])])
async def test_the_subject_withdraws_in_every_open_state(xz, state, told):
    serial = 10 + ["FILED", "FORWARDED", "VERIFIED_UPHELD", "VERIFIED_REJECTED"].index(state)
    async with on(xz, dt.date(2026, 11, 2), P) as client:
        record_id, case = await case_in(client, P, serial, state)
        withdrawn = (await take(client, "withdraw", case["id"], subject_token(P, serial)))["case"]
        assert (withdrawn["state"], withdrawn["nextParty"], withdrawn["closedAt"] is not None) == (
            "WITHDRAWN", "NONE", True)
        assert await annotations(client, record_id) == []
        late = await take(client, "notify_upheld", case["id"], OPERATOR)
        assert late["errors"][0]["code"] == "ALREADY_REVOKED" and "WITHDRAWN" in late["errors"][0]["message"]
        # the subject may object again once it withdrew
        again = await file(client, record_id, P, serial)
        assert again["errors"] == [] and again["case"]["state"] == "FILED"
    _, notes, logged = await traces(xz, case["number"])
    assert [party for kind, party in notes if kind == "OBJECTION_WITHDRAWN"] == told
    assert logged[-1] == "CASE_OBJECTION_WITHDRAW"


async def test_an_open_objection_never_hides_a_bad_record_nor_stops_its_handling(xz):
    """XZ-24: annotated only. The public reads the record (annotated, no statement), the provider still
    corrects it and reports its revocation while the objection is open."""
    serial = 20
    async with on(xz, dt.date(2026, 11, 2), P) as client:
        record_id, case = await case_in(client, P, serial, "FORWARDED")
    async with on(xz, dt.date(2026, 12, 1), P) as client:  # the provider long past its day
        for token, declared in ((None, {}), (ZJJ_OFFICER, DEPARTMENT_BASIS), (subject_token(P, serial), {})):
            seen = await annotations(client, record_id, token, **declared)
            assert [a["kind"] for a in seen] == ["OBJECTION_OPEN"], token
            assert "罚款金额" not in seen[0]["text"]
        corrected = await graphql(client, CORRECT, {"i": {"id": record_id, "reason": "更正违法事实", "changes": {
            "content": {"violation": "更正后的违法事实"}}}}, token=SCJG)
        assert corrected["data"]["correctRecord"]["errors"] == [], corrected
        reported = await graphql(client, REPORT, {"i": {"recordId": record_id, "document": "新市监撤〔2026〕OX20号",
                                                        "revokedOn": "2026-11-30"}}, token=SCJG)
        assert payload(reported, "reportRevocation")["errors"] == []
        # the objection is still open beside the revocation: the subject may withdraw it
        withdrawn = await take(client, "withdraw", case["id"], subject_token(P, serial))
        assert withdrawn["errors"] == [] and withdrawn["case"]["state"] == "WITHDRAWN"


async def test_a_wrong_party_writes_nothing_here_either(xz):
    """A sample of the refusal matrix on this profile's own steps (tests/test_objection_refusals.py has it all)."""
    serial = 21
    async with on(xz, dt.date(2026, 11, 2), P) as client:
        _, case = await case_in(client, P, serial, "VERIFIED_REJECTED")
        before = await writes(xz)
        for token in (None, SCJG, subject_token(P, serial), subject_token(P, serial + 1)):
            assert forbidden(await take(client, "notify_rejected", case["id"], token)), token
        assert await writes(xz) == before

