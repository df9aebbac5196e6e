"""Shared fixtures: one prepared database per backend, and an HTTP client on the real ASGI app.

Every database test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL names a
PostgreSQL database (`.ci/run` sets it); without it the PostgreSQL cases skip, saying how to
enable them.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from domain.catalogue import load_profile
from domain.roles import DepartmentRegistry
from gateway.app import create_app
from gateway.identity import IdentityConfig, TokenVerifier, mint_token
from gateway.settings import Settings
from store.bootstrap import initialise
from store.engine import create_engine
from tests import world

PG_HINT = ("PostgreSQL cases skipped: set TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/"
           "credit_gateway_test (createdb credit_gateway_test first) to run them")
TEST_SECRET = b"test-secret-for-the-suite-only-0123456789abcdef"
TEST_SUBJECT_ID_KEY = "5e" * 64  # subjects' opaque ids (domain/subject_ids.py); never the data folder's
TODAY = world.TODAY


def pytest_report_header(config):
    return "PostgreSQL: " + (os.environ["TEST_DATABASE_URL"] if os.environ.get("TEST_DATABASE_URL") else PG_HINT)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The suite runs in a random order (pytest-randomly, issue 12): after a failure, say how to
    replay that order, also under -q, where the header naming the seed is not shown."""
    seed = getattr(config.option, "randomly_seed", None)
    if exitstatus not in (0, 5) and isinstance(seed, int) and config.pluginmanager.hasplugin("randomly"):
        terminalreporter.write_line(f"the tests ran in a random order; replay it with: python -m pytest "
                                    f"-p randomly --randomly-seed={seed} (add -p no:randomly for the file order)")


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


_SCRATCH_DATABASES: set[str] = set()


async def scratch_postgres_url(name: str) -> str:
    """A new, empty PostgreSQL database beside TEST_DATABASE_URL's, for tests that need their own
    (dropped when the session ends: the suite leaves no database behind)."""
    from sqlalchemy.engine import make_url

    from store.engine import recreate_postgres_database

    base = make_url(os.environ["TEST_DATABASE_URL"])
    url = base.set(database=f"{base.database}_{name}").render_as_string(hide_password=False)
    _SCRATCH_DATABASES.add(url)
    return await recreate_postgres_database(url)


@pytest.fixture(scope="session", autouse=True)
def drop_scratch_databases():
    """Drop every scratch PostgreSQL database the session made, once it is over, and check that no
    other database beside TEST_DATABASE_URL's is left: each test drops what it creates."""
    yield
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    import asyncio

    import asyncpg
    from sqlalchemy.engine import make_url

    from store.engine import drop_postgres_database

    base = make_url(os.environ["TEST_DATABASE_URL"])

    async def drop_all() -> list[str]:
        for url in sorted(_SCRATCH_DATABASES):
            await drop_postgres_database(url)
        admin = await asyncpg.connect(host=base.host or "127.0.0.1", port=base.port or 5432, user=base.username,
                                      password=base.password, database="postgres")
        try:
            rows = await admin.fetch("SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
                                     f"{base.database}_")
        finally:
            await admin.close()
        return sorted(r["datname"] for r in rows)

    left = asyncio.run(drop_all())
    assert not left, f"the test session left PostgreSQL databases behind: {', '.join(left)}"


async def scratch_url(backend: str, tmp_path: Path, name: str) -> str:
    """An empty database of `backend` that no other test uses (skips PostgreSQL when not enabled)."""
    if backend == "postgresql":
        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.skip(PG_HINT)
        return await scratch_postgres_url(name)
    return f"sqlite+aiosqlite:///{tmp_path / (name + '.sqlite3')}"


async def fresh_engine(backend: str, tmp_path_factory, name: str):
    """An empty, migrated database of `backend` (a new file, or the reset PostgreSQL test database).

    For the session's shared `engine` only: on PostgreSQL it empties TEST_DATABASE_URL, which every
    other test is reading. A test that needs a database of its own takes `scratch_url`."""
    if backend == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.skip(PG_HINT)
        await reset_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp(name) / 'test.sqlite3'}"
    engine = create_engine(url)
    await initialise(engine, "huancui")
    return engine


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
async def engine(backend, tmp_path_factory):
    """The shared read-mostly database: the catalogue and the test world (tests/world.py)."""
    engine = await fresh_engine(backend, tmp_path_factory, "world")
    await world.populate(engine)
    yield engine
    await engine.dispose()


_DEFAULT_NAME = object()
# The departments tokens must name (SPEC 3.1): the test world's profile's (both profiles share the codes).
DEPARTMENTS = DepartmentRegistry.of(load_profile("huancui"))


def make_token(*, user="u1", department=None, roles=(), subject=None, expires_in=3600, name=_DEFAULT_NAME) -> str:
    """A token the gateway accepts: the department and roles are checked against the profile here,
    and every token carries a querier's name (HC-23) unless `name=None` is passed."""
    if name is _DEFAULT_NAME:
        name = f"测试员 {user}"
    return mint_token(TEST_SECRET, user=user, department=department, roles=list(roles), subject=subject,
                      expires_in=expires_in, name=name, departments=DEPARTMENTS)


def test_settings(tmp_path: Path | None = None) -> Settings:
    return Settings(data_dir=tmp_path or Path("/nonexistent"), database_url="unused", load_demo_on_empty=False)


def app_for(engine, today: dt.date = TODAY, now: dt.datetime | None = None, **settings_overrides):
    """The app on `engine`. Its day is `today` (the clock runs); `now` fixes the clock instead,
    and the day is then the profile's (Beijing) day at that instant."""
    settings = Settings(data_dir=Path("/nonexistent"), database_url="unused", load_demo_on_empty=False,
                        **{"subject_id_key": TEST_SUBJECT_ID_KEY, **settings_overrides})
    verifier = TokenVerifier(IdentityConfig(mode="hs256", hs256_secret=TEST_SECRET))
    if now is not None:
        return create_app(settings, engine=engine, verifier=verifier, now=lambda: now)
    return create_app(settings, engine=engine, verifier=verifier, today=lambda: today)


@pytest.fixture(scope="session")
async def client(engine):
    app = app_for(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


def row_number(object_id: str) -> int:
    """The stored row's number inside an object's global id (resolvers/node_ids.py), for assertions
    that compare it with what a test inserted; `id`s are opaque to clients."""
    from resolvers.node_ids import decode

    return int(decode(object_id)[1])


async def graphql(client: httpx.AsyncClient, query: str, variables: dict | None = None, *, token: str | None = None,
                  purpose: str | None = None, basis: str | None = None, expect_status: int = 200) -> dict:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if purpose:
        headers["X-Query-Purpose"] = purpose
    if basis:
        headers["X-Query-Basis"] = basis
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == expect_status, response.text
    return response.json()
