"""Every worker serves the admitted sources in force within a second (issue 18), like policies.

The stored counter (store/sources.py) changes on each admission, refresh and removal; a worker
that sees it change reads the sources in force, builds a new schema grown by their fields (off
the event loop) and swaps it in whole. A request takes the schema once when it starts, so requests
in flight finish on the schema they started with; the sources a request's fields name are those
of its schema (`schema.remote_sources`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.policy_sync import StoredFollower
from resolvers.remote_sources import RemoteSource
from schema.remote_fields import ServedSource, grow
from store.sources import NOTIFY_CHANNEL, StoredSource, admitted, sources_version

log = logging.getLogger("gateway.sources")


def served(sources: list[StoredSource]) -> list[ServedSource]:
    return [ServedSource(RemoteSource(name=s.name, url=s.url, version=s.version, signing_key=s.signing_key,
                                      fields=dict(s.fields)), s.sdl) for s in sources]


class SourceSync(StoredFollower):
    """Grows a fresh schema from `build()` by the sources in force and hands it to `install` when they change.

    Building the gateway's schema takes a few hundred milliseconds; grafting the sources' fields
    onto a built one takes a few. So a spare schema is built ahead, in a thread, and the next change
    only grafts onto it: workers follow within a second however loaded the machine is."""

    channel = NOTIFY_CHANNEL

    def __init__(self, engine: AsyncEngine, build: Callable[[], object], install: Callable[[object], None],
                 poll_seconds: float = 0.5) -> None:
        super().__init__(engine, poll_seconds)
        self.build, self.install = build, install
        self.fingerprint: tuple | None = None
        self._spare: asyncio.Future | None = None
        self.installed_at: float | None = None  # time.monotonic() of the last change followed

    def _build_spare(self) -> None:
        self._spare = asyncio.ensure_future(asyncio.to_thread(self.build))

    async def refresh(self) -> None:
        sources, version = await admitted(self.engine)
        fingerprint = tuple((s.name, s.version, s.url, s.signing_key) for s in sources)
        if fingerprint != self.fingerprint:
            if self._spare is None:
                self._build_spare()
            schema = await self._spare
            grow(schema, served(sources))
            self.install(schema)
            self.installed_at = time.monotonic()
            self._build_spare()  # never grown twice: the next change grafts onto a fresh one
            if self.fingerprint is not None or sources:
                log.warning("sources in force: %s", ", ".join(f"{s.name} v{s.version}" for s in sources) or "none")
            self.fingerprint = fingerprint
        self.seen_version = version

    async def start(self) -> None:
        await super().start()
        await self._spare  # the next change finds its spare ready

    async def stop(self) -> None:
        await super().stop()
        if self._spare is not None:
            with contextlib.suppress(Exception):
                await self._spare
            self._spare = None

    async def _stored_version(self) -> int:
        async with self.engine.connect() as connection:
            return await sources_version(connection)
