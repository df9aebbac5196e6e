"""What every Huancui objection step leaves behind (SPEC 3.4, HC-29, HC-35), through HTTP: an event
on the record naming the case, a submission-log entry, a notification to each party it concerns
(never the one that took it; the provider not before the centre has compared); and the operator's
case basis (`case:<number>`, SPEC 3.1) opening exactly the objecting subject's records while the
objection is open, and not once it closes. (Xinzheng's are pinned in
tests/test_objections_xinzheng_branches.py.) On a database of this module's own.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import graphql, make_token
from tests.objection_steps import case_in, on, profile_engine, subject_token, take, traces
from tests.test_cases import OPERATOR, TW, honour, payload, person, submit
from tests.test_cases_access import seen
from tests.test_objections import FILE

P = "huancui"
FILED = (["OBJECTION_FILED"], [("OBJECTION_FILED", "SUBJECT"), ("OBJECTION_FILED", "CENTRE")],
         ["CASE_OBJECTION_FILE"])
SAME = (["OBJECTION_FORWARDED"], [("OBJECTION_FORWARDED", "SUBJECT"), ("OBJECTION_FORWARDED", "PROVIDER")],
        ["CASE_OBJECTION_SAME"])


@pytest.fixture(scope="module")
async def hc(backend, tmp_path_factory):
    engine = await profile_engine(backend, tmp_path_factory, "objection_traces", P)
    yield engine
    await engine.dispose()


def joined(*parts):
    return tuple(sum((list(p[i]) for p in parts), []) for i in range(3))


@pytest.mark.parametrize("state, steps, expected", [
    ("CORRECTED", [], joined(FILED, (["CORRECTED", "OBJECTION_CORRECTED"],
                                     [("OBJECTION_CORRECTED", "SUBJECT"), ("OBJECTION_CORRECTED", "PROVIDER")],
                                     ["CORRECT", "CASE_OBJECTION_DIFFERS"]))),
    ("UPHELD", [], joined(FILED, SAME, (["CORRECTED", "OBJECTION_UPHELD"],
                                        [("OBJECTION_UPHELD", "SUBJECT"), ("OBJECTION_UPHELD", "CENTRE")],
                                        ["CORRECT", "CASE_OBJECTION_UPHOLD"]))),
    ("DISPUTED", [], joined(FILED, SAME, (["OBJECTION_REJECTED", "OBJECTION_DISPUTED"],
                                          [("OBJECTION_REJECTED", "SUBJECT"), ("OBJECTION_REJECTED", "CENTRE"),
                                           ("OBJECTION_DISPUTED", "PROVIDER"), ("OBJECTION_DISPUTED", "CENTRE")],
                                          ["CASE_OBJECTION_REJECT", "CASE_OBJECTION_DISPUTE"]))),
    ("FILED", ["withdraw"], joined(FILED, (["OBJECTION_WITHDRAWN"], [("OBJECTION_WITHDRAWN", "CENTRE")],
                                           ["CASE_OBJECTION_WITHDRAW"]))),
    ("FORWARDED", ["withdraw"], joined(FILED, SAME, (["OBJECTION_WITHDRAWN"], [
        ("OBJECTION_WITHDRAWN", "PROVIDER"), ("OBJECTION_WITHDRAWN", "CENTRE")], ["CASE_OBJECTION_WITHDRAW"]))),
])
async def test_every_step_leaves_an_event_a_log_entry_and_notifications(hc, state, steps, expected):
    serial = 1 + ["CORRECTED", "UPHELD", "DISPUTED", "FILED", "FORWARDED"].index(state)
    async with on(hc, dt.date(2026, 11, 2), P) as client:
        _, case = await case_in(client, P, serial, state)
        for step in steps:
            assert (await take(client, step, case["id"], subject_token(P, serial)))["errors"] == []
    events, notes, logged = await traces(hc, case["number"])
    assert (events, notes, logged) == expected


async def test_an_open_objection_named_as_the_basis_opens_its_subject_to_the_operator_until_it_closes(hc):
    mine, other = person(171), person(172)
    async with on(hc, dt.date(2026, 11, 2), P) as client:
        record_id = await submit(client, honour(mine, 171, "李异议"), TW)
        await submit(client, honour(other, 172, "赵异议"), TW)
        basis = {"purpose": "supervision"}
        # a person's honour is SHARED: the operator does not read it without a case
        assert (await seen(client, [mine, other], OPERATOR, basis="case:999999", **basis))[0] == [0, 0]
        me = make_token(user="qh-p171", subject=mine)
        case = payload(await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "PRIVACY_OR_TRADE_SECRET",
                                                          "statement": "涉及个人隐私"}}, token=me),
                       "fileObjection")["case"]
        number = case["number"]
        for named in (f"case:{number}", case["id"]):
            counts, codes, notices = await seen(client, [mine, other], OPERATOR, basis=named, **basis)
            assert counts == [1, 0] and codes[0] == mine and notices == [], named
        # the objection's number in another form names no case (SPEC 3.1: `case:<number>` or the case's id)
        counts, _, notices = await seen(client, [mine], OPERATOR, basis=f"objection:{number}", **basis)
        assert counts == [0] and any("names no case" in n for n in notices)
        withdrawn = await take(client, "withdraw", case["id"], me)
        assert withdrawn["errors"] == []
        counts, _, notices = await seen(client, [mine], OPERATOR, basis=f"case:{number}", **basis)
        assert counts == [0] and any("is closed" in n for n in notices)


ANNOTATIONS = "query($id: ID!) { record(id: $id) { annotations { kind text caseId } } }"


async def test_an_annotation_names_its_case_to_readers_and_only_its_pending_to_the_public(hc):
    from tests.test_cases import SCJG, ZJJ

    serial = 30
    async with on(hc, dt.date(2026, 11, 2), P) as client:
        record_id, case = await case_in(client, P, serial, "REJECTED")
        disputed = (await take(client, "dispute", case["id"], subject_token(P, serial)))["case"]
        again = payload(await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "PAST_ITS_PERIOD",
                                                           "statement": "保存期限已过"}}, token=subject_token(P, serial)),
                        "fileObjection")["case"]
        readers = ((subject_token(P, serial), {}), (SCJG, {}),
                   (ZJJ, {"purpose": "supervision", "basis": "ZJJ-2026-QH"}))
        for token, declared in readers:
            seen = (await graphql(client, ANNOTATIONS, {"id": record_id}, token=token, **declared))["data"]
            assert [(a["kind"], a["caseId"]) for a in seen["record"]["annotations"]] == [
                ("OBJECTION_DISPUTED", disputed["id"]), ("OBJECTION_OPEN", again["id"])], token
        public = (await graphql(client, ANNOTATIONS, {"id": record_id}))["data"]["record"]["annotations"]
        assert [(a["kind"], a["caseId"]) for a in public] == [("OBJECTION_DISPUTED", None), ("OBJECTION_OPEN", None)]
        assert not any(word in a["text"] for a in public for word in ("保存期限", "仍有异议", "罚款金额"))


LISTED = "query($c: [ID!]!) { subjects(codes: $c) { records(first: 10) { totalCount } } }"


async def test_a_provider_past_its_day_loses_the_record_from_public_lists_until_it_upholds(hc):
    """HC-29 中止向社会提供, in listings too (tests/test_objections.py reads the record by id and
    releases it with a rejection): departments still list it, annotated; released by the decision."""
    from tests.objection_steps import subject
    from tests.test_cases import SCJG, ZJJ

    serial, department = 31, {"purpose": "supervision", "basis": "ZJJ-2026-QH"}
    code = subject(P, serial)
    async with on(hc, dt.date(2026, 11, 2), P) as client:
        record_id, case = await case_in(client, P, serial, "FORWARDED")
        assert case["dueOn"] == "2026-11-23"

    async def listed(client, token=None, **declared) -> int:
        body = await graphql(client, LISTED, {"c": [code]}, token=token, **declared)
        return body["data"]["subjects"][0]["records"]["totalCount"]

    async with on(hc, dt.date(2026, 11, 23), P) as client:
        assert await listed(client) == 1
    async with on(hc, dt.date(2026, 11, 24), P) as client:
        assert await listed(client) == 0
        assert await listed(client, ZJJ, **department) == 1
        assert await listed(client, subject_token(P, serial)) == 1
        assert (await take(client, "uphold", case["id"], SCJG))["errors"] == []
        assert await listed(client) == 1
        shown = (await graphql(client, ANNOTATIONS, {"id": record_id}))["data"]["record"]
        assert shown == {"annotations": []}


async def test_an_objection_on_a_record_revoked_meanwhile_still_closes_without_a_change(hc):
    """The provider reports the decision revoked and the centre deletes the record (HC-30) while its
    objection waits for the provider: an upholding correction is refused (nothing left to correct,
    nothing written), a rejection closes the case on the record's tombstone and the subject is told."""
    from tests.test_cases import COMPLETE, REPORT, SCJG, writes

    serial = 32
    async with on(hc, dt.date(2026, 11, 2), P) as client:
        record_id, case = await case_in(client, P, serial, "FORWARDED")
        reported = payload(await graphql(client, REPORT, {"i": {"recordId": record_id, "revokedOn": "2026-10-30",
                                                                "document": "环市监撤〔2026〕QH32号"}}, token=SCJG),
                           "reportRevocation")["case"]
        assert payload(await graphql(client, COMPLETE, {"i": {"caseId": reported["id"]}}, token=OPERATOR),
                       "completeRevocation")["case"]["state"] == "REVOKED"
        before = await writes(hc)
        refused = await take(client, "uphold", case["id"], SCJG)
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("ALREADY_REVOKED", "caseId")], refused
        assert refused["case"]["state"] == "FORWARDED" and await writes(hc) == before
        rejected = await take(client, "reject", case["id"], SCJG)
        assert rejected["errors"] == [] and rejected["case"]["state"] == "REJECTED"
    events, notes, _ = await traces(hc, case["number"])
    assert events[-1] == "OBJECTION_REJECTED" and ("OBJECTION_REJECTED", "SUBJECT") in notes
