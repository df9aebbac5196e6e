"""The migrations build exactly the tables the models describe: a column or index added to one and
not the other (a helper's lane, a hurried fix) fails here, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.bootstrap import initialise
from store.engine import create_engine
from store.models import Base
from store.subject_search import FTS_TABLE
from tests.conftest import scratch_url


def _ours(connection):
    """Alembic's filter for what the comparison covers: not the SQLite FTS5 name index and its shadow
    tables (store/subject_search.py: a virtual table no model describes), not an index the models
    create only on the other database (Index.ddl_if: pg_trgm's GIN index)."""
    def include(obj, name, type_, _reflected, _compare_to) -> bool:
        if type_ == "table" and connection.dialect.name == "sqlite" and (name or "").startswith(FTS_TABLE):
            return False
        only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        return not (type_ == "index" and only_on is not None and only_on != connection.dialect.name)
    return include


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": False, "include_object": _ours(connection)})
    return [diff for diff in compare_metadata(context, Base.metadata)
            if not (isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version")]


async def test_migrated_database_matches_the_models(backend, tmp_path):
    # a scratch database of its own: the shared test database holds the session's world
    engine = create_engine(await scratch_url(backend, tmp_path, "migrations"))
    try:
        await initialise(engine, "huancui")
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == [], f"migrations and store/models.py disagree: {differences}"
