"""Every growing list is a Relay connection with `pageInfo`, and `first` is 1 to 100 (default 20)
everywhere; 0.1.0's plain lists stay, deprecated, for one release. Query's docs list federation's
plumbing last; the query log's types say what each field holds, in enums and links. Through HTTP.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from store.models import Authorization, Subject
from tests import permits
from tests import world as w
from tests.conftest import graphql, make_token

AUDITOR = make_token(user="cn-auditor", department="FGJ", roles=["auditor"], name="审计员")
SUBJECT_CODE = w.org_code(1, "CN")  # this module's own subject: its authorisations and history are known
SUBJECT_TOKEN = make_token(user="cn-subject", subject=SUBJECT_CODE, name=None)
PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"

# Each connection, as (query with $first, token): `first` out of range is refused the same way.
CONNECTIONS = {
    "Subject.records": ("query($first: Int){ subject(code: \"%s\"){ records(first: $first){ totalCount } } }"
                        % w.ORG_A, None),
    "subjectSearch": ("query($first: Int!){ subjectSearch(name: \"批量\", first: $first){ %s } }" % PAGE, None),
    "queryLog": ("query($first: Int!){ queryLog(first: $first){ totalCount } }", AUDITOR),
    "Subject.queriedBy": ("query($first: Int!){ subject(code: \"%s\"){ queriedBy(first: $first){ totalCount } } }"
                          % w.ORG_A, AUDITOR),
    "authorizationsGiven": ("query($first: Int!){ authorizationsGiven(first: $first){ totalCount } }", SUBJECT_TOKEN),
    "registeredQueryPermits": ("query($first: Int!){ registeredQueryPermits(first: $first){ totalCount } }",
                               permits.CENTRE),
    "lateSubmissions": ("query($first: Int!){ lateSubmissions(from: \"2026-01-01\", to: \"2026-02-01\", "
                        "first: $first){ totalCount } }", permits.CENTRE),
}


@pytest.fixture(scope="module")
async def known_subject(engine):
    """SUBJECT_CODE with three authorisations of its own (no other test touches them)."""
    now = dt.datetime.now(dt.timezone.utc)
    async with engine.begin() as connection:
        await connection.execute(insert(Subject).values(code=SUBJECT_CODE, kind="ORGANISATION",
                                                        name="连接测试有限公司", status="ACTIVE"))
        for n in range(3):
            await connection.execute(insert(Authorization).values(
                subject_code=SUBJECT_CODE, grantee_user=f"cn-grantee-{n}", scope_items=[], scope_classes=["SHARED"],
                purpose="LICENSING", valid_from=now, valid_until=now + dt.timedelta(days=30),
                written_ref=f"CN-{n}", created_at=now))
    return SUBJECT_CODE


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
@pytest.mark.parametrize("first", [0, 101, -1])
async def test_first_is_1_to_100_everywhere_and_named_when_out_of_range(client, known_subject, name, first):
    query, token = CONNECTIONS[name]
    body = await graphql(client, query, {"first": first}, token=token)
    assert body["errors"], (name, body)
    error = body["errors"][0]
    assert error["message"] == f"first must be between 1 and 100, got {first}", (name, error)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["argument"] == "first", name
    ok = await graphql(client, query, {"first": 100}, token=token)
    assert "errors" not in ok, (name, ok)


async def walk(client, query: str, field, variables: dict | None = None, token: str | None = None) -> list[dict]:
    """Every page of a connection, checking pageInfo on each; the edges in order."""
    edges, after, pages = [], None, 0
    while True:
        body = await graphql(client, query, {**(variables or {}), "after": after}, token=token)
        assert "errors" not in body, body
        connection = field(body["data"])
        info = connection["pageInfo"]
        page = connection["edges"]
        assert info["hasPreviousPage"] is (after is not None)
        assert info["startCursor"] == (page[0]["cursor"] if page else None)
        if page:
            assert info["endCursor"] == page[-1]["cursor"]
        edges += page
        pages += 1
        if not info["hasNextPage"]:
            return edges
        after = info["endCursor"]
        assert pages < 50


async def test_subject_search_pages_through_every_match_once_in_name_order(client):
    query = ("query($after: String){ subjectSearch(name: \"批量测试\", first: 7, after: $after){ %s "
             "edges { cursor node { id code name } } } }" % PAGE)
    edges = await walk(client, query, lambda d: d["subjectSearch"])
    codes = [e["node"]["code"] for e in edges]
    assert sorted(codes) == sorted(w.BULK_ORGS) and len(codes) == len(set(codes)) == 120
    names = [e["node"]["name"] for e in edges]
    assert names == sorted(names)
    assert all(e["cursor"] == e["node"]["id"] for e in edges)  # a cursor never shows a code
    old = await graphql(client, '{ searchSubjects(name: "批量测试", first: 5) { code } }')
    assert [s["code"] for s in old["data"]["searchSubjects"]] == codes[:5]  # the deprecated list, unchanged
    bad = await graphql(client, 'query { subjectSearch(name: "批量", after: "w00t") { edges { cursor } } }')
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


async def test_subject_search_for_the_public_never_pages_onto_persons(client):
    body = await graphql(client, '{ subjectSearch(name: "王小明") { %s edges { cursor } } }' % PAGE)
    assert body["data"]["subjectSearch"] == {"pageInfo": {"hasNextPage": False, "hasPreviousPage": False,
                                                          "startCursor": None, "endCursor": None}, "edges": []}


async def test_query_log_has_page_info_and_keeps_the_old_fields_deprecated(client):
    query = ("query($after: String){ queryLog(first: 2, after: $after){ totalCount hasNextPage endCursor %s "
             "edges { cursor node { seq } } } }" % PAGE)
    body = await graphql(client, query, {"after": None}, token=AUDITOR)
    log = body["data"]["queryLog"]
    assert log["hasNextPage"] is log["pageInfo"]["hasNextPage"] is True
    assert log["endCursor"] == log["pageInfo"]["endCursor"] == log["edges"][-1]["cursor"]
    following = await graphql(client, query, {"after": log["pageInfo"]["endCursor"]}, token=AUDITOR)
    seqs = [e["node"]["seq"] for e in log["edges"] + following["data"]["queryLog"]["edges"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 4
    fields = await graphql(client, '{ __type(name: "QueryLogConnection") { fields(includeDeprecated: true) '
                                   '{ name isDeprecated deprecationReason } } }')
    deprecated = {f["name"]: f["deprecationReason"] for f in fields["data"]["__type"]["fields"] if f["isDeprecated"]}
    assert deprecated == {"hasNextPage": "Use pageInfo.hasNextPage; removed in 0.3.0.",
                          "endCursor": "Use pageInfo.endCursor; removed in 0.3.0."}


async def test_queried_by_pages_a_subjects_history(client, known_subject):
    for n in range(3):
        await graphql(client, "query CnLook%d { subject(code: \"%s\") { name } }" % (n, known_subject))
    query = ("query($after: String){ subject(code: \"%s\"){ queriedBy(first: 2, after: $after){ totalCount %s "
             "edges { cursor node { at operationName purpose department { code } } } } } }" % (known_subject, PAGE))
    edges = await walk(client, query, lambda d: d["subject"]["queriedBy"], token=AUDITOR)
    looks = [e["node"]["operationName"] for e in edges if (e["node"]["operationName"] or "").startswith("CnLook")]
    assert looks == ["CnLook2", "CnLook1", "CnLook0"]  # newest first, each once
    cursors = [int(e["cursor"]) for e in edges]
    assert cursors == sorted(cursors, reverse=True) and len(set(cursors)) == len(cursors)
    old = await graphql(client, "{ subject(code: \"%s\"){ queryHistory(first: 50) { operationName } } }"
                        % known_subject, token=AUDITOR)
    assert [h["operationName"] for h in old["data"]["subject"]["queryHistory"]
            if (h["operationName"] or "").startswith("CnLook")] == looks
    refused = await graphql(client, query, {"after": None})  # the public: not its history
    assert refused["data"]["subject"]["queriedBy"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_authorizations_given_pages_the_subjects_own(client, known_subject):
    query = ("query($after: String){ authorizationsGiven(first: 2, after: $after){ totalCount %s "
             "edges { cursor node { id granteeUser } } } }" % PAGE)
    edges = await walk(client, query, lambda d: d["authorizationsGiven"], token=SUBJECT_TOKEN)
    assert [e["node"]["granteeUser"] for e in edges] == ["cn-grantee-2", "cn-grantee-1", "cn-grantee-0"]
    total = await graphql(client, query, {"after": None}, token=SUBJECT_TOKEN)
    assert total["data"]["authorizationsGiven"]["totalCount"] == 3
    old = await graphql(client, "{ myAuthorizations { id } }", token=SUBJECT_TOKEN)
    assert [a["id"] for a in old["data"]["myAuthorizations"]] == [e["node"]["id"] for e in edges]
    refused = await graphql(client, query, {"after": None}, token=AUDITOR)  # not a subject
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused["data"] is None


async def test_registered_query_permits_pages_what_the_old_list_lists(client):
    stamp = dt.datetime.now().strftime("%H%M%S%f")
    for n in range(3):
        await permits.register(client, f"连接函〔2026〕{stamp}{n}号", "FY", ["SHARED"])
    query = ("query($after: String){ registeredQueryPermits(department: \"FY\", first: 2, after: $after){ "
             "totalCount %s edges { cursor node { id number } } } }" % PAGE)
    edges = await walk(client, query, lambda d: d["registeredQueryPermits"], token=permits.CENTRE)
    old = await graphql(client, '{ queryPermits(department: "FY") { id number } }', token=permits.CENTRE)
    listed = old["data"]["queryPermits"]
    assert sorted(e["node"]["id"] for e in edges) == sorted(p["id"] for p in listed) and len(edges) >= 3
    cursors = [int(e["cursor"]) for e in edges]
    assert cursors == sorted(cursors, reverse=True)  # newest registration first
    total = await graphql(client, query, {"after": None}, token=permits.CENTRE)
    assert total["data"]["registeredQueryPermits"]["totalCount"] == len(listed)
    refused = await graphql(client, query, {"after": None})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_query_docs_list_federation_plumbing_last_and_described(client):
    body = await graphql(client, '{ __schema { queryType { fields { name description } } } }')
    fields = body["data"]["__schema"]["queryType"]["fields"]
    assert [f["name"] for f in fields][-2:] == ["_entities", "_service"]
    assert [f["name"] for f in fields][:3] == ["subject", "subjects", "subjectSearch"]
    assert all(f["description"] for f in fields), [f["name"] for f in fields if not f["description"]]
    assert all(f["description"].startswith("Federation plumbing, for a router") for f in fields[-2:])


DESCRIBED = """query($name: String!) { __type(name: $name) {
  fields(includeDeprecated: true) { name description args { name description } }
  inputFields { name description } enumValues { name description } } }"""


@pytest.mark.parametrize("type_name", ["QueryLogEntry", "QueryLogConnection", "QueryLogEdge", "QueryLogFilter",
                                       "QueryHistoryItem", "QueryHistoryConnection", "QueryHistoryEdge", "PageInfo",
                                       "QueryOutcome", "OperationType", "Node", "SubjectConnection",
                                       "AuthorizationConnection", "QueryPermitConnection"])
async def test_the_query_logs_and_connections_types_describe_everything(client, type_name):
    found = (await graphql(client, DESCRIBED, {"name": type_name}))["data"]["__type"]
    assert found is not None, type_name
    parts = (found["fields"] or []) + (found["inputFields"] or []) + (found["enumValues"] or [])
    parts += [a for f in found["fields"] or [] for a in f["args"]]
    assert parts and not [p["name"] for p in parts if not p["description"]], type_name
    query_log = (await graphql(client, '{ __schema { queryType { fields { name args { name description } } } } }'))
    [field] = [f for f in query_log["data"]["__schema"]["queryType"]["fields"] if f["name"] == "queryLog"]
    assert all(a["description"] for a in field["args"])


async def test_old_type_name_is_gone_and_an_entry_reads_in_enums_and_links(client):
    assert (await graphql(client, '{ __type(name: "QueryLogEntryType") { name } }'))["data"]["__type"] is None
    officer = make_token(user="cn-officer", department="SCJG", roles=["officer"], name="市监员")
    await graphql(client, "query CnTyped { subject(code: \"%s\") { name } }" % w.ORG_A, token=officer,
                  purpose="licensing", basis="CN-1")
    body = await graphql(client, """{ queryLog(first: 1, filter: {user: "cn-officer"}) { edges { node {
        outcome purpose operationType department { code name } departmentCode roles subjects } } } }""",
                         token=AUDITOR)
    entry = body["data"]["queryLog"]["edges"][0]["node"]
    assert entry == {"outcome": "OK", "purpose": "LICENSING", "operationType": "QUERY",
                     "department": {"code": "SCJG", "name": entry["department"]["name"]}, "departmentCode": "SCJG",
                     "roles": ["officer"], "subjects": [w.ORG_A]}
    assert entry["department"]["name"]
