"""Async engines for the two supported databases, configured the same way everywhere."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


DEFAULT_POOL_SIZE = 20


def create_engine(url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> AsyncEngine:
    """An engine for `url`: a SQLite file (aiosqlite) or PostgreSQL (asyncpg).

    SQLite gets WAL (readers do not block the writer), enforced foreign keys and a busy timeout
    so that concurrent requests wait for the write lock instead of failing.

    The pool keeps `pool_size` connections and opens no more (no overflow): an overflow connection
    is closed as soon as it is given back to a full pool, so under a load above the pool's size
    every few requests opened and closed a connection (a new PostgreSQL backend each, about one per
    four requests at 32 in flight; an aiosqlite connection is a new thread). A request that finds
    every connection busy waits for one (up to 30 s), which is also what PostgreSQL would prefer
    to many more backends than cores.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):  # a URI names its own file
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        pooled = {} if not database or database == ":memory:" else \
            {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": 30}  # in memory: one shared connection
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pooled)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=30, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def blocking_sqlite_engine(engine: AsyncEngine) -> Engine | None:
    """A synchronous engine on the same SQLite file as `engine`, configured the same way; None for
    PostgreSQL or an in-memory database. For a writer on its own thread: through aiosqlite every
    statement is several hops between the event loop and aiosqlite's thread (a one-entry log
    transaction cost ~30 of them, 2.5 ms of CPU); on a thread of its own a transaction is one."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    blocking = create_sync_engine(url.set(drivername="sqlite"), connect_args={"timeout": 30})
    event.listen(blocking, "connect", _sqlite_pragmas)
    return blocking


def dialect_insert(connection):
    """`insert()` of the connection's dialect, which has ON CONFLICT (both databases support it)."""
    return pg_insert if connection.dialect.name == "postgresql" else sqlite_insert


async def recreate_postgres_database(url: str) -> str:
    """Drop and create the PostgreSQL database `url` names (tests and benchmarks: scratch databases)."""
    name = make_url(url).database
    await _administer(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return url


async def drop_postgres_database(url: str) -> None:
    """Drop the PostgreSQL database `url` names, if it exists (tests and benchmarks: their scratch databases)."""
    await _administer(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


async def _administer(url: str, *statements: str) -> None:
    """Run `statements` on the server `url` points at, from its `postgres` database."""
    import asyncpg

    parsed = make_url(url)
    admin = await asyncpg.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432, user=parsed.username,
                                  password=parsed.password, database="postgres")
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()
