"""An operator's case basis (SPEC 3.1): a credit-centre operator reads the records of the subject of
an open case the basis names (`case:<number>` or the case's id), with a purpose, and nothing more:
not without the purpose, not another subject's, not once the case is closed, not for other roles.
"""

from __future__ import annotations

import datetime as dt

from tests.conftest import graphql, make_token
from tests.test_cases import DELETE, REQUEST, TW, honour, on, payload, person, submit

OPERATOR = make_token(user="ca-op", department="XYZX", roles=["operator"])
READ = """query($c: [ID!]!, $r: ID!) { record(id: $r) { id }
  subjects(codes: $c) { code records(first: 10) { totalCount edges { node { id } } } } }"""
EXPLAIN = "query($id: ID!){ accessExplanation(recordId: $id){ allowed decidedBy reasons } }"
PROBE = {"r": "1"}  # a record read: the answer then carries the notices about withheld records


async def seen(client, codes, token, **declared) -> tuple[list[int], list[str], list[str]]:
    body = await graphql(client, READ, {"c": codes, **PROBE}, token=token, **declared)
    notices = [e["message"] for e in body.get("errors", []) if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
    subjects = body["data"]["subjects"]
    return ([s["records"]["totalCount"] if s else 0 for s in subjects], [s["code"] if s else None for s in subjects],
            notices)


async def test_an_open_case_named_in_the_basis_opens_its_subject_to_the_operator_until_it_closes(engine):
    mine, other = person(11), person(12)
    async with await on(engine, dt.date(2026, 11, 2)) as client:
        record_id = await submit(client, honour(mine, 11, "李案件"), TW)
        await submit(client, honour(other, 12, "赵案件"), TW)
        # a person's honour is SHARED (person_visibility): the operator does not read it without a case
        assert (await seen(client, [mine], OPERATOR, purpose="supervision", basis="case:1"))[0] == [0]
        subject = make_token(user="ca-p11", subject=mine)
        case = payload(await graphql(client, REQUEST, {"i": {"recordId": record_id, "reason": "请删除"}},
                                     token=subject), "requestHonourDeletion")["case"]
        number = case["number"]
        for basis in (f"case:{number}", f"CASE:{number}", case["id"]):
            counts, codes, notices = await seen(client, [mine, other], OPERATOR, purpose="supervision", basis=basis)
            assert counts == [1, 0] and codes[0] == mine and notices == [], basis  # unmasked, its subject only
        # the explanation names the operator's case line and the case (tests/MUTATION.md, access.py)
        explained = (await graphql(client, EXPLAIN, {"id": record_id}, token=OPERATOR, purpose="supervision",
                                   basis=f"case:{number}"))["data"]["accessExplanation"]
        assert explained["allowed"] and "operator" in explained["decidedBy"] and "case" in explained["decidedBy"]
        assert any("the case named in X-Query-Basis" in r for r in explained["reasons"]), explained
        # without a purpose, naming another form or a case that does not exist: nothing, and the notice says why
        for declared, why in (({"basis": f"case:{number}"}, "no X-Query-Purpose"),
                              ({"purpose": "supervision", "basis": f"honour:{number}"}, "names no case"),
                              ({"purpose": "supervision", "basis": "case:999999999"}, "does not exist or is closed")):
            counts, codes, notices = await seen(client, [mine], OPERATOR, **declared)
            assert counts == [0] and any(why in n for n in notices), (declared, notices)
        # other roles gain nothing from a case basis
        for token in (make_token(user="ca-fy", department="FY", roles=["officer"]),
                      make_token(user="ca-au", department="FGJ", roles=["auditor"])):
            assert (await seen(client, [mine], token, purpose="supervision", basis=f"case:{number}"))[0] == [0]
        done = payload(await graphql(client, DELETE, {"i": {"caseId": case["id"]}}, token=TW), "deleteHonour")
        assert done["case"]["state"] == "DELETED"
        counts, codes, notices = await seen(client, [mine], OPERATOR, purpose="supervision", basis=f"case:{number}")
        assert counts == [0] and any("is closed" in n for n in notices)
