"""A deployment with a router secret (CREDIT_GATEWAY_ROUTER_SECRET) answers `_entities` only to calls
its router signed with it, in the scheme the gateway signs its own calls to sources with
(domain/source_signing.py); other fields are unaffected, and without a secret nothing changes (issue 18)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from domain.source_signing import signed_headers
from gateway.settings import Settings
from tests import world as w
from tests.conftest import app_for

SECRET = "router-secret-of-this-deployment-0123"
ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Subject { code name } } }"
BY_CODE = "query($c: ID!) { subject(code: $c) { code name } }"


@pytest.fixture(scope="module")
async def guarded(engine):
    app = app_for(engine, router_secret=SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


def body_of(query: str, variables: dict) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


async def post(client: httpx.AsyncClient, body: bytes, headers: dict | None = None) -> dict:
    response = await client.post("/graphql", content=body, headers={**(headers or {}),
                                                                     "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()


ENTITY_BODY = body_of(ENTITIES, {"r": [{"__typename": "Subject", "code": w.ORG_A}]})


async def test_a_signed_router_call_gets_entities(guarded):
    answer = await post(guarded, ENTITY_BODY, signed_headers(SECRET, time.time(), "POST", "/graphql", ENTITY_BODY))
    assert "errors" not in answer
    assert answer["data"]["_entities"][0]["code"] == w.ORG_A


@pytest.mark.parametrize("case", ["unsigned", "wrong secret", "stale", "another body"])
async def test_unsigned_or_wrongly_signed_entities_calls_are_refused(guarded, case):
    now = time.time()
    headers = {
        "unsigned": {},
        "wrong secret": signed_headers("not-the-secret", now, "POST", "/graphql", ENTITY_BODY),
        "stale": signed_headers(SECRET, now - 3600, "POST", "/graphql", ENTITY_BODY),
        "another body": signed_headers(SECRET, now, "POST", "/graphql", body_of(ENTITIES, {"r": []})),
    }[case]
    answer = await post(guarded, ENTITY_BODY, headers)
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["path"] == ["_entities"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "router" in error["message"]


async def test_other_fields_need_no_router_signature(guarded):
    answer = await post(guarded, body_of(BY_CODE, {"c": w.ORG_A}))
    assert answer["data"]["subject"]["code"] == w.ORG_A


async def test_without_a_router_secret_entities_answer_unsigned_calls(client):
    answer = await post(client, ENTITY_BODY)
    assert "errors" not in answer and answer["data"]["_entities"][0]["code"] == w.ORG_A


def test_the_router_secret_comes_from_the_environment():
    assert Settings.from_env({"CREDIT_GATEWAY_ROUTER_SECRET": "s3"}).router_secret == "s3"
    assert Settings.from_env({}).router_secret is None
    settings = Settings.from_env({"SOURCE_DEADLINE_SECONDS": "1.5", "SOURCE_FAILURES_TO_OPEN": "3",
                                  "SOURCE_COOL_DOWN_SECONDS": "10"})
    assert (settings.source_deadline_seconds, settings.source_failures_to_open,
            settings.source_cool_down_seconds) == (1.5, 3, 10.0)
