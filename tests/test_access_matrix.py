"""SPEC 3.1 through HTTP (Huancui profile): each reader kind × each class × (listed / unlisted
department for LIMITED) × (query permit valid / none / expired / revoked / another department's /
out of scope) × (authorisation valid / expired / revoked / out of scope / wrong purpose / no
basis), asserting exactly which records and which fields come back. Xinzheng's rows are in
test_access_matrix_xinzheng.py.

World (tests/world.py, huancui catalogue): organisation ORG_A has a PUBLIC and a SHARED record
(plus an archived and a revoked one); person PERSON_P has AUTHORIZED, SHARED and LIMITED records,
and a PUBLIC one of an item a law requires to be public (natural persons' records are otherwise
never PUBLIC).

Huancui: SHARED (and its strictest form, LIMITED) is read by information providers under a query
permit the credit centre registered (HC-20, HC-23); credit agencies read PUBLIC only (HC-28).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from resolvers.node_ids import NodeKind, global_id
from store.models import Authorization
from tests import permits
from tests import world as w
from tests.conftest import graphql, make_token, row_number

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
PURPOSE = {"purpose": "licensing", "basis": "XK-2026-0001"}  # a basis that names no permit
# One permit per department that reads with one in these cells, covering SHARED and LIMITED.
PERMIT_DEPARTMENTS = ("FY", "SCJG", "GAJ", "FGJ", "ZXJG")


def permit_number(dept: str) -> str:
    return f"HC-SQ-2026-{dept}"


def with_permit(dept: str) -> dict:
    return {"purpose": "licensing", "basis": permit_number(dept)}


@pytest.fixture
async def matrix_permits(client):
    for dept in PERMIT_DEPARTMENTS:
        await permits.ensure(client, permit_number(dept), dept, ["SHARED", "LIMITED"])


def labels_of(body: dict) -> set[str]:
    by_id = {v: k for k, v in w.WORLD.records.items()}
    found = set()
    for subject in body["data"]["subjects"]:
        edges = subject["records"]["edges"]
        assert subject["records"]["totalCount"] == len(edges), "totalCount counts only what may be seen"
        found |= {by_id[row_number(e["node"]["id"])] for e in edges}
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
OFFICER = lambda user, dept: dict(user=user, department=dept, roles=["officer"])  # noqa: E731
CELLS = [
    ("public", None, {}, {"A-PUBLIC", "P-PUBLIC"}, False, False),
    ("self (the person)", dict(user="p", subject=w.PERSON_P), {},
     {"A-PUBLIC", "P-PUBLIC", "P-AUTHORIZED", "P-SHARED", "P-LIMITED"}, True, False),
    ("officer, listed for LIMITED, with a permit", OFFICER("o1", "FY"), with_permit("FY"),
     {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-SHARED", "P-LIMITED"}, True, True),
    ("officer, listed, purpose and a basis that names no permit", OFFICER("o1b", "FY"), PURPOSE,
     {"A-PUBLIC", "P-PUBLIC"}, True, True),
    ("officer, unlisted, with a permit", OFFICER("o2", "SCJG"), with_permit("SCJG"),
     {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-SHARED"}, True, True),
    ("officer, listed, without purpose", OFFICER("o3", "FY"), {},
     {"A-PUBLIC", "P-PUBLIC"}, False, False),
    ("officer, with its permit as basis but no purpose", OFFICER("o3b", "FY"), {"basis": permit_number("FY")},
     {"A-PUBLIC", "P-PUBLIC"}, False, False),
    ("credit agency with purpose: PUBLIC only (HC-28)", dict(user="c1", department="ZXJG", roles=["agency"]), PURPOSE,
     {"A-PUBLIC", "P-PUBLIC"}, False, False),
    ("credit agency even with a permit", dict(user="c2", department="ZXJG", roles=["agency"]), with_permit("ZXJG"),
     {"A-PUBLIC", "P-PUBLIC"}, False, False),
    ("provider without purpose: its own records only", OFFICER("g1", "GAJ"), {},
     {"A-PUBLIC", "P-PUBLIC", "P-AUTHORIZED"}, False, False),
    ("provider with a permit: own, SHARED and listed LIMITED", OFFICER("g2", "GAJ"), with_permit("GAJ"),
     {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-AUTHORIZED", "P-SHARED", "P-LIMITED"}, True, True),
    ("operator without a case", dict(user="x1", department="XYZX", roles=["operator"]), PURPOSE,
     {"A-PUBLIC", "P-PUBLIC"}, False, True),
    ("operator naming a repair 'case' with a purpose", dict(user="x3", department="XYZX", roles=["operator"]),
     {"purpose": "supervision", "basis": "repair:{P-SHARED}"}, {"A-PUBLIC", "P-PUBLIC"}, False,
     True),
    ("operator naming REPAIR: without a purpose", dict(user="x4", department="XYZX", roles=["operator"]),
     {"basis": "REPAIR:{P-LIMITED}"}, {"A-PUBLIC", "P-PUBLIC"}, False, True),
    ("auditor with purpose and a basis naming no permit", dict(user="a1", department="FGJ", roles=["auditor"]),
     PURPOSE, {"A-PUBLIC", "P-PUBLIC"}, True, True),
    ("auditor with a permit: as an officer, never AUTHORIZED or unlisted LIMITED",
     dict(user="a1b", department="FGJ", roles=["auditor"]), with_permit("FGJ"),
     {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-SHARED"}, True, True),
    ("auditor without a basis", dict(user="a2", department="FGJ", roles=["auditor"]), {},
     {"A-PUBLIC", "P-PUBLIC"}, False, True),
    # a role claimed without a department is refused outright (tests/test_token_claims.py)
]


@pytest.mark.parametrize("reader, claims, declared, expected, unmasked, late_ok", CELLS, ids=[c[0] for c in CELLS])
async def test_reader_sees_exactly(client, matrix_permits, reader, claims, declared, expected, unmasked, late_ok):
    token = make_token(**claims) if claims else None
    declared = {k: v.format_map(w.WORLD.records) for k, v in declared.items()}  # record ids: known at run time
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


async def test_operator_naming_a_case_reads_public_records_only_and_is_told_why(client):
    """SPEC 3.1: only an open case the centre handles, named `case:<number>`, opens a subject; a basis
    in another form (`repair:<record id>`, with or without a purpose) names no case and opens nothing
    (tests/test_cases_access.py: a named open case opens its subject)."""
    operator = make_token(user="x2", department="XYZX", roles=["operator"])
    for declared in ({"basis": f"repair:{w.WORLD.records['P-SHARED']}"},
                     {"basis": f"Repair:{w.WORLD.records['P-AUTHORIZED']}", "purpose": "supervision"},
                     {"basis": f"objection:{w.WORLD.records['P-LIMITED']}", "purpose": "supervision"}):
        body = await read(client, operator, **declared)
        assert labels_of(body) == {"A-PUBLIC", "P-PUBLIC"}, declared
        assert body["data"]["subjects"][1]["code"] == MASKED_P
        notices = [e["message"] for e in body["errors"] if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
        assert any("open case" in m and "the basis names no case" in m for m in notices), notices


async def test_archived_records_reach_the_subject_auditors_and_their_provider_only(client, matrix_permits):
    """SPEC 3.2 as revised: the subject, auditors, the record's own provider (and an operator on a
    case of the subject), each seeing it marked archived; no one else."""
    query = """query($id: ID!){ record(id: $id){ id status archivedOn } }"""
    record = str(w.WORLD.records["A-ARCHIVED"])
    provider = w.WORLD.items["org-bad-public"].providers[0]
    readers = {
        "the subject": (make_token(user="org", subject=w.ORG_A), {}),
        "an auditor with a basis": (make_token(user="a3", department="FGJ", roles=["auditor"]), PURPOSE),
        "its provider, without a purpose": (make_token(user="pv", department=provider, roles=["officer"]), {}),
    }
    for who, (token, declared) in readers.items():
        assert "A-ARCHIVED" in labels_of(await read(client, token, status="ARCHIVED", **declared)), who
        seen = (await graphql(client, query, {"id": record}, token=token, **declared))["data"]["record"]
        assert seen["status"] == "ARCHIVED" and seen["archivedOn"], (who, seen)
    assert provider != "SCJG"
    others = {
        "the public": (None, {}),
        "another department with a permit": (make_token(user="o6", department="SCJG", roles=["officer"]),
                                             with_permit("SCJG")),
        "an auditor without a basis": (make_token(user="a4", department="FGJ", roles=["auditor"]), {}),
        "an operator naming a repair": (make_token(user="x5", department="XYZX", roles=["operator"]),
                                        {"purpose": "supervision", "basis": f"repair:{record}"}),
        "an agency": (make_token(user="c3", department="ZXJG", roles=["agency"]), PURPOSE),
        "a grantee of the subject": (make_token(user="bank-archive"), {"purpose": "licensing", "basis": "SQ-A"}),
    }
    await grant_to(client, "bank-archive", {"classes": ["AUTHORIZED", "SHARED", "LIMITED"]}, subject=w.ORG_A)
    for who, (token, declared) in others.items():
        assert labels_of(await read(client, token, status="ARCHIVED", **declared)) == set(), who
        assert (await graphql(client, query, {"id": record}, token=token, **declared))["data"]["record"] is None, who


# ---- authorisations (HC-22, XZ-18) -------------------------------------------------------------

GRANT = """
mutation($grantee: GranteeInput!, $scope: AuthorizationScopeInput!, $purpose: Purpose!,
         $from: DateTime!, $until: DateTime!, $ref: String!) {
  grantAuthorization(input: {grantee: $grantee, scope: $scope, purpose: $purpose, validFrom: $from,
                             validUntil: $until, writtenAuthorizationRef: $ref}) {
    authorization { id purpose classes catalogueItems { code } } errors { code field message } }
}
"""


def _window(days_from=-1, days_until=30):
    now = dt.datetime.now(dt.timezone.utc)
    return (now + dt.timedelta(days=days_from)).isoformat(), (now + dt.timedelta(days=days_until)).isoformat()


async def grant_to(client, user, scope, purpose="LICENSING", subject=w.PERSON_P):
    start, end = _window()
    body = await graphql(client, GRANT, {"grantee": {"user": user}, "scope": scope, "purpose": purpose,
                                         "from": start, "until": end, "ref": "SQ-2026-0007"},
                         token=make_token(user="s", subject=subject))
    assert "errors" not in body and body["data"]["grantAuthorization"]["errors"] == [], body
    return body["data"]["grantAuthorization"]["authorization"]["id"]


async def grant(client, user, scope, purpose="LICENSING"):
    return await grant_to(client, user, scope, purpose)


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
    # the right purpose but no basis (HC-23, XZ-18: both are required)
    body = await read(client, token, purpose="licensing")
    assert labels_of(body) == {"A-PUBLIC", "P-PUBLIC"}
    assert body["data"]["subjects"][1]["code"] == MASKED_P


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
    body = await graphql(client, "mutation($id: ID!){ revokeAuthorization(input: {id: $id}){ authorization { "
                                 "revokedAt } errors { code } } }", {"id": ident},
                         token=make_token(user="p", subject=w.PERSON_P))
    assert body["data"]["revokeAuthorization"]["errors"] == [], body
    assert body["data"]["revokeAuthorization"]["authorization"]["revokedAt"]
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


PERSON_D = w.person_code(104)  # a person whose only record is AUTHORIZED, granting to a department


async def test_department_grantee_applies_to_its_officers(engine, client):
    """A department grantee opens the subject to every officer of that department. The grant is made
    by a person of this test's own (not P, whom the matrix reads as SCJG: SCJG is a grantee of
    nothing there, whatever ran before)."""
    person = await own_person(engine, PERSON_D, "钱七")
    query = "query($c: [ID!]!){ subjects(codes: $c){ code records { edges { node { id } } } } }"
    officer = make_token(user="o7", department="SCJG", roles=["officer"])
    before = await graphql(client, query, {"c": [person]}, token=officer, **PURPOSE)
    assert before["data"]["subjects"] == [None]  # a person with no record it may see: as unknown (SPEC 3.1)
    start, end = _window()
    body = await graphql(client, GRANT, {"grantee": {"department": "SCJG"}, "scope": {"classes": ["AUTHORIZED"]},
                                         "purpose": "LICENSING", "from": start, "until": end, "ref": "SQ-9"},
                         token=make_token(user="d", subject=person))
    assert "errors" not in body, body
    after = await graphql(client, query, {"c": [person]}, token=officer, **PURPOSE)
    (subject,) = after["data"]["subjects"]
    assert subject["code"] == person and len(subject["records"]["edges"]) == 1
    other = make_token(user="o7b", department="FY", roles=["officer"])  # another department: still nothing
    assert (await graphql(client, query, {"c": [person]}, token=other, **PURPOSE))["data"]["subjects"] == [None]


async def test_only_a_subject_can_grant_and_bad_grants_name_every_problem(client):
    start, end = _window()
    variables = {"grantee": {"user": "x", "department": "FY"}, "scope": {"catalogueItems": ["NOPE"],
                 "classes": ["PUBLIC"]}, "purpose": "LICENSING", "from": end, "until": start, "ref": ""}
    body = await graphql(client, GRANT, variables, token=make_token(user="o", department="FY", roles=["officer"]))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None, "may not call it at all: a top-level error"
    subject = make_token(user="p", subject=w.PERSON_P)
    before = len((await graphql(client, "{ myAuthorizations { id } }", token=subject))["data"]["myAuthorizations"])
    body = await graphql(client, GRANT, variables, token=subject)
    assert "errors" not in body and body["data"]["grantAuthorization"]["authorization"] is None, body
    found = [(e["code"], e["field"], e["message"]) for e in body["data"]["grantAuthorization"]["errors"]]
    expected = [("INVALID", "grantee", "exactly one of user or department"),
                ("INVALID", "scope.classes", "PUBLIC records need no authorisation"),
                ("INVALID", "validUntil", "validUntil must be after validFrom"),
                ("INVALID", "validUntil", "validUntil is in the past"),
                ("INVALID", "writtenAuthorizationRef", "1 to 128 characters"),
                ("UNKNOWN_ITEM", "scope.catalogueItems", "not in the catalogue: NOPE")]
    assert len(found) == len(expected), found
    for (code, field, words), error in zip(expected, found):
        assert error[:2] == (code, field) and words in error[2], (error, words)
    # a scope that opens nothing, a department that does not exist, a grant too long
    variables.update(grantee={"department": "NOPE"}, scope={}, ref="SQ-EMPTY", **{"from": start})
    variables["until"] = (dt.datetime.fromisoformat(start) + dt.timedelta(days=366 * 5 + 1)).isoformat()
    body = await graphql(client, GRANT, variables, token=subject)
    assert [(e["code"], e["field"]) for e in body["data"]["grantAuthorization"]["errors"]] == [
        ("EMPTY_SCOPE", "scope"), ("INVALID", "validUntil"), ("UNKNOWN_DEPARTMENT", "grantee.department")], body
    assert "at most 5 years" in body["data"]["grantAuthorization"]["errors"][1]["message"]
    assert len((await graphql(client, "{ myAuthorizations { id } }", token=subject))["data"]["myAuthorizations"]) \
        == before, "nothing stored"


async def test_my_authorizations_lists_only_my_own(client):
    await grant(client, "bank-list", {"classes": ["SHARED"]})
    body = await graphql(client, "{ myAuthorizations { granteeUser subject { code } } }",
                         token=make_token(user="p", subject=w.PERSON_P))
    rows = body["data"]["myAuthorizations"]
    assert any(r["granteeUser"] == "bank-list" for r in rows) and {r["subject"]["code"] for r in rows} == {w.PERSON_P}
    body = await graphql(client, "{ myAuthorizations { id } }", token=make_token(user="q", subject=w.PERSON_Q))
    assert body["data"]["myAuthorizations"] == []


# ---- explanation --------------------------------------------------------------------------------

EXPLAIN = "query($id: ID!){ accessExplanation(recordId: $id){ recordId allowed decidedBy reasons record { id } } }"


async def test_access_explanation_names_the_deciding_line(client, matrix_permits):
    record = str(w.WORLD.records["P-LIMITED"])
    listed = await graphql(client, EXPLAIN, {"id": record},
                           token=make_token(user="o8", department="FY", roles=["officer"]), **with_permit("FY"))
    explanation = listed["data"]["accessExplanation"]
    assert explanation["allowed"] and explanation["decidedBy"] == "p, officer, LIMITED, *, read, listed_permit"
    assert explanation["recordId"] == record, explanation
    assert row_number(explanation["record"]["id"]) == int(record), "the record, read with the caller's access"
    assert any(f"query permit {permit_number('FY')}" in r for r in explanation["reasons"])


async def test_access_explanation_of_a_refused_record_is_that_of_a_missing_one(client, matrix_permits):
    """SPEC 3.1: an explanation never tells a reader what it may not read (today the public learns
    the class, item and status of any record id)."""
    missing = str(max(w.WORLD.records.values()) + 10_000)
    readers = [(None, {}), (make_token(user="o9", department="MZJ", roles=["officer"]), PURPOSE),
               (make_token(user="x6", department="XYZX", roles=["operator"]),
                {"purpose": "supervision", "basis": f"repair:{w.WORLD.records['P-LIMITED']}"})]
    for token, declared in readers:
        absent = (await graphql(client, EXPLAIN, {"id": missing}, token=token, **declared))["data"]["accessExplanation"]
        assert absent["allowed"] is False and absent["decidedBy"] is None and absent["record"] is None
        for label in ("P-LIMITED", "P-AUTHORIZED", "A-ARCHIVED"):
            record = str(w.WORLD.records[label])
            body = await graphql(client, EXPLAIN, {"id": record}, token=token, **declared)
            refused = body["data"]["accessExplanation"]
            assert refused == {**absent, "recordId": record,
                               "reasons": [r.replace(*(global_id(NodeKind.RECORD, n) for n in (missing, record)))
                                           for r in absent["reasons"]]}, label
            assert "errors" not in body or [e for e in body["errors"] if e["extensions"]["code"] == "FORBIDDEN"] == []
            text = " ".join(refused["reasons"])
            assert "LIMITED" not in text and "AUTHORIZED" not in text and "ARCHIVED" not in text


# ---- query permits (HC-23 written application, XZ-18 official letter) ---------------------------

PERMITS = """query($d: ID, $v: Boolean) { queryPermits(department: $d, validOnly: $v) {
  id number department classes catalogueItems revokedAt } }"""


async def test_a_permit_registered_by_the_centre_opens_shared_records_for_its_department(engine, client):
    number = "环翠发改函〔2026〕12号"
    payload = await permits.register(client, number, "TW", ["SHARED"])
    assert payload["errors"] == [] and payload["permit"]["number"] == number
    assert payload["permit"]["department"] == "TW" and payload["permit"]["classes"] == ["SHARED"]
    assert payload["permit"]["registeredBy"] == "centre-op"
    officer = make_token(user="tw1", department="TW", roles=["officer"])
    without = await read(client, officer, purpose="supervision", basis="TW-2026-1")
    assert labels_of(without) == {"A-PUBLIC", "P-PUBLIC"}
    notices = [e["message"] for e in without["errors"] if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
    assert any("query permit" in m and "'TW-2026-1' names no query permit" in m for m in notices), notices
    # the basis travels as a header: a non-ASCII number percent-encoded, as SPEC 2 allows
    from urllib.parse import quote
    response = await client.post("/graphql", json={"query": QUERY, "variables": {"codes": [w.ORG_A, w.PERSON_P]}},
                                 headers={"Authorization": f"Bearer {officer}", "X-Query-Purpose": "supervision",
                                          "X-Query-Basis": quote(number)})
    body = response.json()
    assert labels_of(body) == {"A-PUBLIC", "P-PUBLIC", "A-SHARED", "P-SHARED"}, body.get("errors")
    # the submission log (HC-35) has the registration
    from sqlalchemy import select

    from store.models import SubmissionLogEntry
    async with engine.connect() as connection:
        rows = (await connection.execute(select(SubmissionLogEntry.__table__).where(
            SubmissionLogEntry.action == "REGISTER_QUERY_PERMIT"))).all()
    assert any(r.detail["number"] == number and r.user == "centre-op" and r.department == "XYZX" for r in rows)


async def test_a_permit_opens_nothing_when_expired_revoked_early_another_departments_or_out_of_scope(engine, client):
    from store.models import QueryPermit

    now = dt.datetime.now(dt.timezone.utc)
    async with engine.begin() as connection:  # the mutation refuses a past validity: stored as time left it
        await connection.execute(insert(QueryPermit).values(
            number="HC-SQ-EXPIRED", department_code="STHJ", scope_classes=["SHARED", "LIMITED"], scope_items=[],
            valid_from=now - dt.timedelta(days=60), valid_until=now - dt.timedelta(days=1), document_ref="old",
            registered_by="centre-op", registered_at=now - dt.timedelta(days=60)))
    assert (await permits.register(client, "HC-SQ-FUTURE", "STHJ", ["SHARED"], days_from=5, days_until=40))["permit"]
    revoked = (await permits.register(client, "HC-SQ-REVOKED", "STHJ", ["SHARED"]))["permit"]
    assert (await permits.register(client, "HC-SQ-OTHER", "YJGL", ["SHARED", "LIMITED"]))["permit"]
    limited_item = w.WORLD.items["NATURAL_PERSON-LIMITED"].code
    assert (await permits.register(client, "HC-SQ-SCOPE", "STHJ", [], [limited_item]))["permit"]
    body = await graphql(client, permits.REVOKE, {"input": {"id": revoked["id"], "reason": "application withdrawn"}},
                         token=permits.CENTRE)
    assert body["data"]["revokeQueryPermit"]["errors"] == []
    assert body["data"]["revokeQueryPermit"]["permit"]["revokedBy"] == "centre-op"
    officer = make_token(user="st1", department="STHJ", roles=["officer"])
    for number, problem in (("HC-SQ-EXPIRED", "expired at"), ("HC-SQ-FUTURE", "is valid only from"),
                            ("HC-SQ-REVOKED", "was revoked at"), ("HC-SQ-OTHER", "registered for another department")):
        body = await read(client, officer, purpose="supervision", basis=number)
        assert labels_of(body) == {"A-PUBLIC", "P-PUBLIC"}, number
        notices = [e["message"] for e in body["errors"] if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
        assert any(number in m and problem in m for m in notices), (number, notices)
    # in scope: the one item it names (STHJ is not listed for it: LIMITED needs the share list too)
    body = await read(client, officer, purpose="supervision", basis="HC-SQ-SCOPE")
    assert labels_of(body) == {"A-PUBLIC", "P-PUBLIC"}
    notices = [e["message"] for e in body["errors"] if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
    assert any("HC-SQ-SCOPE does not cover" in m and "class SHARED" in m for m in notices), notices
    # a permit of a listed department naming only the LIMITED item: that item, not SHARED
    assert (await permits.register(client, "HC-SQ-SCOPE-FY", "FY", [], [limited_item]))["permit"]
    body = await read(client, make_token(user="fy9", department="FY", roles=["officer"]), purpose="judicial",
                      basis="HC-SQ-SCOPE-FY")
    assert labels_of(body) == {"A-PUBLIC", "P-PUBLIC", "P-LIMITED"}


async def test_only_the_centre_registers_and_revokes_and_bad_permits_name_every_problem(engine, client):
    for token in (make_token(user="o", department="FY", roles=["officer"]),
                  make_token(user="a", department="FGJ", roles=["auditor"]),
                  None):
        start, end = permits.window()
        body = await graphql(client, permits.REGISTER, {"input": {
            "number": "HC-SQ-SELF", "department": "FY", "scope": {"classes": ["SHARED"]}, "validFrom": start,
            "validUntil": end, "documentRef": "self-made"}}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and "credit centre" in body["errors"][0]["message"]
        body = await graphql(client, permits.REVOKE, {"input": {"id": "1", "reason": "x"}}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    start, end = permits.window()
    body = await graphql(client, permits.REGISTER, {"input": {
        "number": " ", "department": "NOPE", "scope": {"classes": ["PUBLIC", "AUTHORIZED"], "catalogueItems": ["NOPE-1"]},
        "validFrom": end, "validUntil": start, "documentRef": ""}}, token=permits.CENTRE)
    payload = body["data"]["registerQueryPermit"]
    assert payload["permit"] is None
    fields = {e["field"] for e in payload["errors"]}
    assert {"number", "department", "scope.classes", "scope.catalogueItems", "validUntil", "documentRef"} <= fields
    assert {e["code"] for e in payload["errors"]} >= {"INVALID", "UNKNOWN_DEPARTMENT", "UNKNOWN_ITEM"}
    assert all(e["message"] for e in payload["errors"])
    await permits.ensure(client, "HC-SQ-DUP", "FY", ["SHARED"])
    again = await permits.register(client, "HC-SQ-DUP", "FY", ["SHARED"])
    assert [e["code"] for e in again["errors"]] == ["DUPLICATE"]
    revoked = await graphql(client, permits.REVOKE, {"input": {"id": "999999999", "reason": "x"}}, token=permits.CENTRE)
    assert [e["code"] for e in revoked["data"]["revokeQueryPermit"]["errors"]] == ["NOT_FOUND"]
    malformed = await graphql(client, permits.REVOKE, {"input": {"id": "no-such-id", "reason": "x"}},
                              token=permits.CENTRE)
    assert malformed["data"]["revokeQueryPermit"]["permit"] is None, malformed
    assert [(e["code"], e["field"]) for e in malformed["data"]["revokeQueryPermit"]["errors"]] == [("INVALID", "id")]


async def test_query_permits_are_listed_for_the_centre_and_auditors_only(client):
    await permits.ensure(client, "HC-SQ-LIST", "JYJ", ["SHARED"])
    for token in (permits.CENTRE, make_token(user="a", department="FGJ", roles=["auditor"])):
        body = await graphql(client, PERMITS, {"d": "JYJ", "v": True}, token=token)
        assert [p["number"] for p in body["data"]["queryPermits"]] == ["HC-SQ-LIST"]
    for token in (None, make_token(user="o", department="JYJ", roles=["officer"])):
        body = await graphql(client, PERMITS, {"d": "JYJ"}, token=token)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---- a person's existence (SPEC 3.1) -------------------------------------------------------------

PERSON_R = w.person_code(103)  # a person whose only record is AUTHORIZED (this module's own)


async def own_person(engine, code: str, name: str) -> str:
    """A person of a test's own whose only record is a copy of P's AUTHORIZED one (made once per
    database), so that what the test grants or learns about it touches no other test's subjects."""
    from sqlalchemy import select

    from store.models import Record, Subject
    async with engine.begin() as connection:
        if (await connection.execute(select(Subject.code).where(Subject.code == code))).scalar():
            return code
        await connection.execute(insert(Subject).values(code=code, kind="NATURAL_PERSON", name=name,
                                                        status="ACTIVE"))
        row = (await connection.execute(select(Record.__table__).where(
            Record.id == w.WORLD.records["P-AUTHORIZED"]))).one()._asdict()
        row.pop("id")
        await connection.execute(insert(Record).values(**{**row, "subject_code": code,
                                                          "document_number": f"TEST〔2025〕{code[-4:]}号"}))
    return code


@pytest.fixture
async def person_r(engine):
    return await own_person(engine, PERSON_R, "赵六")


UNKNOWN_PERSON = w.person_code(109)
ONE = "query($c: ID!){ subject(code: $c){ code } }"
MANY = "query($c: [ID!]!){ subjects(codes: $c){ code } }"
ENTITIES = 'query($r: [_Any!]!){ _entities(representations: $r){ ... on Subject { code } } }'


async def test_the_public_cannot_tell_a_person_in_the_system_from_an_unknown_code(client, person_r):
    for token, declared in ((None, {}), (make_token(user="o", department="SCJG", roles=["officer"]), PURPOSE),
                            (make_token(user="c", department="ZXJG", roles=["agency"]), PURPOSE)):
        answers = []
        for code in (person_r, UNKNOWN_PERSON):
            answers.append((await graphql(client, ONE, {"c": code}, token=token, **declared),
                            await graphql(client, MANY, {"c": [code]}, token=token, **declared),
                            await graphql(client, ENTITIES, {"r": [{"__typename": "Subject", "code": code}]},
                                          token=token, **declared)))
        known, unknown = answers
        assert known == unknown
        assert known[0]["data"]["subject"] is None and known[1]["data"]["subjects"] == [None]
        assert known[2]["data"]["_entities"] == [None]
    # the person itself and the provider of its record do see it
    assert (await graphql(client, ONE, {"c": person_r}, token=make_token(user="r", subject=person_r)))["data"]["subject"]
    provider = make_token(user="g", department="GAJ", roles=["officer"])
    assert (await graphql(client, ONE, {"c": person_r}, token=provider))["data"]["subject"]


# ---- refusals logged ----------------------------------------------------------------------------

async def test_a_refused_record_is_logged_as_a_refusal_and_answered_as_not_found(client, matrix_permits):
    record = w.WORLD.records["P-AUTHORIZED"]  # FY reads SHARED and LIMITED with its permit, never AUTHORIZED
    query = "query LookAtRecord($id: ID!){ record(id: $id){ id } }"
    nosy = make_token(user="nosy-1", department="FY", roles=["officer"])
    body = await graphql(client, query, {"id": str(record)}, token=nosy, **with_permit("FY"))
    missing = await graphql(client, query, {"id": str(max(w.WORLD.records.values()) + 20_000)}, token=nosy,
                            **with_permit("FY"))
    assert body == missing == {"data": {"record": None}}
    log = """query($f: QueryLogFilter) { queryLog(filter: $f, first: 5) {
      edges { node { outcome operationName refused recordIds } } } }"""
    found = await graphql(client, log, {"f": {"refusedOnly": True, "user": "nosy-1"}},
                          token=make_token(user="aud", department="FGJ", roles=["auditor"]))
    entries = [e["node"] for e in found["data"]["queryLog"]["edges"]]
    assert len(entries) == 1, entries  # the missing record is no refusal
    entry = entries[0]
    assert entry["outcome"] == "REFUSED" and entry["operationName"] == "LookAtRecord"
    assert entry["refused"][0]["path"] == "record" and entry["refused"][0]["code"] == "FORBIDDEN"
    assert str(record) in entry["refused"][0]["message"]
