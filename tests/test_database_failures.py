"""A database that cannot serve is a logged 503 JSON error (SPEC 3.6): never a 500, never a `null` that would
read as "no such subject", and /readyz says so when the query log cannot be written."""

from __future__ import annotations

import asyncio
import os
import uuid

import httpx
import pytest
from sqlalchemy import exc as sa
from sqlalchemy import select, text

from store.bootstrap import initialise
from store.chain import QUERY_LOG
from store.engine import create_engine
from store.log_archive import verify_stored
from store.models import QueryLogEntry
from tests import world as w
from tests.conftest import PG_HINT, app_for, make_token, scratch_url
from tests.test_query_log import last_entry

SUBJECT_QUERY = "query($c: ID!) { subject(code: $c) { code name records(first: 5) { totalCount } } }"


def unreachable_url(backend: str, tmp_path) -> str:
    if backend == "postgresql":
        return "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    folder = tmp_path / "not-a-database-file"
    folder.mkdir()
    return f"sqlite+aiosqlite:///{folder}"  # a directory: SQLite cannot open it


async def test_an_unreachable_database_is_a_503_json_error(backend, tmp_path):
    engine = create_engine(unreachable_url(backend, tmp_path))
    try:
        app = app_for(engine)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            for token in (None, make_token(user="o", department="SCJG", roles=["officer"])):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = await client.post("/graphql", json={"query": SUBJECT_QUERY, "variables": {"c": w.ORG_A}},
                                             headers={**headers, "X-Query-Purpose": "licensing",
                                                      "X-Query-Basis": "XK-1"})
                assert response.status_code == 503, response.text
                body = response.json()
                assert "data" not in body
                assert body["errors"][0]["extensions"]["code"] in ("DATABASE_UNAVAILABLE", "QUERY_LOG_UNAVAILABLE")
                assert response.headers["content-type"].startswith("application/json")
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
    finally:
        await engine.dispose()


async def test_a_database_failure_during_execution_is_a_logged_503_not_a_null(engine, client, monkeypatch):
    """A resolver meeting a lost connection used to leave `subject: null` ("unknown") in a 200 answer."""
    from resolvers import subjects

    async def lost(*_args, **_kwargs):
        raise sa.OperationalError("SELECT ...", {}, ConnectionResetError("connection reset by peer"))

    monkeypatch.setattr(subjects, "subject_by_code", lost)
    request_id = uuid.uuid4().hex
    response = await client.post("/graphql", json={"query": SUBJECT_QUERY, "variables": {"c": w.ORG_A}},
                                 headers={"X-Request-Id": request_id})
    assert response.status_code == 503
    body = response.json()
    assert "data" not in body and body["errors"] == [
        {"message": "the database cannot be reached, so nothing is answered; try again later",
         "extensions": {"code": "DATABASE_UNAVAILABLE"}}]
    assert response.headers["retry-after"]
    entry = await last_entry(engine)
    assert entry.request_id == request_id and entry.outcome == "FAILED"


async def test_a_sql_mistake_is_not_called_an_unavailable_database(engine, client, monkeypatch):
    """Only the database's own failure is a 503; a broken statement is the gateway's fault, masked and coded."""
    from resolvers import subjects

    async def mistaken(*_args, **_kwargs):
        import sqlite3

        raise sa.OperationalError("SELEKT", {}, sqlite3.OperationalError('near "SELEKT": syntax error'))

    monkeypatch.setattr(subjects, "subject_by_code", mistaken)
    response = await client.post("/graphql", json={"query": SUBJECT_QUERY, "variables": {"c": w.ORG_A}})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


async def read_only_app(backend: str, tmp_path):
    """A gateway on an initialised database it may read but not write (a read-only mount, a standby)."""
    url = await scratch_url(backend, tmp_path, "readonly")
    setup = create_engine(url)
    await initialise(setup, "huancui")
    await setup.dispose()
    if backend == "postgresql":
        admin = create_engine(url)
        async with admin.connect() as connection:
            database = (await connection.execute(text("SELECT current_database()"))).scalar()
            await connection.execute(text("COMMIT"))
            await connection.execute(text(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on'))
        await admin.dispose()
        return create_engine(url)
    path = url.removeprefix("sqlite+aiosqlite:///")
    return create_engine(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")


async def test_readyz_says_not_ready_when_the_query_log_cannot_be_written(backend, tmp_path):
    engine = await read_only_app(backend, tmp_path)
    try:
        app = app_for(engine)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json() == {"status": "unavailable", "database": "reachable", "queryLog": "unwritable"}
            response = await client.post("/graphql", json={"query": "{ departments { code } }"})
            assert response.status_code == 503  # what readyz foretold
            assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_LOG_UNAVAILABLE"
    finally:
        await engine.dispose()


async def test_readyz_is_ready_when_the_log_can_be_written(client):
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "reachable", "queryLog": "writable"}


@pytest.mark.postgres
async def test_connections_killed_under_load_give_no_500_and_no_unlogged_answer(tmp_path):
    """PostgreSQL backends terminated while requests run: each answer is its data (logged) or a 503."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip(PG_HINT)
    import asyncpg

    url = await scratch_url("postgresql", tmp_path, "kill")
    engine = create_engine(url)
    await initialise(engine, "huancui")
    await w.populate(engine)
    app = app_for(engine)
    officer = make_token(user="o", department="SCJG", roles=["officer"])
    headers = {"Authorization": f"Bearer {officer}", "X-Query-Purpose": "licensing", "X-Query-Basis": "XK-1"}
    answers: list[tuple[str, httpx.Response]] = []
    stop = asyncio.Event()

    async def ask(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            request_id = uuid.uuid4().hex
            response = await client.post("/graphql", json={"query": SUBJECT_QUERY, "variables": {"c": w.ORG_A}},
                                         headers={**headers, "X-Request-Id": request_id})
            answers.append((request_id, response))

    database = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    killed = 0
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            from tests import permits

            # Huancui: the officer reads SHARED records under a query permit (HC-23)
            assert (await permits.register(client, "XK-1", "SCJG", ["SHARED"]))["errors"] == []
            askers = [asyncio.create_task(ask(client)) for _ in range(8)]
            for _ in range(30):
                await asyncio.sleep(0.1)
                killed += len(await admin.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database))
            stop.set()
            await asyncio.gather(*askers)
        assert killed > 10 and len(answers) > 50
        assert any(r.status_code == 200 for _, r in answers) and any(r.status_code == 503 for _, r in answers)
        statuses = {r.status_code for _, r in answers}
        assert statuses <= {200, 503}, statuses
        for request_id, response in answers:
            body = response.json()
            if response.status_code == 200:
                assert "errors" not in body, body  # never a half answer with "Unexpected error" or null subjects
                assert body["data"]["subject"]["code"] == w.ORG_A
            else:
                assert "data" not in body
                assert body["errors"][0]["extensions"]["code"] in ("DATABASE_UNAVAILABLE", "QUERY_LOG_UNAVAILABLE")
        async with engine.connect() as connection:
            logged = set((await connection.execute(select(QueryLogEntry.request_id))).scalars())
        answered = [i for i, r in answers if r.status_code == 200 or
                    r.json()["errors"][0]["extensions"]["code"] != "QUERY_LOG_UNAVAILABLE"]
        assert not [i for i in answered if i not in logged]  # every answer that left was logged first
        assert (await verify_stored(engine, QUERY_LOG)).fault is None
    finally:
        await admin.close()
        await engine.dispose()
