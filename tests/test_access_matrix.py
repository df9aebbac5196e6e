"""SPEC 3.1 through HTTP: each reader kind × each class × (listed / unlisted department for LIMITED)
× (authorisation valid / expired / revoked / out of scope / wrong purpose), asserting exactly
which records and which fields come back.

World (tests/world.py, huancui catalogue): organisation ORG_A has a PUBLIC and a SHARED record
(plus an archived and a revoked one); person PERSON_P has AUTHORIZED, SHARED and LIMITED records,
and a PUBLIC one of an item a law requires to be public (natural persons' records are otherwise
never PUBLIC).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from store.models import Authorization
from tests import world as w
from tests.conftest import graphql, make_token

QUERY = """
query($codes: [ID!]!, $status: RecordStatus) {
  subjects(codes: $codes) {
    code name
    records(status: $status, first: 50) {
      totalCount
      edges { node { id visibility lateWorkingDays provider { code } } }
    }
  }
}
"""
MASKED_P = w.PERSON_P[:6] + "********" + w.PERSON_P[-4:]
PURPOSE = {"purpose": "licensing", "basis": "XK-2026-0001"}


def labels_of(body: dict) -> set[str]:
    by_id = {v: k for k, v in w.WORLD.records.items()}
    found = set()
    for subject in body["data"]["subjects"]:
        edges = subject["records"]["edges"]
        assert subject["records"]["totalCount"] == len(edges), "totalCount counts only what may be seen"
        found |= {by_id[int(e["node"]["id"])] for e in edges}
    return found


async def read(client, token=None, purpose=None, basis=None, status=None) -> dict:
    variables = {"codes": [w.ORG_A, w.PERSON_P]}
    if status:
        variables["status"] = status
    return await graphql(client, QUERY, variables, token=token, purpose=purpose, basis=basis)


def test_world_matches_the_assumptions_of_this_matrix(engine):
    items = w.WORLD.items
    limited = items["NATURAL_PERSON-LIMITED"]
    assert "FY" in limited.shared_with and "SCJG" not in limited.shared_with and "ZXJG" not in limited.shared_with
    assert items["NATURAL_PERSON-AUTHORIZED"].providers[0] == "GAJ" and "GAJ" in limited.shared_with
    assert {items["ORGANISATION-PUBLIC"].providers[0], items["ORGANISATION-SHARED"].providers[0]}.isdisjoint(
        {"FY", "ZXJG", "XYZX", "FGJ", "GAJ"})
    assert items["NATURAL_PERSON-SHARED"].providers[0] not in {"FY", "SCJG", "ZXJG", "XYZX", "FGJ", "GAJ"}


# reader, token claims, declared purpose/basis, records expected, person unmasked, lateWorkingDays readable
CELLS = [
    ("public", None, {}, {"A-PUBLIC", "P-PUBLIC"}, False, False),
    ("self (the person)", dict(user="p", subject=w.PERSON_P), {},
     {"A-PUBLIC", "P-PUBLIC", "P-AUTHORIZED", "P-SHARED", "P-LIMITED"}, True, False),
    ("officer, listed for LIMITED, with purpose", dict(user="o1", department="FY", roles=["officer"]), PURPOSE,
     {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-SHARED", "P-LIMITED"}, True, True),
    ("officer, unlisted, with purpose", dict(user="o2", department="SCJG", roles=["officer"]), PURPOSE,
     {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-SHARED"}, True, True),
    ("officer, listed, without purpose", dict(user="o3", department="FY", roles=["officer"]), {},
     {"A-PUBLIC", "P-PUBLIC"}, False, False),
    ("credit agency with purpose (unlisted)", dict(user="c1", department="ZXJG", roles=["agency"]), PURPOSE,
     {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-SHARED"}, False, False),
    ("provider without purpose: its own records only", dict(user="g1", department="GAJ", roles=["officer"]), {},
     {"A-PUBLIC", "P-PUBLIC", "P-AUTHORIZED"}, False, False),
    ("provider with purpose: own, SHARED and listed LIMITED", dict(user="g2", department="GAJ", roles=["officer"]),
     PURPOSE, {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-AUTHORIZED", "P-SHARED", "P-LIMITED"}, True, True),
    ("operator without a case", dict(user="x1", department="XYZX", roles=["operator"]), PURPOSE,
     {"A-PUBLIC", "P-PUBLIC"}, False, True),
    ("auditor with a basis", dict(user="a1", department="FGJ", roles=["auditor"]), PURPOSE,
     {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-AUTHORIZED", "P-SHARED", "P-LIMITED"}, True, True),
    ("auditor without a basis", dict(user="a2", department="FGJ", roles=["auditor"]), {},
     {"A-PUBLIC", "P-PUBLIC"}, False, True),
    # a role claimed without a department is refused outright (tests/test_token_claims.py)
]


@pytest.mark.parametrize("reader, claims, declared, expected, unmasked, late_ok", CELLS, ids=[c[0] for c in CELLS])
async def test_reader_sees_exactly(client, reader, claims, declared, expected, unmasked, late_ok):
    token = make_token(**claims) if claims else None
    body = await read(client, token, **declared)
    assert labels_of(body) == expected, reader
    person = body["data"]["subjects"][1]
    assert person["code"] == (w.PERSON_P if unmasked else MASKED_P)
    assert (person["name"] == "王小明") is unmasked
    forbidden = [e for e in body.get("errors", []) if e["extensions"]["code"] == "FORBIDDEN"]
    dept = (claims or {}).get("department")
    refused = 0
    for subject in body["data"]["subjects"]:
        for edge in subject["records"]["edges"]:
            node = edge["node"]
            # the provider always sees its own records' lateness; others need a policy line
            readable = late_ok or node["provider"]["code"] == dept
            assert (node["lateWorkingDays"] is not None) is readable, (reader, node)
            refused += not readable
    # a refused field of a visible record: null, with an error saying which rule is missing
    assert len(forbidden) == refused
    assert all("field:CreditRecord.lateWorkingDays" in e["message"] for e in forbidden)


async def test_missing_purpose_is_named(client):
    body = await read(client, make_token(user="o5", department="FY", roles=["officer"]))
    notices = [e for e in body["errors"] if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
    assert notices and "X-Query-Purpose" in notices[0]["message"] and "X-Query-Basis" in notices[0]["message"]


async def test_unknown_purpose_is_refused_with_the_allowed_values(client):
    response = await client.post("/graphql", json={"query": "{ departments { code } }"},
                                 headers={"X-Query-Purpose": "curiosity"})
    assert response.status_code == 400
    assert "curiosity" in response.json()["errors"][0]["message"] and "licensing" in response.json()["errors"][0]["message"]


async def test_operator_with_a_case_basis_sees_that_subject_only(client):
    case = f"repair:{w.WORLD.records['P-SHARED']}"
    body = await read(client, make_token(user="x2", department="XYZX", roles=["operator"]), basis=case)
    assert labels_of(body) == {"A-PUBLIC", "P-PUBLIC", "P-AUTHORIZED", "P-SHARED", "P-LIMITED"}


async def test_archived_records_reach_the_subject_and_auditors_only(client):
    org_self = make_token(user="org", subject=w.ORG_A)
    assert "A-ARCHIVED" in labels_of(await read(client, org_self, status="ARCHIVED"))
    auditor = make_token(user="a3", department="FGJ", roles=["auditor"])
    assert "A-ARCHIVED" in labels_of(await read(client, auditor, status="ARCHIVED", **PURPOSE))
    officer = make_token(user="o6", department="SCJG", roles=["officer"])  # not the provider
    assert labels_of(await read(client, officer, status="ARCHIVED", **PURPOSE)) == set()
    assert labels_of(await read(client, None, status="ARCHIVED")) == set()


# ---- authorisations (HC-22, XZ-18) -------------------------------------------------------------

GRANT = """
mutation($grantee: GranteeInput!, $scope: AuthorizationScopeInput!, $purpose: Purpose!,
         $from: DateTime!, $until: DateTime!, $ref: String!) {
  grantAuthorization(grantee: $grantee, scope: $scope, purpose: $purpose, validFrom: $from,
                     validUntil: $until, writtenAuthorizationRef: $ref) { id purpose classes catalogueItems }
}
"""


def _window(days_from=-1, days_until=30):
    now = dt.datetime.now(dt.timezone.utc)
    return (now + dt.timedelta(days=days_from)).isoformat(), (now + dt.timedelta(days=days_until)).isoformat()


async def grant(client, user, scope, purpose="LICENSING"):
    start, end = _window()
    body = await graphql(client, GRANT, {"grantee": {"user": user}, "scope": scope, "purpose": purpose,
                                         "from": start, "until": end, "ref": "SQ-2026-0007"},
                         token=make_token(user="p", subject=w.PERSON_P))
    assert "errors" not in body, body
    return body["data"]["grantAuthorization"]["id"]


async def test_grantee_within_scope_purpose_and_window(client):
    await grant(client, "bank-valid", {"classes": ["AUTHORIZED"]})
    token = make_token(user="bank-valid")
    body = await read(client, token, purpose="licensing", basis="SQ-2026-0007")
    assert labels_of(body) == {"A-PUBLIC", "P-PUBLIC", "P-AUTHORIZED"}
    assert body["data"]["subjects"][1]["code"] == w.PERSON_P  # grantees see the person unmasked
    # wrong purpose: the authorisation does not apply
    assert labels_of(await read(client, token, purpose="hiring", basis="SQ-2026-0007")) == {"A-PUBLIC", "P-PUBLIC"}
    # no purpose at all
    assert labels_of(await read(client, token)) == {"A-PUBLIC", "P-PUBLIC"}


async def test_grantee_out_of_scope_sees_only_the_scope(client):
    limited_item = w.WORLD.items["NATURAL_PERSON-LIMITED"].code
    await grant(client, "bank-scope", {"catalogueItems": [limited_item]})
    body = await read(client, make_token(user="bank-scope"), purpose="licensing", basis="SQ-1")
    assert labels_of(body) == {"A-PUBLIC", "P-PUBLIC", "P-LIMITED"}


async def test_revoked_authorisation_holds_from_the_next_request(client):
    ident = await grant(client, "bank-revoked", {"classes": ["AUTHORIZED", "SHARED", "LIMITED"]})
    token = make_token(user="bank-revoked")
    assert labels_of(await read(client, token, purpose="licensing", basis="SQ-2")) == \
        {"A-PUBLIC", "P-PUBLIC", "P-AUTHORIZED", "P-SHARED", "P-LIMITED"}
    body = await graphql(client, "mutation($id: ID!){ revokeAuthorization(id: $id){ revokedAt } }", {"id": ident},
                         token=make_token(user="p", subject=w.PERSON_P))
    assert body["data"]["revokeAuthorization"]["revokedAt"]
    assert labels_of(await read(client, token, purpose="licensing", basis="SQ-2")) == {"A-PUBLIC", "P-PUBLIC"}


async def test_expired_and_not_yet_valid_authorisations_do_not_apply(engine, client):
    now = dt.datetime.now(dt.timezone.utc)
    async with engine.begin() as connection:
        for user, start, end in (("bank-expired", now - dt.timedelta(days=60), now - dt.timedelta(days=1)),
                                 ("bank-future", now + dt.timedelta(days=1), now + dt.timedelta(days=60))):
            await connection.execute(insert(Authorization).values(
                subject_code=w.PERSON_P, grantee_user=user, scope_items=[], scope_classes=["AUTHORIZED", "SHARED"],
                purpose="LICENSING", valid_from=start, valid_until=end, written_ref="SQ-OLD", created_at=now))
    for user in ("bank-expired", "bank-future"):
        assert labels_of(await read(client, make_token(user=user), purpose="licensing", basis="SQ-3")) == {"A-PUBLIC", "P-PUBLIC"}


async def test_department_grantee_applies_to_its_officers(client):
    start, end = _window()
    body = await graphql(client, GRANT, {"grantee": {"department": "SCJG"}, "scope": {"classes": ["AUTHORIZED"]},
                                         "purpose": "LICENSING", "from": start, "until": end, "ref": "SQ-9"},
                         token=make_token(user="p", subject=w.PERSON_P))
    assert "errors" not in body
    officer = make_token(user="o7", department="SCJG", roles=["officer"])
    assert labels_of(await read(client, officer, **PURPOSE)) == {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-AUTHORIZED", "P-SHARED"}


async def test_only_a_subject_can_grant_and_bad_grants_name_every_problem(client):
    start, end = _window()
    variables = {"grantee": {"user": "x", "department": "FY"}, "scope": {"catalogueItems": ["NOPE"],
                 "classes": ["PUBLIC"]}, "purpose": "LICENSING", "from": end, "until": start, "ref": ""}
    body = await graphql(client, GRANT, variables, token=make_token(user="o", department="FY", roles=["officer"]))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await graphql(client, GRANT, variables, token=make_token(user="p", subject=w.PERSON_P))
    message = body["errors"][0]["message"]
    for fragment in ("exactly one of user or department", "PUBLIC records need no authorisation",
                     "validUntil must be after validFrom", "writtenAuthorizationRef", "NOPE"):
        assert fragment in message


async def test_my_authorizations_lists_only_my_own(client):
    await grant(client, "bank-list", {"classes": ["SHARED"]})
    body = await graphql(client, "{ myAuthorizations { granteeUser subjectCode } }",
                         token=make_token(user="p", subject=w.PERSON_P))
    rows = body["data"]["myAuthorizations"]
    assert any(r["granteeUser"] == "bank-list" for r in rows) and {r["subjectCode"] for r in rows} == {w.PERSON_P}
    body = await graphql(client, "{ myAuthorizations { id } }", token=make_token(user="q", subject=w.PERSON_Q))
    assert body["data"]["myAuthorizations"] == []


# ---- explanation --------------------------------------------------------------------------------

EXPLAIN = "query($id: ID!){ accessExplanation(recordId: $id){ allowed decidedBy reasons } }"


async def test_access_explanation_names_the_deciding_line(client):
    record = str(w.WORLD.records["P-LIMITED"])
    listed = await graphql(client, EXPLAIN, {"id": record},
                           token=make_token(user="o8", department="FY", roles=["officer"]), **PURPOSE)
    explanation = listed["data"]["accessExplanation"]
    assert explanation["allowed"] and explanation["decidedBy"] == "p, officer, LIMITED, *, read, listed"
    unlisted = await graphql(client, EXPLAIN, {"id": record},
                             token=make_token(user="o9", department="SCJG", roles=["officer"]), **PURPOSE)
    explanation = unlisted["data"]["accessExplanation"]
    assert not explanation["allowed"] and explanation["decidedBy"] is None
    assert any("deny by default" in r for r in explanation["reasons"])
    public = await graphql(client, EXPLAIN, {"id": record})
    assert public["data"]["accessExplanation"]["allowed"] is False
