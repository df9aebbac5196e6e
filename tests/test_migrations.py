"""The migrations build exactly the tables the models describe: a column or index added to one and
not the other (a helper's lane, a hurried fix) fails here, on both databases."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from store.bootstrap import initialise
from store.engine import create_engine
from store.migrate import upgrade
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


# A record's columns apart from its id and document number, on the rows `_reference_rows` inserts.
RECORD = {"subject_code": "S", "catalogue_item_code": "I", "provider_code": "D", "category": "BAD", "family": "F",
          "visibility": "PUBLIC", "issuing_authority": "A", "decided_on": dt.date(2026, 9, 1), "channel": "API",
          "submitted_by": "u"}


async def _reference_rows(connection) -> None:
    """The department, subject and catalogue item a bare record needs (foreign keys)."""
    from sqlalchemy import insert

    from store.models import CatalogueItem, Department, Subject

    await connection.execute(insert(Department.__table__).values(code="D", name="D", kind="OTHER"))
    await connection.execute(insert(Subject.__table__).values(code="S", kind="ORGANISATION", name="S"))
    await connection.execute(insert(CatalogueItem.__table__).values(
        code="I", profile="huancui", name="I", basis="B", category="BAD", family="F", visibility="PUBLIC",
        definition={}))


async def test_sqlite_records_built_before_0009_continue_after_their_highest_tombstone(tmp_path):
    """A database whose newest record was revoked before 0009: the rebuilt `records` (AUTOINCREMENT)
    numbers the next record after the tombstone, not after the highest live row (HC-30); its rows,
    objections and the annotations referencing them survive the rebuild, and foreign keys are
    enforced again afterwards."""
    from sqlalchemy import insert, select, text

    from store.engine import create_engine
    from store.migrate import upgrade
    from store.models import Annotation, Objection, Record, RecordTombstone

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    day = RECORD["decided_on"]
    record = RECORD
    try:
        await upgrade(engine, "0008")
        async with engine.begin() as connection:
            await _reference_rows(connection)
            for number in (1, 2, 3):
                await connection.execute(insert(Record.__table__).values(id=number, document_number=f"d{number}",
                                                                         **record))
                await connection.execute(insert(Objection.__table__).values(
                    record_id=number, subject_code="S", ground="ERROR_OR_OMISSION", statement="s"))
            await connection.execute(insert(Annotation.__table__).values(record_id=2, objection_id=2, kind="K",
                                                                         text="t"))
            await connection.execute(insert(RecordTombstone.__table__).values(
                record_id=7, subject_code="S", provider_code="D", catalogue_item_code="I", document_number="d7",
                reason="REVOKED", effective_on=day))
        await upgrade(engine)
        async with engine.begin() as connection:
            new_id = (await connection.execute(insert(Record.__table__).values(document_number="d8", **record)
                                               .returning(Record.__table__.c.id))).scalar()
            assert new_id == 8
            assert (await connection.execute(select(Objection.__table__.c.id))).scalars().all() == [1, 2, 3]
            assert (await connection.execute(select(Annotation.__table__.c.objection_id))).scalars().all() == [2]
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA foreign_key_check"))).all() == []
    finally:
        await engine.dispose()


async def test_explicit_ids_continue_after_the_highest_deleted_one(backend, tmp_path):
    """The demo loader inserts records with explicit ids, some only as tombstones: the next record
    is numbered after the highest of either, on both databases (store/id_sequences.py)."""
    from sqlalchemy import insert

    from store.engine import create_engine
    from store.id_sequences import continue_ids_after
    from store.models import Record
    from tests.conftest import scratch_postgres_url

    if backend == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.skip("no TEST_DATABASE_URL")
        url = await scratch_postgres_url("idseq")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'ids.sqlite3'}"
    engine = create_engine(url)
    record = RECORD
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await _reference_rows(connection)
            await connection.execute(insert(Record.__table__).values(id=40, document_number="d40", **record))
            await continue_ids_after(connection, "records", 45)  # 41..45 deleted before they were stored
            new_id = (await connection.execute(insert(Record.__table__).values(document_number="d46", **record)
                                               .returning(Record.__table__.c.id))).scalar()
        assert new_id == 46
    finally:
        await engine.dispose()
