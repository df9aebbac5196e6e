"""Global ids and `node(id)` / `nodes(ids)` (Relay object identification), through HTTP.

Every object with an `id` is refetched by it under exactly the rules of the field that returned it:
what the reader may not see is null, as an id that names nothing is, and the query log records
the refusal; ids 0.1.0 returned (bare numbers) still work as arguments for one release.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select

from resolvers.node_ids import NodeKind, decode, global_id
from store.models import Authorization, QueryLogEntry, Subject
from tests import permits
from tests import world as w
from tests.conftest import graphql, make_token
from tests.test_statement_count import StatementCounter

NODE = """query Node($id: ID!) { node(id: $id) { __typename id
  ... on CreditRecord { documentNumber subject { code } }
  ... on Subject { code }
  ... on Department { code }
  ... on CatalogueItem { code }
  ... on QueryPermit { number }
  ... on QueryLogEntry { seq outcome } } }"""
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
AUDITOR = make_token(user="nd-auditor", department="FGJ", roles=["auditor"], name="审计员")
OFFICER = make_token(user="nd-officer", department="SCJG", roles=["officer"], name="市监员")
NOWHERE = 2 ** 62  # a number no row has


async def logged(engine, request_name: str):
    """The query log entry of the last request with this operation name."""
    async with engine.connect() as connection:
        return (await connection.execute(select(QueryLogEntry.__table__).where(
            QueryLogEntry.operation_name == request_name).order_by(QueryLogEntry.seq.desc()).limit(1))).one()


def named(query: str, name: str) -> str:
    return query.replace("query Node(", f"query {name}(", 1).replace("query Nodes(", f"query {name}(", 1)


async def test_record_ids_are_global_and_the_old_numbers_still_work(client):
    number = w.WORLD.records["A-PUBLIC"]
    old = await graphql(client, "query($id: ID!){ record(id: $id){ id documentNumber } }", {"id": str(number)})
    record = old["data"]["record"]
    assert record["id"] == global_id(NodeKind.RECORD, number) and not record["id"].isdigit()
    again = await graphql(client, "query($id: ID!){ record(id: $id){ id documentNumber } }", {"id": record["id"]})
    assert again["data"]["record"] == record
    node = (await graphql(client, NODE, {"id": record["id"]}))["data"]["node"]
    assert node["__typename"].endswith("Record") and node["id"] == record["id"]
    assert (node["documentNumber"], node["subject"]) == (record["documentNumber"], {"code": w.ORG_A})


async def test_a_record_the_reader_may_not_see_is_null_like_none_and_logged_as_refused(engine, client):
    refused = global_id(NodeKind.RECORD, w.WORLD.records["A-SHARED"])  # SHARED: not for the public
    body = await graphql(client, named(NODE, "NdRefused"), {"id": refused})
    missing = await graphql(client, named(NODE, "NdMissing"), {"id": global_id(NodeKind.RECORD, NOWHERE)})
    assert body == missing == {"data": {"node": None}}
    entry = await logged(engine, "NdRefused")
    assert entry.outcome == "REFUSED" and [r["path"] for r in entry.refused] == ["node"]
    assert (await logged(engine, "NdMissing")).outcome == "OK"
    # a record the reader sees is logged as record(id) logs it: its id and its subject
    seen = w.WORLD.records["A-PUBLIC"]
    await graphql(client, named(NODE, "NdSeen"), {"id": global_id(NodeKind.RECORD, seen)})
    entry = await logged(engine, "NdSeen")
    assert (entry.outcome, entry.record_ids, entry.subjects) == ("OK", [seen], [w.ORG_A])


async def test_query_log_entries_are_nodes_for_auditors_only(engine, client):
    page = await graphql(client, "{ queryLog(first: 1) { edges { node { id seq outcome } } } }", token=AUDITOR)
    entry = page["data"]["queryLog"]["edges"][0]["node"]
    assert entry["id"] == global_id(NodeKind.QUERY_LOG_ENTRY, entry["seq"])
    mine = await graphql(client, NODE, {"id": entry["id"]}, token=AUDITOR)
    assert mine["data"]["node"] == {"__typename": "QueryLogEntry", **entry}  # as queryLog showed it
    theirs = await graphql(client, named(NODE, "NdLogOfficer"), {"id": entry["id"]}, token=OFFICER)
    nothing = await graphql(client, NODE, {"id": global_id(NodeKind.QUERY_LOG_ENTRY, NOWHERE)}, token=AUDITOR)
    assert theirs == nothing == {"data": {"node": None}}
    refusal = await logged(engine, "NdLogOfficer")
    assert refusal.outcome == "REFUSED" and refusal.refused[0]["rule"] == "field:Query.queryLog"


async def test_an_authorisation_is_a_node_for_its_subject_alone(engine, client):
    mine_code, theirs_code = w.org_code(1, "ND"), w.org_code(2, "ND")
    now = dt.datetime.now(dt.timezone.utc)
    async with engine.begin() as connection:
        await connection.execute(insert(Subject), [
            {"code": c, "kind": "ORGANISATION", "name": f"节点测试{i}有限公司", "status": "ACTIVE"}
            for i, c in enumerate((mine_code, theirs_code))])
        ids = []
        for code in (mine_code, theirs_code):
            result = await connection.execute(insert(Authorization).values(
                subject_code=code, grantee_user="nd-grantee", scope_items=[], scope_classes=["SHARED"],
                purpose="LICENSING", valid_from=now, valid_until=now + dt.timedelta(days=30),
                written_ref=f"SQ-{code[-4:]}", created_at=now))
            ids.append(result.inserted_primary_key[0])
    subject = make_token(user="nd-subject", subject=mine_code, name=None)
    own, other = (global_id(NodeKind.AUTHORIZATION, i) for i in ids)
    body = await graphql(client, NODE, {"id": own}, token=subject)
    assert body["data"]["node"]["id"] == own
    assert body["data"]["node"]["__typename"] in ("Authorization", "AuthorizationType")  # S1b renames it
    listed = await graphql(client, "{ myAuthorizations { id } }", token=subject)
    assert listed["data"]["myAuthorizations"] == [{"id": own}]  # the id the list gives is the node's
    for token in (subject, AUDITOR, None):  # another subject's, or no subject at all: null
        body = await graphql(client, named(NODE, "NdOtherGrant"), {"id": other if token == subject else own},
                             token=token)
        assert body == {"data": {"node": None}}, token
        assert (await logged(engine, "NdOtherGrant")).outcome == "REFUSED"
    nothing = await graphql(client, NODE, {"id": global_id(NodeKind.AUTHORIZATION, NOWHERE)}, token=subject)
    assert nothing == {"data": {"node": None}}


async def test_a_query_permit_is_a_node_for_the_centre_and_auditors_and_revoked_by_either_id(client):
    stamp = dt.datetime.now().strftime("%H%M%S%f")
    first = (await permits.register(client, f"节点函〔2026〕{stamp}1号", "SCJG", ["SHARED"]))["permit"]
    second = (await permits.register(client, f"节点函〔2026〕{stamp}2号", "SCJG", ["SHARED"]))["permit"]
    assert first["id"] != second["id"] and not first["id"].isdigit()
    for token in (permits.CENTRE, AUDITOR):
        body = await graphql(client, NODE, {"id": first["id"]}, token=token)
        assert body["data"]["node"] == {"__typename": "QueryPermit", "id": first["id"], "number": first["number"]}
    assert await graphql(client, NODE, {"id": first["id"]}, token=OFFICER) == {"data": {"node": None}}
    assert await graphql(client, NODE, {"id": first["id"]}) == {"data": {"node": None}}
    # revokeQueryPermit takes the global id, and (deprecated) the number 0.1.0 gave
    number = int(decode(second["id"])[1])
    for ident, permit in ((first["id"], first), (str(number), second)):
        body = await graphql(client, permits.REVOKE, {"input": {"id": ident, "reason": "节点测试"}},
                             token=permits.CENTRE)
        payload = body["data"]["revokeQueryPermit"]
        assert payload["errors"] == [] and payload["permit"]["id"] == permit["id"] and payload["permit"]["revokedAt"]


async def test_subjects_departments_and_catalogue_items_are_nodes(client):
    subject = (await graphql(client, "query($c: ID!){ subject(code: $c){ id } }", {"c": w.ORG_A}))["data"]["subject"]
    assert subject["id"].startswith("sj1_")  # the subject's own opaque id is its global id, unchanged
    node = (await graphql(client, NODE, {"id": subject["id"]}))["data"]["node"]
    assert node == {"__typename": "Subject", "id": subject["id"], "code": w.ORG_A}
    listed = await graphql(client, "{ departments { id code } catalogue { id code } }")
    department, item = listed["data"]["departments"][0], listed["data"]["catalogue"][0]
    assert (await graphql(client, NODE, {"id": department["id"]}))["data"]["node"] == \
        {"__typename": "Department", **department}
    assert (await graphql(client, NODE, {"id": item["id"]}))["data"]["node"] == {"__typename": "CatalogueItem", **item}
    unknown = global_id(NodeKind.DEPARTMENT, "NOPE")
    assert await graphql(client, NODE, {"id": unknown}) == {"data": {"node": None}}


async def test_nodes_answers_in_order_and_checks_every_id_first(client):
    record = global_id(NodeKind.RECORD, w.WORLD.records["A-PUBLIC"])
    department = global_id(NodeKind.DEPARTMENT, "SCJG")
    body = await graphql(client, NODES, {"ids": [department, global_id(NodeKind.RECORD, NOWHERE), record]})
    assert [n and n["id"] for n in body["data"]["nodes"]] == [department, None, record]
    too_many = await graphql(client, NODES, {"ids": [record] * 101})
    error = too_many["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["argument"] == "ids"
    assert "101 entries; at most 100" in error["message"]
    for bad, fault in (("not-an-id!", "is not a global id"), ("sj1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                                               "was not issued by this gateway")):
        body = await graphql(client, NODES, {"ids": [record, bad]})
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["message"].startswith("ids[1]: "), error
        assert fault in error["message"] and body["data"] is None


async def test_an_id_of_another_kind_is_named_where_a_record_is_expected(client):
    body = await graphql(client, "query($id: ID!){ record(id: $id){ id } }",
                         {"id": global_id(NodeKind.DEPARTMENT, "SCJG")})
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "id"}
    assert error["message"] == "id: this is the id of a Department, not of a record"


@pytest.mark.parametrize("size", [1, 50])
async def test_nodes_batches_each_kind_into_one_statement(engine, client, size):
    ids = [global_id(NodeKind.RECORD, n) for n in range(1, size + 1)]  # seen by auditors or not
    ids += [global_id(NodeKind.QUERY_LOG_ENTRY, n) for n in range(1, size + 1)]
    asked = dict(token=AUDITOR)  # without a purpose: a notice says what more it would see (PURPOSE_REQUIRED)
    await graphql(client, NODES, {"ids": ids[:1]}, **asked)  # the reference snapshot, read once before
    with StatementCounter(engine) as counter:
        body = await graphql(client, NODES, {"ids": ids}, **asked)
    assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"PURPOSE_REQUIRED"}, body
    assert len(body["data"]["nodes"]) == 2 * size and body["data"]["nodes"][size]["__typename"] == "QueryLogEntry"
    # the records the auditor may see (one statement) and which of the others exist (one more), never
    # one per id (the counter leaves the query log's statements out: they are the log's own)
    assert counter.count <= 2, counter.count
