"""The per-worker cache of authorisations and query permits (resolvers/grant_cache.py, issue 14):
a revocation or a new grant is followed at once by the worker that made it, by every other worker
once its poll sees the stored version, and by every worker within the cache's lifetime whatever
happens; validity dates are still decided per request."""

from __future__ import annotations

import uuid

from gateway.policy_sync import PolicySync
from resolvers.grant_cache import GrantCache
from store.engine import create_engine
from tests import world as w
from tests.conftest import app_for, graphql, make_token
from tests.test_authorization_reasons import P_SELF, REVOKE, grant

import httpx

RECORDS = "query($c: ID!){ subject(code: $c){ records(first: 100){ totalCount } } }"


async def _visible(client, user: str) -> int:
    body = await graphql(client, RECORDS, {"c": w.PERSON_P}, token=make_token(user=user),
                         purpose="licensing", basis="SQ-WHY-1")
    assert "errors" not in body, body
    subject = body["data"]["subject"]
    return subject["records"]["totalCount"] if subject else 0


async def test_a_revocation_on_one_worker_reaches_another_at_its_next_poll(engine):
    other_engine = create_engine(engine.url.render_as_string(hide_password=False))
    worker_a, worker_b = app_for(engine), app_for(other_engine)
    user = f"cache-{uuid.uuid4().hex[:10]}"
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_a), base_url="http://a") as a, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_b), base_url="http://b") as b:
            before = await _visible(a, user)
            granted = await grant(b, user)  # given through worker B
            sync_a = PolicySync(engine, worker_a.state.gateway.policies, worker_a.state.gateway.profile)
            await sync_a._stored_version()  # worker A's poll: sees the grants version moved
            with_grant = await _visible(a, user)
            assert with_grant > before, (before, with_grant)

            body = await graphql(b, REVOKE, {"id": granted}, token=P_SELF)
            assert body["data"]["revokeAuthorization"]["errors"] == [], body
            assert await _visible(b, user) == before  # the revoking worker: at once
            await sync_a._stored_version()
            assert await _visible(a, user) == before  # the other worker: at its poll
    finally:
        await other_engine.dispose()


async def test_entries_lapse_after_their_lifetime_and_a_change_during_a_load_is_not_kept():
    ticks = [0.0]
    cache = GrantCache(ttl=5.0, size=2, clock=lambda: ticks[0])
    loads = []

    class Engine:  # stands in for AsyncEngine: connect() yields nothing the loaders use
        def connect(self):
            class Connection:
                async def __aenter__(self):
                    return None

                async def __aexit__(self, *exc):
                    return False
            return Connection()

    async def load(_connection, value="v"):
        loads.append(value)
        return value

    engine = Engine()
    assert await cache.get(engine, "k", load) == "v"
    ticks[0] = 4.9
    await cache.get(engine, "k", load)
    assert len(loads) == 1  # still fresh
    ticks[0] = 5.0
    await cache.get(engine, "k", load)
    assert len(loads) == 2  # lapsed: read again

    async def load_while_changed(_connection):
        cache.clear()  # a grant or revocation committed while this load ran
        return "old"
    assert await cache.get(engine, "j", load_while_changed) == "old"
    await cache.get(engine, "j", load)
    assert loads[-1] == "v"  # the answer read before the change was not kept

    await cache.get(engine, "x", load)
    await cache.get(engine, "y", load)
    assert len(cache._entries) == 2  # bounded: the oldest entry went

    cache.follow(3)
    assert cache._entries == {} and cache.version == 3
    await cache.get(engine, "k", load)
    cache.follow(3)
    assert len(cache._entries) == 1  # the same version keeps what it holds


async def test_one_readers_cached_grants_are_never_another_readers(client):
    """The cache is keyed by who reads: a grant to one user opens nothing to another user of the same
    department (here: none), however recently the first one's grants were read."""
    holder, other = f"cache-{uuid.uuid4().hex[:10]}", f"cache-{uuid.uuid4().hex[:10]}"
    baseline = await _visible(client, other)
    await grant(client, holder)
    assert await _visible(client, holder) > baseline  # the holder's grants are now cached
    assert await _visible(client, other) == baseline


async def test_a_permit_registered_on_one_worker_opens_at_once_there_and_at_the_others_next_poll(engine):
    """A basis read before its permit existed is cached as no permit; registering the permit clears
    the registering worker's cache at once and bumps the stored version another worker's poll follows
    (HC-23: the permit opens from the next request on)."""
    from tests import permits

    other_engine = create_engine(engine.url.render_as_string(hide_password=False))
    worker_a, worker_b = app_for(engine), app_for(other_engine)
    number, officer = f"HC-SQ-CACHE-{uuid.uuid4().hex[:8]}", make_token(user="cache-officer", department="FY", roles=["officer"])

    async def visible(client) -> int:
        body = await graphql(client, RECORDS, {"c": w.ORG_A}, token=officer, purpose="licensing", basis=number)
        assert "errors" not in body or all(e["extensions"]["code"] != "INTERNAL_SERVER_ERROR"
                                           for e in body["errors"]), body
        return body["data"]["subject"]["records"]["totalCount"]

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_a), base_url="http://a") as a, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_b), base_url="http://b") as b:
            sync_a = PolicySync(engine, worker_a.state.gateway.policies, worker_a.state.gateway.profile)
            await sync_a._stored_version()  # worker A has polled: its cache knows the stored version
            before_a, before_b = await visible(a), await visible(b)  # both workers cache "no such permit"
            payload = await permits.register(b, number, "FY", ["SHARED"])
            assert payload["errors"] == [], payload
            assert await visible(b) > before_b  # the registering worker: at once
            await sync_a._stored_version()  # worker A's next poll: sees the grants version moved
            assert await visible(a) > before_a
    finally:
        await other_engine.dispose()
