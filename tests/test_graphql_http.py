"""GraphQL over HTTP (SPEC 4, SPEC 3.6): a request's shape is checked before any GraphQL work, every answer is
JSON with `extensions.code` in the media type the client accepts, with the draft's status codes, counted once,
never cached, and logged."""

from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client import REGISTRY

from tests import world as w
from tests.test_query_log import entry_count, last_entry

URL = "/graphql"
RESPONSE_JSON = "application/graphql-response+json"


async def post_raw(client: httpx.AsyncClient, body: bytes, **headers) -> httpx.Response:
    return await client.post(URL, content=body, headers={"Content-Type": "application/json", **headers})


def error_of(response: httpx.Response) -> dict:
    """The one error of a refused request; the body is JSON whatever the status."""
    body = response.json()
    assert "data" not in body or body["data"] is None, body
    assert len(body["errors"]) == 1, body
    return body["errors"][0]


@pytest.mark.parametrize("body, field", [
    ({"query": "{ __typename }", "operationName": ["a"]}, "operationName"),
    ({"query": "{ __typename }", "operationName": {"a": 1}}, "operationName"),
    ({"query": "{ __typename }", "operationName": 7}, "operationName"),
    ({"query": "{ __typename }", "variables": "x"}, "variables"),
    ({"query": "{ __typename }", "variables": [1]}, "variables"),
    ({"query": "{ __typename }", "extensions": "x"}, "extensions"),
    ({"query": "{ __typename }", "extensions": 0}, "extensions"),
    ({"query": ["{ __typename }"]}, "query"),
    ({"qeury": "{ __typename }"}, "query"),
])
async def test_a_request_of_the_wrong_shape_is_a_400_naming_the_parameter(engine, client, body, field):
    before = await entry_count(engine)
    response = await client.post(URL, json=body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["extensions"]["code"] == "BAD_REQUEST" and f'"{field}"' in error["message"]
    assert await entry_count(engine) == before + 1  # refused, and logged as such
    assert (await last_entry(engine)).outcome == "BAD_REQUEST"


async def test_a_body_that_is_not_a_json_object_is_named(client):
    for body, words in [(b"[1, 2]", "JSON array"), (b'"text"', "JSON string"), (b"{not json", "not valid JSON"),
                        (b"", "empty"), (b"[" * 100_000, "JSON")]:
        response = await post_raw(client, body)
        assert response.status_code == 400 and words in error_of(response)["message"], (body[:10], response.text)


async def test_invalid_utf8_is_a_400_not_a_500(engine, client):
    before = await entry_count(engine)
    response = await post_raw(client, b'{"query": "{ __typename }", "variables": {"a": "\xff\xfe"}}')
    assert response.status_code == 400
    error = error_of(response)
    assert error["extensions"]["code"] == "INVALID_UTF8" and "UTF-8" in error["message"]
    assert await entry_count(engine) == before + 1


async def test_a_lone_surrogate_is_refused_naming_where_it_is(engine, client):
    """`\\ud800` is valid JSON but no character: it can be stored nowhere, so it is refused before any work."""
    before = await entry_count(engine)
    body = b'{"query": "query($n: String!) { searchSubjects(name: $n) { code } }", "variables": {"n": "a\\ud800"}}'
    response = await post_raw(client, body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["extensions"]["code"] == "INVALID_UTF8" and "variables.n" in error["message"]
    assert await entry_count(engine) == before + 1
    entry = await last_entry(engine)
    assert entry.outcome == "BAD_REQUEST"


async def test_the_body_is_bounded(engine):
    from tests.conftest import app_for

    app = app_for(engine, max_request_bytes=1000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        small = await client.post(URL, json={"query": "{ __typename }"})
        assert small.status_code == 200
        big = await client.post(URL, json={"query": "{ __typename }", "variables": {"x": "a" * 2000}})
        assert big.status_code == 413
        assert error_of(big)["extensions"]["code"] == "REQUEST_TOO_LARGE" and "1,000" in error_of(big)["message"]

        async def endless():  # no Content-Length: refused as soon as it passes the limit
            for _ in range(100):
                yield b" " * 500

        streamed = await client.post(URL, content=endless(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert error_of(streamed)["extensions"]["code"] == "REQUEST_TOO_LARGE"
        assert "1,000" in error_of(streamed)["message"]


async def test_a_post_must_say_it_is_json(client):
    response = await client.post(URL, content=b'{"query": "{ __typename }"}')
    assert response.status_code == 415 and "application/json" in error_of(response)["message"]
    response = await client.post(URL, content=b"query=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and "application/json" in error_of(response)["message"]
    response = await client.post(URL, content=b'{"query": "{ __typename }"}',
                                 headers={"Content-Type": "application/json; charset=latin-1"})
    assert response.status_code == 415 and "UTF-8" in error_of(response)["message"]
    response = await client.post(URL, content=b'{"query": "{ __typename }"}',
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


async def test_other_methods_and_mutations_over_get_are_405_json(client):
    response = await client.put(URL, json={"query": "{ __typename }"})
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
    assert error_of(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    response = await client.get(URL, params={"query": "mutation { __typename }"})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert "POST" in error_of(response)["message"]
    response = await client.get(URL, params={"query": "{ __typename }"})
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


async def test_get_parameters_are_checked_like_posted_ones(client):
    response = await client.get(URL, params={"query": "query($a: Int) { __typename }", "variables": "[1]"})
    assert response.status_code == 400 and '"variables"' in error_of(response)["message"]
    response = await client.get(URL, params={"query": "query($a: Int) { __typename }", "variables": "{nope"})
    assert response.status_code == 400 and error_of(response)["extensions"]["code"] == "BAD_JSON"
    response = await client.get(URL + "?query=%7B__typename%7D&query=%7B__typename%7D")
    assert response.status_code == 400 and "once" in error_of(response)["message"]


@pytest.mark.parametrize("document, variables, code", [
    ("{ subject(code: ", {}, "GRAPHQL_PARSE_FAILED"),
    ("{ nope }", {}, "GRAPHQL_VALIDATION_FAILED"),
    ("query($c: ID!) { subject(code: $c) { code } }", {"c": None}, "BAD_USER_INPUT"),
])
async def test_request_errors_by_media_type(client, document, variables, code):
    """The draft: with application/graphql-response+json a request error is a 400 without `data`;
    with application/json (the legacy default) a 200 with `data: null`. Either way the error has a code."""
    modern = await client.post(URL, json={"query": document, "variables": variables},
                               headers={"Accept": RESPONSE_JSON})
    assert modern.status_code == 400
    assert modern.headers["content-type"] == f"{RESPONSE_JSON}; charset=utf-8"
    assert "data" not in modern.json() and modern.json()["errors"][0]["extensions"]["code"] == code
    legacy = await client.post(URL, json={"query": document, "variables": variables},
                               headers={"Accept": "application/json"})
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json; charset=utf-8"
    assert legacy.json()["data"] is None and legacy.json()["errors"][0]["extensions"]["code"] == code


async def test_a_field_error_is_still_a_200_with_data(client):
    response = await client.post(URL, json={"query": '{ departments { code } subject(code: "nope") { code } }'},
                                 headers={"Accept": RESPONSE_JSON})
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["departments"] and body["data"]["subject"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("accept, media", [
    (None, "application/json"), ("*/*", "application/json"), ("application/json", "application/json"),
    (RESPONSE_JSON, RESPONSE_JSON), (f"application/json;q=0.5, {RESPONSE_JSON}", RESPONSE_JSON),
    (f"{RESPONSE_JSON};q=0.2, application/json", "application/json"), ("application/*", "application/json"),
])
async def test_the_answer_comes_in_the_media_type_asked_for(client, accept, media):
    headers = {"Accept": accept} if accept else {}
    response = await client.post(URL, json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == f"{media}; charset=utf-8"


async def test_an_unacceptable_media_type_is_a_406(client):
    response = await client.post(URL, json={"query": "{ __typename }"}, headers={"Accept": "text/csv"})
    assert response.status_code == 406 and error_of(response)["extensions"]["code"] == "NOT_ACCEPTABLE"


async def test_answers_are_never_cached_and_keep_chinese_readable(client):
    response = await client.post(URL, json={"query": "{ departments { name } }"})
    assert response.headers["cache-control"] == "no-store"
    assert "发展和改革局".encode() in response.content and b"\\u" not in response.content
    refused = await client.post(URL, json={"query": "{ __typename }"}, headers={"Authorization": "Bearer x.y.z"})
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
    assert refused.headers["content-type"].startswith("application/json")


def _count(status: str) -> float:
    return REGISTRY.get_sample_value("gateway_graphql_requests_total", {"status": status}) or 0.0


async def test_each_request_is_counted_once_in_metrics(engine, monkeypatch):
    from gateway.query_log import QueryLogUnavailable, QueryLogWriter
    from tests.conftest import app_for

    app = app_for(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        ok, unavailable = _count("200"), _count("503")
        await client.post(URL, json={"query": "{ __typename }"})
        assert (_count("200"), _count("503")) == (ok + 1, unavailable)

        async def refuse(*_args, **_kwargs):
            raise QueryLogUnavailable("disk full")

        monkeypatch.setattr(QueryLogWriter, "append", refuse)
        response = await client.post(URL, json={"query": "{ __typename }"})
        assert response.status_code == 503 and error_of(response)["extensions"]["code"] == "QUERY_LOG_UNAVAILABLE"
        assert (_count("200"), _count("503")) == (ok + 1, unavailable + 1)  # not also as the 200 it would have been
        metrics = await client.get("/metrics")
        assert "gateway_graphql_requests_total" in metrics.text


async def test_an_unexpected_error_carries_a_code(engine, client, monkeypatch):
    from resolvers import catalogue

    async def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(catalogue, "departments", broken)
    response = await client.post(URL, json={"query": "{ departments { code } }"})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "a bug" not in response.text and "Traceback" not in response.text


async def test_the_subject_code_of_a_person_is_still_masked_in_refusals(client):
    """Sanity: the refusal bodies above are the gateway's own words, never an echo of personal data."""
    response = await client.post(URL, json={"query": "{ __typename }", "operationName": [w.PERSON_P]})
    assert response.status_code == 400 and w.PERSON_P not in response.text
    assert json.loads(response.text)["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
