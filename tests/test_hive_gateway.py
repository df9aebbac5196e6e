"""Past one machine (issue 18): Hive Gateway composes the credit gateway's own subgraph with a department
source (demo/licensing_source), both unchanged, and a joined query through it answers what the two
answer apart: the credit gateway's fields as `subjects(codes)` shows them, each subject's licences as the
source answers for that code. The router signs its calls (tests/peers/hive-gateway.mjs): to the source
with its key, to the credit gateway with its router secret, which it then requires of `_entities`.

Needs Node.js 20+ and the pinned packages: `npm ci --prefix tests/peers`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3

import httpx
import pytest

from demo.licensing_source.schema import licences_of
from tests.fake_source import running_source
from tests.peers import missing
from tests.server import running_gateway
from tests.test_federation_router import running_node
from tests.test_source_client_demo import as_json

pytestmark = pytest.mark.e2e

KEY = "licensing-bureau-key-for-hive"
ROUTER_SECRET = "router-secret-for-hive-0123456789"
JOINED = ("query($c: [ID!]!) { subjects(codes: $c) { id code name kind "
          "licences { number kind issuedOn validUntil status } } }")
STORED = "query($c: [ID!]!) { subjects(codes: $c) { id code name kind } }"


def node_or_skip() -> str:
    reason = missing("@graphql-hive/gateway-runtime")
    if reason:
        pytest.skip(f"{reason} (composes the gateway and a department source with Hive Gateway)")
    import shutil

    return shutil.which("node")


def post(url: str, query: str, variables: dict) -> dict:
    response = httpx.post(url, json={"query": query, "variables": variables}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def organisations(database) -> list[str]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return [row[0] for row in connection.execute(
            "SELECT code FROM subjects WHERE kind = 'ORGANISATION' ORDER BY code LIMIT 10")]


@pytest.fixture(scope="module")
def hive(tmp_path_factory):
    node = node_or_skip()
    data_dir = tmp_path_factory.mktemp("hive")
    key_file = data_dir / "licensing.key"
    key_file.write_text(KEY)
    with running_gateway(data_dir, env={"CREDIT_GATEWAY_ROUTER_SECRET": ROUTER_SECRET}) as base, \
            running_source("demo.licensing_source", ["--key-file", str(key_file)]) as licensing, \
            running_node(node, "hive-gateway.mjs", {"CREDIT_URL": f"{base}/graphql",
                                                    "LICENSING_URL": f"{licensing}/graphql",
                                                    "LICENSING_KEY": KEY, "ROUTER_SECRET": ROUTER_SECRET}) as router:
        yield router, f"{base}/graphql", organisations(data_dir / "credit-gateway.sqlite3")


def test_a_joined_query_through_hive_answers_what_each_subgraph_answers(hive):
    router, credit, codes = hive
    assert len(codes) == 10
    joined = post(router, JOINED, {"c": codes})
    assert "errors" not in joined, joined
    stored = post(credit, STORED, {"c": codes})["data"]["subjects"]
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert joined["data"]["subjects"] == [{**s, "licences": as_json(licences_of(s["code"], today))} for s in stored]
    assert any(s["licences"] for s in joined["data"]["subjects"])  # the demo data holds licences


def test_the_credit_gateway_refuses_the_routers_entities_calls_unsigned(hive):
    _router, credit, codes = hive
    answer = post(credit, "query($r: [_Any!]!) { _entities(representations: $r) { ... on Subject { code } } }",
                  {"r": [{"__typename": "Subject", "code": codes[0]}]})
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
