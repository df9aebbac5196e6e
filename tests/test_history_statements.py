"""No N+1 on the history read path: `events` of every record on a page of many subjects costs one
statement, and a list query with events costs the same for 1, 10 and 100 subjects."""

from __future__ import annotations

from tests.conftest import graphql, make_token
from tests.test_statement_count import StatementCounter
from tests.world import BULK_ORGS

EVENTS_LIST = """
query($codes: [ID!]!) { subjects(codes: $codes) { records(first: 10) { edges { node {
  id events(first: 5) { nodes { kind effectiveOn actorDepartment { code } } pageInfo { hasNextPage } } } } } } }
"""
AUDITOR = make_token(user="hist-stmt-auditor", department="FGJ", roles=["auditor"])


async def test_events_of_a_page_cost_one_statement_whatever_its_size(engine, client):
    counts = {}
    await graphql(client, EVENTS_LIST, {"codes": BULK_ORGS[:1]}, token=AUDITOR, purpose="SUPERVISION", basis="HS-2")
    for n in (1, 10, 100):
        with StatementCounter(engine) as counter:
            body = await graphql(client, EVENTS_LIST, {"codes": BULK_ORGS[:n]}, token=AUDITOR, purpose="SUPERVISION",
                                 basis="HS-2")
        assert not [e for e in body.get("errors", []) if e["extensions"]["code"] != "PURPOSE_REQUIRED"], body
        nodes = [e["node"] for s in body["data"]["subjects"] for e in s["records"]["edges"]]
        assert nodes and all(node["events"] is not None for node in nodes), "auditors read events"
        counts[n] = counter.count
    assert counts[1] == counts[10] == counts[100], counts
