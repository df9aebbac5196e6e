"""Schema migrations (Alembic), run from code so `init-db` and the tests need no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


class ForeignKeysBroken(RuntimeError):
    """A migration left rows referencing rows that are not there (SQLite, checked before commit)."""


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision`, in one transaction; a no-op when it is there already.

    SQLite rebuilds a table to change it (0009 adds AUTOINCREMENT): dropping a table other tables
    reference is refused while foreign keys are enforced, and enforcement can only be switched
    off outside a transaction. So, as SQLite's documentation prescribes for such changes, on
    SQLite: enforcement off, BEGIN (DDL too is then inside the transaction, which the driver would
    otherwise autocommit statement by statement), the migrations, `foreign_key_check` (anything
    dangling rolls everything back), COMMIT, enforcement on again."""

    def _upgrade(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if not sqlite:
            async with connection.begin():
                await connection.run_sync(_upgrade)
            return
        await _foreign_keys(connection, "OFF")
        try:
            async with connection.begin():
                await connection.exec_driver_sql("BEGIN")
                await connection.run_sync(_upgrade)
                dangling = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if dangling:
                    raise ForeignKeysBroken(f"migrating to {revision} left dangling references: {dangling[:5]}")
        finally:
            await _foreign_keys(connection, "ON")


async def _foreign_keys(connection: AsyncConnection, state: str) -> None:
    """Outside a transaction (SQLite ignores the pragma inside one)."""
    await connection.exec_driver_sql(f"PRAGMA foreign_keys={state}")
    await connection.commit()
