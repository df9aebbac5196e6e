"""The reader's authorisations and the query permit its basis names, cached per worker (issue 14).

Looking them up cost two database round trips on every officer and grantee request. The rows are
kept whole, with their validity dates and revocation, so whether one applies (its validity against
the request's instant, its purpose) is still decided per request. Any grant, revocation or permit
change bumps `grants_version` (store.grants_version) in its transaction and clears this worker's
cache at once; other workers follow when their policy poll sees the new version (0.5 s on SQLite,
a NOTIFY on PostgreSQL), and every entry lapses after `TTL_SECONDS` whatever happens, so a row
changed behind the gateway's back is followed within seconds. Bounded: basis values are the
client's to choose.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from typing import Any, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000


class GrantCache:
    def __init__(self, ttl: float = TTL_SECONDS, size: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic):
        self.ttl, self.size, self.clock = ttl, size, clock
        self.version: int | None = None  # the stored grants_version the entries were read under, when known
        self._entries: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._generation = 0  # bumped by clear(): a load begun before a change is not kept after it

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()

    def follow(self, version: int) -> None:
        """A worker's poll saw the stored version: entries read under another one are dropped."""
        if version != self.version:
            self.clear()
            self.version = version

    async def get(self, engine: AsyncEngine, key: Any, load: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
        now = self.clock()
        found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            self._entries.move_to_end(key)
            return found[1]
        generation = self._generation
        async with engine.connect() as connection:
            value = await load(connection)
        if generation != self._generation:  # rights changed while it loaded: answer, keep nothing
            return value
        self._entries[key] = (now, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value


_CACHES: "weakref.WeakKeyDictionary[Any, GrantCache]" = weakref.WeakKeyDictionary()


def cache_for(engine: AsyncEngine) -> GrantCache:
    """The worker's cache for one database (every app on the same engine shares it)."""
    key = engine.sync_engine
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = GrantCache()
    return cache
