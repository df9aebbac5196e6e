"""Under steady load the gateway reuses its pooled database connections (issue 14): PostgreSQL's
session counter must not rise with the requests. Counted as the pool's `connect` events (a new
DBAPI connection, i.e. a new PostgreSQL backend) over 200 requests, 32 in flight, through the ASGI
app: at most the pool's size, whatever the concurrency."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest
from sqlalchemy import event

from store.engine import create_engine
from tests import world
from tests.conftest import PG_HINT, app_for, make_token

QUERY = """query One($code: ID!) { subject(code: $code) { code name
  records(first: 5) { totalCount edges { node { id category documentNumber } } } } }"""
REQUESTS, IN_FLIGHT = 200, 32


@pytest.mark.postgres
async def test_steady_load_opens_no_connection_beyond_the_pool(engine):
    """`engine` (the session's) has populated the test database; the app gets an engine of its own,
    so that every connection it opens is counted here."""
    if engine.dialect.name != "postgresql":
        pytest.skip("connections are counted on PostgreSQL, where each one is a server process")
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(PG_HINT)
    counted = create_engine(url)
    opened = []
    event.listen(counted.sync_engine, "connect", lambda *_: opened.append(1))
    token = make_token(user="pool.load", department="SCJG", roles=("officer",))
    headers = {"Authorization": f"Bearer {token}", "X-Query-Purpose": "LICENSING", "X-Query-Basis": "SQ-2026-0007"}
    app = app_for(counted)
    statuses: list[int] = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            queue = list(range(REQUESTS))

            async def worker() -> None:
                while queue:
                    queue.pop()
                    response = await client.post("/graphql", headers=headers,
                                                 json={"query": QUERY, "variables": {"code": world.ORG_A}})
                    statuses.append(response.status_code)
                    assert response.json()["data"]["subject"]["code"] == world.ORG_A, response.text

            await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        pool = counted.sync_engine.pool
        assert statuses == [200] * REQUESTS
        assert len(opened) <= pool.size(), (
            f"{len(opened)} connections opened for {REQUESTS} requests with {IN_FLIGHT} in flight; the pool "
            f"keeps {pool.size()}: connections were opened and closed under steady load")
    finally:
        await app.state.gateway.query_log.close()
        await counted.dispose()
