"""Version counters kept in `settings`, which workers follow (policies, admitted federated sources)."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from store.models import Setting


async def bump_counter(connection: AsyncConnection, key: str, notify: str | None = None) -> int:
    """Add one to the counter `key` inside the caller's transaction (creating it at 1), NOTIFY `notify`
    on PostgreSQL so listening workers follow at once, and return the new value."""
    current = (await connection.execute(select(Setting.value).where(Setting.key == key))).scalar()
    version = int(current or 0) + 1
    if current is None:
        await connection.execute(Setting.__table__.insert().values(key=key, value=str(version)))
    else:
        await connection.execute(Setting.__table__.update().where(Setting.key == key).values(value=str(version)))
    if notify and connection.dialect.name == "postgresql":
        await connection.execute(text(f"NOTIFY {notify}, '{version}'"))
    return version
