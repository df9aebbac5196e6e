"""Apollo's own gateway composes this subgraph with a peer (SPEC 4, Federation), over the network.

The real `credit-gateway serve` (demo data on SQLite), a tiny peer subgraph that extends
`Subject` with `inspections` and has an `Inspection` entity referencing a `Subject`
(tests/peers/inspections-subgraph.js), and Apollo's gateway with IntrospectAndCompose that
forwards Authorization and X-Query-Purpose/X-Query-Basis to us (tests/peers/apollo-gateway.js).
Joined queries go both ways, as the public and as an officer, and must show exactly what asking
this gateway directly shows: the router changes nothing about masking or visibility (SPEC 3.1).

Needs Node.js 20+ and the pinned packages: `npm ci --prefix tests/peers` (`.ci/run` does it).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.identity import load_or_create_dev_secret, mint_token
from tests.peers import PEERS, missing
from tests.permits import register_served
from tests.server import free_port, running_gateway, stop, wait_until_ready

pytestmark = pytest.mark.e2e

RECORDS = "records(first: 100) { totalCount edges { node { id visibility catalogueItem { code } } } }"
SUBJECT = f"id code name kind {RECORDS}"


def node_or_skip() -> str:
    reason = missing("@apollo/gateway")
    if reason:
        pytest.skip(f"{reason} (composes this subgraph with Apollo's gateway)")
    return shutil.which("node")


@contextlib.contextmanager
def running_node(node: str, script: str, env: dict[str, str], timeout: float = 60):
    """Run a script of tests/peers on a free port until it answers GraphQL; yield its URL."""
    port = free_port()
    process = subprocess.Popen([node, script], cwd=PEERS, env={**os.environ, **env, "PORT": str(port)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_ready(process, lambda: httpx.post(url, json={"query": "{ __typename }"}, timeout=2).status_code == 200,
                         script, timeout)
        yield url
    finally:
        stop(process)


@dataclass
class Federation:
    credit: str  # our gateway's /graphql
    router: str  # Apollo's gateway
    person: str
    organisation: str
    ids: dict[str, str]  # code -> Subject.id
    officer: dict[str, str]  # headers
    database: Path


def post(url: str, query: str, variables: dict | None = None, headers: dict | None = None) -> dict:
    response = httpx.post(url, json={"query": query, "variables": variables or {}}, headers=headers or {},
                          timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _subjects_with_most_records(database: Path) -> tuple[str, str]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        best = {kind: connection.execute(
            "SELECT s.code FROM subjects s JOIN records r ON r.subject_code = s.code WHERE s.kind = ? "
            "GROUP BY s.code ORDER BY COUNT(DISTINCT r.visibility) DESC, COUNT(*) DESC, s.code LIMIT 1",
            (kind,)).fetchone()[0] for kind in ("NATURAL_PERSON", "ORGANISATION")}
    return best["NATURAL_PERSON"], best["ORGANISATION"]


@pytest.fixture(scope="module")
def federation(tmp_path_factory) -> Federation:
    node = node_or_skip()
    data_dir = tmp_path_factory.mktemp("federated")
    with running_gateway(data_dir) as base:
        credit = f"{base}/graphql"
        database = data_dir / "credit-gateway.sqlite3"
        person, organisation = _subjects_with_most_records(database)
        found = post(credit, "query($c: [ID!]!) { subjects(codes: $c) { id } }", {"c": [person, organisation]})
        ids = dict(zip((person, organisation), (s["id"] for s in found["data"]["subjects"])))
        inspections = [
            {"number": "INS-1", "subjectId": ids[person], "finding": "证照齐全"},
            {"number": "INS-2", "subjectId": ids[organisation], "finding": "责令整改"},
            {"number": "INS-3", "subjectId": ids[organisation], "finding": "已整改"},
        ]
        secret = load_or_create_dev_secret(data_dir)
        # Huancui: a provider reads SHARED and its listed LIMITED items under a permit of the centre (HC-23)
        register_served(credit, secret, "HC-FED-7", "FY", classes=("SHARED", "LIMITED"))
        token = mint_token(secret, user="fed-officer", name="测试员", department="FY", roles=["officer"],
                           expires_in=3600)
        officer = {"Authorization": f"Bearer {token}", "X-Query-Purpose": "licensing", "X-Query-Basis": "HC-FED-7"}
        with running_node(node, "inspections-subgraph.js", {"PEER_INSPECTIONS": json.dumps(inspections)}) as peer, \
                running_node(node, "apollo-gateway.js", {"CREDIT_URL": credit, "PEER_URL": peer}) as router:
            yield Federation(credit, router, person, organisation, ids, officer, database)


READERS = ["public", "officer"]


def headers_of(federation: Federation, reader: str) -> dict:
    return federation.officer if reader == "officer" else {}


def direct(federation: Federation, code: str, reader: str) -> dict:
    body = post(federation.credit, "query($c: ID!) { subject(code: $c) { %s } }" % SUBJECT, {"c": code},
                headers_of(federation, reader))
    assert "errors" not in body, body
    return body["data"]["subject"]


@pytest.mark.parametrize("reader", READERS)
def test_our_subject_joined_to_the_peers_field(federation, reader):
    """Our Subject -> their `inspections`: the router fetches our `id` and asks the peer with it."""
    for code, numbers in ((federation.person, ["INS-1"]), (federation.organisation, ["INS-2", "INS-3"])):
        body = post(federation.router, "query OurSubject($c: ID!) { subject(code: $c) { %s inspections { number "
                    "finding } } }" % SUBJECT, {"c": code}, headers_of(federation, reader))
        assert "errors" not in body, body
        joined = body["data"]["subject"]
        assert [i["number"] for i in joined.pop("inspections")] == numbers
        assert joined == direct(federation, code, reader)


@pytest.mark.parametrize("reader", READERS)
def test_the_peers_entity_joined_to_our_subjects_records(federation, reader):
    """Their `Inspection.subject` -> our Subject's records: the router asks our `_entities` by `id`."""
    body = post(federation.router, "query TheirEntity { inspections { number subject { %s } } }" % SUBJECT,
                headers=headers_of(federation, reader))
    assert "errors" not in body, body
    subjects = {i["number"]: i["subject"] for i in body["data"]["inspections"]}
    assert subjects["INS-1"] == direct(federation, federation.person, reader)
    assert subjects["INS-2"] == subjects["INS-3"] == direct(federation, federation.organisation, reader)


def test_what_each_reader_sees_through_the_router_follows_spec_3_1(federation):
    query = "{ inspections { number subject { code name %s } } }" % RECORDS
    public = {i["number"]: i["subject"] for i in post(federation.router, query)["data"]["inspections"]}
    officer = {i["number"]: i["subject"] for i in post(federation.router, query, headers=federation.officer)
               ["data"]["inspections"]}
    person_public, person_officer = public["INS-1"], officer["INS-1"]
    assert person_public["code"] == federation.person[:6] + "********" + federation.person[-4:]
    assert "*" in person_public["name"]
    assert person_officer["code"] == federation.person and "*" not in person_officer["name"]
    assert {e["node"]["visibility"] for e in person_public["records"]["edges"]} <= {"PUBLIC"}
    for number in public:  # the officer's declared purpose reached us: more is visible, never less
        seen_public = {e["node"]["id"] for e in public[number]["records"]["edges"]}
        seen_officer = {e["node"]["id"] for e in officer[number]["records"]["edges"]}
        assert seen_public <= seen_officer
    assert sum(o["records"]["totalCount"] for o in officer.values()) > sum(
        p["records"]["totalCount"] for p in public.values())


def test_forwarded_headers_reach_our_query_log(federation):
    body = post(federation.router, "query RouterOfficer { inspections { subject { code } } }",
                headers=federation.officer)
    assert "errors" not in body, body
    with contextlib.closing(sqlite3.connect(federation.database)) as connection:
        rows = connection.execute(
            "SELECT user, department, purpose, basis, outcome FROM query_log WHERE operation_name LIKE "
            "'RouterOfficer%' ORDER BY seq").fetchall()
    assert rows == [("fed-officer", "FY", "LICENSING", "HC-FED-7", "OK")], rows
