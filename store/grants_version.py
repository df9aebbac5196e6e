"""The version of the reading rights kept outside policies: authorisations and query permits.

Every grant, revocation or permit change bumps it in its own transaction, so each worker's cache of
those rows (`resolvers.grant_cache`) knows to drop them; on PostgreSQL the bump also NOTIFYs the
channel workers already listen on for policy changes, so they follow at once.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, cast, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from policies.storage import NOTIFY_CHANNEL
from store.models import Setting

GRANTS_VERSION_KEY = "grants_version"

_READ = select(Setting.value).where(Setting.key == GRANTS_VERSION_KEY)
_BUMP = (update(Setting.__table__).where(Setting.key == GRANTS_VERSION_KEY)
         .values(value=cast(cast(Setting.value, Integer) + 1, String)))


async def bump_grants_version(connection: AsyncConnection) -> None:
    """Call inside the transaction that changes an authorisation or a permit."""
    if (await connection.execute(_BUMP)).rowcount == 0:
        try:
            async with connection.begin_nested():
                await connection.execute(insert(Setting.__table__).values(key=GRANTS_VERSION_KEY, value="1"))
        except IntegrityError:  # another writer created it first
            await connection.execute(_BUMP)
    if connection.dialect.name == "postgresql":
        await connection.execute(text(f"NOTIFY {NOTIFY_CHANNEL}, 'grants'"))


async def grants_version(connection: AsyncConnection) -> int:
    return int((await connection.execute(_READ)).scalar() or 0)
