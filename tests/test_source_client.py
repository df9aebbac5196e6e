"""Calling federated sources (issue 18): batched, signed, bounded, checked and audited.

Real source servers (uvicorn subprocesses: tests/fake_source.py) driven through `load_remote` and the
`SourceClient`, with a minimal request context: what the source received, what the request got for each
subject and field, and what the query log would record.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import unquote

import pytest

from domain.enums import Purpose
from domain.principal import Principal
from domain.source_signing import SIGNATURE_HEADER, verify
from gateway.source_client import SourceClient, SourceLimits
from resolvers.context import RequestContext
from resolvers.remote_loader import load_remote
from resolvers.remote_sources import SOURCE_INVALID, SOURCE_TIMEOUT, SOURCE_UNAVAILABLE, RemoteFieldError, \
    RemoteSource, RemoteWant
from store.chain import logged_subject
from tests.fake_source import SECRET_MESSAGE, running_fake_source

KEY = "fake-source-signing-key-0123456789"
ORGS = [f"91371002MA3C{n:06d}" for n in range(100)]  # organisations' codes: logged whole
PERSON = "371002199001011234"  # a resident ID: logged masked
LICENCES = "{ number holder }"
BASIS = "环发改函〔2026〕12号"


@pytest.fixture(scope="module")
def fake():
    with running_fake_source(KEY) as source:
        yield source


def source_at(url: str, key: str = KEY) -> RemoteSource:
    return RemoteSource(name="licensing", url=url, version=3, signing_key=key,
                        fields={"licences": "LICENCE_LIVE", "rating": "RATING_LIVE"})


def context_for(client: SourceClient, source: RemoteSource) -> RequestContext:
    return RequestContext(engine=None, principal=Principal(user="u1", department="HC-FGW"),  # type: ignore[arg-type]
                          purpose=Purpose.LICENSING, basis=BASIS, remote_fetcher=client,
                          remote_sources={source.name: source}, request_id="req-42")


async def gather(context: RequestContext, wants: list[RemoteWant]) -> list:
    """Every want loaded at once, as a query's resolvers do: values, or the RemoteFieldError raised."""
    return await asyncio.gather(*(load_remote(context, w) for w in wants), return_exceptions=True)


def want(code: str, field: str = "licences", selection: str = LICENCES) -> RemoteWant:
    return RemoteWant(source="licensing", code=code, field=field, selection=selection if field == "licences" else "")


@pytest.fixture
async def client():
    client = SourceClient(SourceLimits(deadline_seconds=1.0, failures_to_open=2, cool_down_seconds=0.5))
    yield client
    await client.aclose()


def assert_own(results: list, wants: list[RemoteWant]) -> None:
    """Each value that came back is its own subject's: never another's (the fake names the holder)."""
    for result, w in zip(results, wants):
        if isinstance(result, Exception):
            assert isinstance(result, RemoteFieldError), result
        elif w.field == "licences":
            assert [item.get("holder", w.code) for item in result] == [w.code]
            assert [item["number"] for item in result] == [f"L-{w.code[-4:]}-1"]
        else:
            assert result == f"R-{w.code}"


async def test_one_call_for_100_subjects_deduplicated_with_aliases(fake, client):
    fake.mode("ok")
    source = source_at(fake.url)
    context = context_for(client, source)
    wants = ([want(c) for c in ORGS] + [want(c) for c in ORGS]  # each asked twice: sent once
             + [want(c, "rating") for c in ORGS] + [want(ORGS[0], selection="{ number }")])
    results = await gather(context, wants)
    calls = fake.calls()
    assert len(calls) == 1
    assert calls[0]["codes"] == ORGS  # each subject once, in the order first asked
    assert_own(results, wants)
    assert results[-1] == [{"number": f"L-{ORGS[0][-4:]}-1"}]  # a second selection of the field: its own alias
    assert "f0: licences" in calls[0]["query"] and "licences { number }" in calls[0]["query"]


async def test_a_subject_is_only_asked_for_the_fields_wanted_for_it(fake, client):
    """Data minimisation: a field the policies refused for a subject (so never wanted) is never asked of it."""
    fake.mode("ok")
    source = source_at(fake.url)
    wants = [want(ORGS[0]), want(ORGS[1]), want(ORGS[2], "rating"), want(ORGS[1], "rating")]
    results = await gather(context_for(client, source), wants)
    assert_own(results, wants)
    calls = fake.calls()
    assert len(calls) == 1
    assert sorted(map(tuple, calls[0]["resolved"])) == sorted(
        [(ORGS[0], "licences"), (ORGS[1], "licences"), (ORGS[1], "rating"), (ORGS[2], "rating")])


async def test_the_call_carries_who_asks_and_why_signed(fake, client):
    fake.mode("ok")
    source = source_at(fake.url)
    await gather(context_for(client, source), [want(ORGS[0])])
    [call] = fake.calls()
    headers = call["headers"]
    assert headers["x-credit-gateway-department"] == "HC-FGW"
    assert headers["x-credit-gateway-purpose"] == "LICENSING"
    assert unquote(headers["x-credit-gateway-basis"]) == BASIS
    assert headers["x-credit-gateway-request-id"] == "req-42"
    assert headers[SIGNATURE_HEADER.lower()].startswith("v1=")  # the fake answered, so it verified it


@pytest.mark.parametrize("mode, invalid_positions", [
    ("reorder", {0, 1, 2, 3}),  # reversed: no entity is at its own position
    ("short", {0, 1, 2, 3}),  # one entity missing: which one is unknowable, so none is used
    ("duplicate", {1}),  # the first repeated in the second's place
    ("null", {1, 3}),
    ("wrongcode", {0, 1, 2, 3}),
    ("badshape", {0, 1, 2, 3}),  # a list of objects answered as a number
])
async def test_misordered_or_malformed_answers_never_reach_another_subject(fake, client, mode, invalid_positions):
    fake.mode(mode)
    source = source_at(fake.url)
    context = context_for(client, source)
    wants = [want(c) for c in ORGS[:4]]
    results = await gather(context, wants)
    assert_own(results, wants)
    assert {i for i, r in enumerate(results) if isinstance(r, RemoteFieldError)} == invalid_positions
    assert {r.code for r in results if isinstance(r, RemoteFieldError)} == {SOURCE_INVALID}
    [call] = context.observed.remote_calls
    assert call["status"] in ("PARTIAL", SOURCE_INVALID)


async def test_errors_the_source_reports_are_mapped_to_their_subject_and_redacted(fake, client):
    fake.mode("errors")
    source = source_at(fake.url)
    wants = [want(c) for c in ORGS[:4]] + [want(c, "rating") for c in ORGS[:4]]
    results = await gather(context_for(client, source), wants)
    assert_own(results, wants)
    failed = [i for i, r in enumerate(results) if isinstance(r, RemoteFieldError)]
    assert failed == [1, 3, 5, 7]  # every other subject's fields, as the source reported
    for i in failed:
        assert results[i].code == SOURCE_UNAVAILABLE
        assert SECRET_MESSAGE not in str(results[i]) and "张三" not in str(results[i])


@pytest.mark.parametrize("mode, code", [("garbage", SOURCE_INVALID), ("notgraphql", SOURCE_INVALID),
                                        ("http500", SOURCE_UNAVAILABLE), ("slow", SOURCE_TIMEOUT)])
async def test_a_failing_source_gives_its_code_within_the_deadline(fake, client, mode, code):
    fake.mode(mode, delay=5)
    source = source_at(fake.url)
    context = context_for(client, source)
    started = time.monotonic()
    results = await gather(context, [want(ORGS[0]), want(ORGS[1], "rating")])
    assert time.monotonic() - started < client.limits.deadline_seconds + 0.5
    assert [r.code for r in results] == [code, code]
    assert "licensing" in str(results[0])
    assert context.observed.remote_calls[0]["status"] == code


async def test_an_unreachable_source_is_unavailable(client):
    from tests.server import free_port

    source = source_at(f"http://127.0.0.1:{free_port()}/graphql")
    results = await gather(context_for(client, source), [want(ORGS[0])])
    assert results[0].code == SOURCE_UNAVAILABLE


async def test_a_call_signed_with_another_key_is_refused_by_the_source(fake, client):
    fake.mode("ok")
    source = source_at(fake.url, key="not-the-key")
    context = context_for(client, source)
    results = await gather(context, [want(ORGS[0])])
    assert results[0].code == SOURCE_UNAVAILABLE
    assert context.observed.remote_calls[0]["httpStatus"] == 401
    assert fake.calls() == []  # refused before it ran


async def test_the_circuit_opens_after_consecutive_failures_and_recovers(fake, client):
    fake.mode("http500")
    source = source_at(fake.url)
    for _ in range(2):  # failures_to_open
        await gather(context_for(client, source), [want(ORGS[0])])
    assert client.health()["licensing"]["state"] == "open"
    assert client.health()["licensing"]["lastError"] == "answered HTTP 500"
    fake.mode("ok")  # the source is back, but the open circuit does not call it
    context = context_for(client, source)
    started = time.monotonic()
    results = await gather(context, [want(ORGS[0])])
    assert time.monotonic() - started < 0.1
    assert results[0].code == SOURCE_UNAVAILABLE and "circuit" in str(results[0])
    assert fake.calls() == []
    assert context.observed.remote_calls[0]["status"] == "CIRCUIT_OPEN"
    assert context.observed.remote_calls[0]["codes"] == []  # nothing was sent
    await asyncio.sleep(0.6)  # the cool-down: one trial call goes out, and closes the circuit
    assert client.health()["licensing"]["state"] == "half-open"
    results = await gather(context_for(client, source), [want(ORGS[0])])
    assert_own(results, [want(ORGS[0])]) and not isinstance(results[0], Exception)
    assert client.health()["licensing"]["state"] == "closed"
    assert len(fake.calls()) == 1


async def test_a_failed_trial_reopens_the_circuit(fake, client):
    fake.mode("http500")
    source = source_at(fake.url)
    for _ in range(2):
        await gather(context_for(client, source), [want(ORGS[0])])
    await asyncio.sleep(0.6)
    await gather(context_for(client, source), [want(ORGS[0])])  # the trial fails
    assert client.health()["licensing"]["state"] == "open"


async def test_each_call_is_recorded_for_the_query_log(fake, client):
    fake.mode("ok")
    source = source_at(fake.url)
    context = context_for(client, source)
    await gather(context, [want(PERSON), want(ORGS[0], "rating")])
    [call] = context.observed.remote_calls
    assert call["source"] == "licensing" and call["version"] == 3
    assert call["fields"] == ["licences", "rating"]
    assert call["codes"] == sorted([logged_subject(PERSON), ORGS[0]])
    assert PERSON not in call["codes"] and logged_subject(PERSON) != PERSON  # persons masked, as the log does
    assert call["status"] == "OK" and call["httpStatus"] == 200
    assert call["requestId"].startswith("fake-")
    assert 0 < call["latencyMs"] < 1000
    assert client.health()["licensing"]["lastLatencyMs"] == call["latencyMs"]


async def test_wants_of_two_sources_make_one_call_each(fake, client):
    fake.mode("ok")
    one, other = source_at(fake.url), RemoteSource(name="other", url=fake.url, version=1, signing_key=KEY)
    context = context_for(client, one)
    context.remote_sources = {"licensing": one, "other": other}
    wants = [want(c) for c in ORGS[:10]] + [RemoteWant("other", c, "rating") for c in ORGS[:10]]
    results = await gather(context, wants)
    assert not any(isinstance(r, Exception) for r in results)
    assert len(fake.calls()) == 2
    assert [c["source"] for c in context.observed.remote_calls] == ["licensing", "other"]


async def test_signature_covers_the_headers(fake, client):
    """The fake kept the headers it verified; changing who asks breaks the signature."""
    fake.mode("ok")
    await gather(context_for(client, source_at(fake.url)), [want(ORGS[0])])
    [call] = fake.calls()
    body = call["body"].encode()
    headers = call["headers"]
    now = float(headers["x-credit-gateway-timestamp"])
    verify(KEY, now, "POST", "/graphql", body, headers)
    with pytest.raises(ValueError):
        verify(KEY, now, "POST", "/graphql", body, {**headers, "x-credit-gateway-department": "HC-OTHER"})
