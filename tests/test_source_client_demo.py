"""The demo licensing source (demo/licensing_source): a Federation 2 subgraph extending `Subject`, answering
only calls the gateway signed with its key; run as `python -m demo.licensing_source` (issue 18)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import httpx
import pytest

from demo.licensing_source.schema import licences_of
from domain.enums import Purpose
from domain.principal import Principal
from domain.source_signing import TIMESTAMP_HEADER, signed_headers
from gateway.source_client import SourceClient
from resolvers.context import RequestContext
from resolvers.remote_loader import load_remote
from resolvers.remote_sources import RemoteSource, RemoteWant
from tests.fake_source import running_source

KEY = "licensing-bureau-demo-key-abcdef"
CODES = ["91371002MA3C4X2N7B", "913710027060123456", "371002199001011234"]
QUERY = ('query($r: [_Any!]!) { _entities(representations: $r) { ... on Subject { code '
         'licences { number kind issuedOn validUntil status } } } }')
SELECTION = "{ number kind issuedOn validUntil status }"


@pytest.fixture(scope="module")
def licensing(tmp_path_factory):
    key_file = tmp_path_factory.mktemp("licensing") / "key"
    key_file.write_text(KEY + "\n")
    with running_source("demo.licensing_source", ["--key-file", str(key_file)]) as base:
        yield f"{base}/graphql"


def body_of(codes: list[str]) -> bytes:
    return json.dumps({"query": QUERY, "variables": {"r": [{"__typename": "Subject", "code": c} for c in codes]}}).encode()


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=body, headers={**headers, "Content-Type": "application/json"}, timeout=10)


def as_json(licences) -> list[dict]:
    return [{"number": x.number, "kind": x.kind.value, "issuedOn": x.issued_on.isoformat(),
             "validUntil": x.valid_until.isoformat(), "status": x.status.value} for x in licences]


def test_a_signed_call_gets_each_subjects_licences(licensing):
    body = body_of(CODES)
    response = post(licensing, body, signed_headers(KEY, time.time(), "POST", "/graphql", body))
    assert response.status_code == 200, response.text
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert response.json()["data"]["_entities"] == [{"code": c, "licences": as_json(licences_of(c, today))}
                                                    for c in CODES]


def test_the_sdl_extends_subject_by_code(licensing):
    body = json.dumps({"query": "{ _service { sdl } }"}).encode()
    response = post(licensing, body, signed_headers(KEY, time.time(), "POST", "/graphql", body))
    sdl = response.json()["data"]["_service"]["sdl"]
    assert 'extend type Subject @key(fields: "code")' in sdl and "licences: [Licence!]" in sdl


@pytest.mark.parametrize("case", ["unsigned", "stale", "future", "wrong key", "body changed", "path changed",
                                  "department changed"])
def test_calls_not_signed_now_by_the_key_are_refused(licensing, case):
    body = body_of(CODES[:1])
    carried = {"X-Credit-Gateway-Department": "HC-FGW"}
    now = time.time()
    headers = {
        "unsigned": carried,
        "stale": signed_headers(KEY, now - 600, "POST", "/graphql", body, carried),
        "future": signed_headers(KEY, now + 600, "POST", "/graphql", body, carried),
        "wrong key": signed_headers("another-key", now, "POST", "/graphql", body, carried),
        "body changed": signed_headers(KEY, now, "POST", "/graphql", body_of(CODES[1:2]), carried),
        "path changed": signed_headers(KEY, now, "POST", "/", body, carried),
        "department changed": {**signed_headers(KEY, now, "POST", "/graphql", body, carried),
                               "X-Credit-Gateway-Department": "HC-OTHER"},
    }[case]
    response = post(licensing, body, headers)
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "signature" in error["message"] or "stale" in error["message"] or "not signed" in error["message"]
    assert TIMESTAMP_HEADER in error["message"] or case != "unsigned"


async def test_the_client_joins_the_demo_source(licensing):
    client = SourceClient()
    source = RemoteSource(name="licensing", url=licensing, version=1, signing_key=KEY,
                          fields={"licences": "LICENCE"})
    context = RequestContext(engine=None, principal=Principal(user="u1", department="HC-FGW"),  # type: ignore[arg-type]
                             purpose=Purpose.LICENSING, basis="许可申请号 XK-2026-001", remote_fetcher=client,
                             remote_sources={"licensing": source}, request_id="r1")
    try:
        values = await asyncio.gather(*(load_remote(context, RemoteWant("licensing", c, "licences", SELECTION))
                                        for c in CODES))
    finally:
        await client.aclose()
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert values == [as_json(licences_of(c, today)) for c in CODES]
    assert [c["status"] for c in context.observed.remote_calls] == ["OK"]
