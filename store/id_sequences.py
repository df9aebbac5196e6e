"""Where a table's next id starts, after rows were inserted with explicit ids (the demo loader).

A deleted record's id is never given again (HC-30: its tombstone and the log entries naming it keep
naming that record). PostgreSQL's sequence does not advance on explicit ids; SQLite's AUTOINCREMENT
counter (`sqlite_sequence`, migration 0009) does, but only to the highest row inserted, not to a
record that was deleted before it was ever stored (a demo tombstone). Both are set here.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_POSTGRES = text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :highest)")
_SQLITE_CURRENT = text("SELECT seq FROM sqlite_sequence WHERE name = :table")
_SQLITE_FORGET = text("DELETE FROM sqlite_sequence WHERE name = :table")
_SQLITE_SET = text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :highest)")


async def continue_ids_after(connection: AsyncConnection, table: str, highest: int) -> None:
    """The next row of `table` (an AUTOINCREMENT table on SQLite) takes an id above `highest`."""
    if highest <= 0:
        return
    if connection.dialect.name == "postgresql":
        await connection.execute(_POSTGRES, {"table": table, "highest": highest})
        return
    current = (await connection.execute(_SQLITE_CURRENT, {"table": table})).scalar() or 0
    await connection.execute(_SQLITE_FORGET, {"table": table})
    await connection.execute(_SQLITE_SET, {"table": table, "highest": max(current, highest)})
