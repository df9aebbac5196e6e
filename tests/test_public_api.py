"""The public (no token) sees PUBLIC records only, masked persons, and clear errors (SPEC 3.1, HC-7)."""

from __future__ import annotations

import pytest

from tests import world as w
from tests.conftest import graphql, row_number

SUBJECT = """
query One($code: ID!, $status: RecordStatus, $first: Int, $after: String) {
  subject(code: $code) {
    code kind name
    records(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id visibility status archivedOn category documentNumber } }
    }
  }
}
"""


async def test_public_sees_only_public_records_of_an_organisation(client):
    body = await graphql(client, SUBJECT, {"code": w.ORG_A})
    subject = body["data"]["subject"]
    assert subject["code"] == w.ORG_A and subject["kind"] == "ORGANISATION"
    ids = {row_number(e["node"]["id"]) for e in subject["records"]["edges"]}
    assert ids == {w.WORLD.records["A-PUBLIC"]}
    assert subject["records"]["totalCount"] == 1
    assert {e["node"]["visibility"] for e in subject["records"]["edges"]} == {"PUBLIC"}


async def test_archived_and_revoked_records_are_not_answered_to_the_public(client):
    for status in ("ARCHIVED", "REVOKED"):
        body = await graphql(client, SUBJECT, {"code": w.ORG_A, "status": status})
        assert body["data"]["subject"]["records"]["edges"] == [], status


async def test_person_identifiers_and_name_are_masked_for_the_public(client):
    body = await graphql(client, SUBJECT, {"code": w.PERSON_P})
    subject = body["data"]["subject"]
    assert subject["code"] == w.PERSON_P[:6] + "********" + w.PERSON_P[-4:]
    assert subject["name"] == "王**"
    # natural persons' records are not PUBLIC unless a law requires it (HC-7): of P's records (one per
    # class the catalogue has for persons) the public sees the PUBLIC one only
    assert len([label for label in w.WORLD.records if label.startswith("P-")]) > 1
    assert [row_number(e["node"]["id"]) for e in subject["records"]["edges"]] == [w.WORLD.records["P-PUBLIC"]]
    assert subject["records"]["totalCount"] == 1


@pytest.mark.parametrize("code, fault", [
    ("91371002MA0000001", "LENGTH"),
    ("91371002MA000000IX", "CHARACTER"),
    ("913710020000000010", "CHECK_DIGIT"),
])
async def test_invalid_code_is_a_clear_error_naming_the_code_and_fault(client, code, fault):
    body = await graphql(client, SUBJECT, {"code": code})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fault"] == fault
    assert error["message"].startswith(f"{code} is not a valid "), error["message"]  # names the code sent
    assert body["data"]["subject"] is None


async def test_pagination_walks_every_record_once(client):
    seen = []
    after = None
    while True:
        body = await graphql(client, SUBJECT, {"code": w.BULK_ORGS[0], "first": 1, "after": after})
        records = body["data"]["subject"]["records"]
        seen += [e["node"]["id"] for e in records["edges"]]
        assert records["totalCount"] == 3
        if not records["pageInfo"]["hasNextPage"]:
            break
        after = records["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 3


async def test_bad_cursor_and_page_size_are_named(client):
    body = await graphql(client, SUBJECT, {"code": w.ORG_A, "after": "not-a-cursor"})
    assert "invalid cursor" in body["errors"][0]["message"]
    body = await graphql(client, SUBJECT, {"code": w.ORG_A, "first": 1000})
    assert body["errors"][0]["message"] == "first must be between 1 and 100, got 1000"
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}


async def test_subjects_in_order_with_null_for_unknown(client):
    unknown = w.org_code(999_999)
    body = await graphql(client, "query($c:[ID!]!){ subjects(codes:$c){ code } }", {"c": [w.ORG_B, unknown, w.ORG_A]})
    assert body["data"]["subjects"] == [{"code": w.ORG_B}, None, {"code": w.ORG_A}]


async def test_search_finds_organisations_not_persons_for_the_public(client):
    body = await graphql(client, '{ searchSubjects(name: "甲乙") { code name } }')
    assert body["data"]["searchSubjects"] == [{"code": w.ORG_A, "name": "威海市环翠区甲乙商贸有限公司"}]
    body = await graphql(client, '{ searchSubjects(name: "王小明") { code } }')
    assert body["data"]["searchSubjects"] == []
    body = await graphql(client, '{ searchSubjects(name: "%") { code } }')
    assert body["data"]["searchSubjects"] == []  # LIKE wildcards are literal


async def test_catalogue_and_departments(client):
    body = await graphql(client, "{ catalogue { code category visibility fields { name type required } "
                                 "providers { code } } departments { code name kind } }")
    catalogue = body["data"]["catalogue"]
    assert {i["visibility"] for i in catalogue} == {"PUBLIC", "AUTHORIZED", "SHARED", "LIMITED"}
    assert all(i["fields"] and i["providers"] for i in catalogue)
    assert any(d["kind"] == "CREDIT_CENTRE" for d in body["data"]["departments"])


async def test_record_types_resolve_by_family(client):
    record_id = w.WORLD.records["A-PUBLIC"]
    body = await graphql(client, "query($id: ID!){ record(id: $id){ __typename family details { name label } } }",
                         {"id": str(record_id)})
    record = body["data"]["record"]
    expected = {"PENALTY": "PenaltyRecord", "LICENCE": "LicenceRecord", "JUDGMENT": "JudgmentRecord"}
    assert record["__typename"].endswith("Record")
    if record["family"] in expected:
        assert record["__typename"] == expected[record["family"]]
    assert record["details"]


async def test_refused_record_by_id_is_absent(client):
    body = await graphql(client, "query($id: ID!){ record(id: $id){ id } }",
                         {"id": str(w.WORLD.records["A-SHARED"])})
    assert body["data"]["record"] is None


async def test_malformed_graphql_is_a_clear_error(client):
    body = await graphql(client, "{ subject(code: ")
    assert "Syntax Error" in body["errors"][0]["message"] and body["data"] is None


async def test_too_deep_query_is_refused(client):
    deep = "{ subject(code: \"%s\") { records { edges { node { subject { records { edges { node { subject { " \
           "records { edges { node { subject { records { edges { node { id } } } } } } } } } } } } } } } } }" % w.ORG_A
    body = await graphql(client, deep)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_get_queries_work(client):
    response = await client.get("/graphql", params={"query": "{ departments { code } }"})
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert "XYZX" in {d["code"] for d in response.json()["data"]["departments"]}


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "reachable"
    metrics = await client.get("/metrics")
    assert "gateway_graphql_requests_total" in metrics.text


async def test_readyz_fails_when_the_database_is_unreachable(tmp_path):
    import httpx

    from store.engine import create_engine
    from tests.conftest import app_for

    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    app = app_for(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    await engine.dispose()
