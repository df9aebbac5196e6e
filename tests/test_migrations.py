"""The migrations build exactly the tables the models describe: a column or index added to one and
not the other (a helper's lane, a hurried fix) fails here, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.bootstrap import initialise
from store.engine import create_engine
from store.models import Base
from tests.conftest import scratch_url


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
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
