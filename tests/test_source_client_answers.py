"""How the SourceClient reads what a source answered (issue 18), one case at a time: answers made up
in-process (httpx.MockTransport) for the cases a real source rarely produces on demand."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from domain.principal import Principal
from gateway.source_client import SourceClient, SourceLimits, plan
from resolvers.context import RequestContext
from resolvers.remote_sources import SOURCE_INVALID, SOURCE_UNAVAILABLE, RemoteFieldError, RemoteSource, RemoteWant

SOURCE = RemoteSource(name="court", url="http://court.invalid/graphql", version=2, signing_key="k")
CODES = ["91371002MA3C000001", "91371002MA3C000002"]


def wants() -> list[RemoteWant]:
    return [RemoteWant("court", c, "enforcement", "{ status }") for c in CODES] + \
        [RemoteWant("court", c, "flag") for c in CODES]


async def fetch(respond, limits: SourceLimits | None = None) -> tuple[list, dict]:
    """The values `wants()` get when the source answers with `respond(request, plan)`, and the call logged."""
    the_plan = plan(wants())

    def handler(request: httpx.Request) -> httpx.Response:
        return respond(request, the_plan)

    client = SourceClient(limits, transport=httpx.MockTransport(handler))
    context = RequestContext(engine=None, principal=Principal(user="u"))  # type: ignore[arg-type]
    try:
        values = await client.fetch(SOURCE, wants(), context)
    finally:
        await client.aclose()
    return values, context.observed.remote_calls[0]


def entities(**overrides) -> dict:
    """A truthful answer (both subjects, both fields), with `overrides` per entity index."""
    rows = [{"code": c, "f0": {"status": f"S-{c}"}, "f1": f"F-{c}"} for c in CODES]
    for index, row in overrides.items():
        rows[int(index[1:])] = row
    return {"data": {"e0": rows}}


def codes_of(values: list) -> list:
    return [v.code if isinstance(v, RemoteFieldError) else "ok" for v in values]


def test_the_query_asks_each_subject_once_with_aliases():
    the_plan = plan(wants() + wants())
    assert the_plan.codes == CODES
    assert the_plan.query == ('query Entities($r0: [_Any!]!) { e0: _entities(representations: $r0) '
                              '{ ... on Subject { code f0: enforcement { status } f1: flag } } }')


async def test_a_truthful_answer_is_used():
    values, call = await fetch(lambda request, p: httpx.Response(200, json=entities()))
    assert values == [{"status": f"S-{c}"} for c in CODES] + [f"F-{c}" for c in CODES]
    assert call["status"] == "OK" and call["requestId"] is None


async def test_an_error_at_an_entity_fails_that_subjects_fields_only():
    def respond(request, p):
        answer = entities(i1=None)
        answer["errors"] = [{"message": "secret detail", "path": ["e0", 1]}]
        return httpx.Response(200, json=answer)

    values, call = await fetch(respond)
    assert codes_of(values) == ["ok", SOURCE_UNAVAILABLE, "ok", SOURCE_UNAVAILABLE]
    assert "secret detail" not in str(values[1])
    assert call["status"] == "PARTIAL"


async def test_a_missing_field_in_an_entity_is_invalid():
    values, _ = await fetch(lambda request, p: httpx.Response(200, json=entities(i0={"code": CODES[0], "f1": "x"})))
    assert codes_of(values) == [SOURCE_INVALID, "ok", "ok", "ok"]


async def test_a_scalar_answered_as_an_object_is_invalid():
    values, _ = await fetch(lambda request, p: httpx.Response(200, json=entities(
        i1={"code": CODES[1], "f0": {"status": "s"}, "f1": {"nested": 1}})))
    assert codes_of(values) == ["ok", "ok", "ok", SOURCE_INVALID]


@pytest.mark.parametrize("status, code", [(401, SOURCE_UNAVAILABLE), (429, SOURCE_UNAVAILABLE),
                                          (503, SOURCE_UNAVAILABLE), (400, SOURCE_INVALID), (302, SOURCE_INVALID)])
async def test_http_statuses(status, code):
    values, call = await fetch(lambda request, p: httpx.Response(status, json={"errors": [{"message": "no"}]}))
    assert codes_of(values) == [code] * 4
    assert call["httpStatus"] == status and call["status"] == code


async def test_a_query_refused_whole_is_unavailable_and_its_messages_withheld():
    values, _ = await fetch(lambda request, p: httpx.Response(200, json={
        "data": None, "errors": [{"message": "Cannot query field flag on Subject (secret)"}]}))
    assert codes_of(values) == [SOURCE_UNAVAILABLE] * 4
    assert all("secret" not in str(v) for v in values)


@pytest.mark.parametrize("body", [b"[]", b'{"data": 3}', b'{"data": {"e0": {"code": 1}}}', b"\xff\xfe",
                                  b'{"data": {"e1": []}}'])
async def test_answers_that_are_not_an_entity_list_are_invalid(body):
    values, _ = await fetch(lambda request, p: httpx.Response(200, content=body))
    assert codes_of(values) == [SOURCE_INVALID] * 4


async def test_an_oversized_answer_is_invalid_without_reading_it_all():
    big = json.dumps(entities()).encode() + b" " * 5000
    values, _ = await fetch(lambda request, p: httpx.Response(200, content=big),
                            SourceLimits(max_answer_bytes=1000))
    assert codes_of(values) == [SOURCE_INVALID] * 4
    assert "1,000 bytes" in str(values[0])


async def test_the_source_request_id_is_kept_when_sane():
    for given, kept in (("court-7f3a", "court-7f3a"), ("x" * 200, None), ("a b;c", None)):
        _, call = await fetch(lambda request, p: httpx.Response(200, json=entities(), headers={"X-Request-Id": given}))
        assert call["requestId"] == kept


async def test_no_wants_make_no_call():
    client = SourceClient(transport=httpx.MockTransport(lambda request: pytest.fail("called")))
    context = RequestContext(engine=None)  # type: ignore[arg-type]
    assert await client.fetch(SOURCE, [], context) == []
    assert context.observed.remote_calls == []
    await client.aclose()


async def test_a_cancelled_trial_call_does_not_hold_the_circuit_half_open():
    clock = [0.0]
    started = asyncio.Event()

    async def slow(request):
        started.set()
        await asyncio.sleep(10)

    class Slow(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            await slow(request)

    client = SourceClient(SourceLimits(failures_to_open=1, cool_down_seconds=5, deadline_seconds=30),
                          clock=lambda: clock[0], transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    context = RequestContext(engine=None)  # type: ignore[arg-type]
    await client.fetch(SOURCE, wants(), context)
    assert client.health()["court"]["state"] == "open"
    clock[0] = 6.0
    client._http = httpx.AsyncClient(transport=Slow())
    task = asyncio.create_task(client.fetch(SOURCE, wants(), context))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert client.health()["court"]["state"] == "half-open"
    assert context.observed.remote_calls[-1]["status"] == "CANCELLED"
    client._http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=entities())))
    values = await client.fetch(SOURCE, wants(), context)  # the next call is the trial, and closes the circuit
    assert codes_of(values) == ["ok"] * 4 and client.health()["court"]["state"] == "closed"
    await client.aclose()
