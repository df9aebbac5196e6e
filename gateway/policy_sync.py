"""Keeping every worker on the current policies (issue: changes reach all workers within 1 s).

PostgreSQL: LISTEN on the policy channel (the CLI's NOTIFY arrives at once), with a slow poll
as a safety net. SQLite (one machine): a poll of the stored version every half second.
SIGHUP: reload the policy file into the store, which the same path then picks up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import JurisdictionProfile
from policies.engine import PolicyEngine
from policies.storage import NOTIFY_CHANNEL, VERSION_KEY, load_lines, read_policy_file, store_lines, with_share_lists
from resolvers.grant_cache import cache_for
from store.grants_version import grants_version
from store.models import Setting

log = logging.getLogger("gateway.policies")


class StoredFollower:
    """Follows a version counter stored in the database: `refresh()` when it changes. PostgreSQL:
    LISTEN on `channel` (a change NOTIFYs at once), with a slow poll as a safety net; SQLite: a poll
    every `poll_seconds`. Subclasses say what the counter is and what following it means."""

    channel = NOTIFY_CHANNEL

    def __init__(self, engine: AsyncEngine, poll_seconds: float = 0.5) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.seen_version: int | None = None
        self._tasks: list[asyncio.Task] = []
        self._wake = asyncio.Event()

    async def refresh(self) -> None:
        raise NotImplementedError

    async def _stored_version(self) -> int:
        raise NotImplementedError

    async def _poll(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            try:
                if await self._stored_version() != self.seen_version:
                    await self.refresh()
            except Exception as exc:  # keep serving on what we have; say so
                log.error("%s refresh failed, keeping version %s: %s", type(self).__name__, self.seen_version, exc)

    async def _connect_listener(self):
        import asyncpg

        url = make_url(self.engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
        connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        await connection.add_listener(self.channel, lambda *_args: self._wake.set())
        return connection

    async def _listen(self, connection) -> None:
        """Keep the LISTEN connection; reconnect (and re-check the version) when it drops."""
        while True:
            try:
                if connection is None:
                    connection = await self._connect_listener()
                    self._wake.set()  # a notification may have been missed while disconnected
                while not connection.is_closed():
                    await asyncio.sleep(1)
            except asyncio.CancelledError:
                if connection is not None:
                    await connection.close()
                raise
            except Exception as exc:
                log.error("LISTEN %s connection failed (%s); retrying", self.channel, exc)
                await asyncio.sleep(1)
            connection = None

    async def start(self) -> None:
        await self.refresh()
        postgres = self.engine.dialect.name == "postgresql"
        self.poll_seconds = 5.0 if postgres else self.poll_seconds
        if postgres:  # listening before the app is ready, so no change made after start is missed
            listener = await self._connect_listener()
            self._tasks.append(asyncio.create_task(self._listen(listener)))
        self._tasks.append(asyncio.create_task(self._poll()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()


class PolicySync(StoredFollower):
    def __init__(self, engine: AsyncEngine, policies: PolicyEngine, profile: JurisdictionProfile,
                 policy_file=None, poll_seconds: float = 0.5) -> None:
        super().__init__(engine, poll_seconds)
        self.policies, self.profile = policies, profile
        self.policy_file = policy_file

    async def refresh(self) -> None:
        lines, version = await load_lines(self.engine, self.profile.code)
        if version != self.seen_version:
            self.policies.reload(with_share_lists(self.profile, lines))
            if self.seen_version is not None:
                log.warning("policies reloaded: version %s (%d lines)", version, len(lines))
            self.seen_version = version

    async def _stored_version(self) -> int:
        """The stored policy version; on the way, this worker's cache of grants and permits follows
        their stored version (resolvers.grant_cache): changed by another worker, dropped here."""
        async with self.engine.connect() as connection:
            value = (await connection.execute(select(Setting.value).where(Setting.key == VERSION_KEY))).scalar()
            cache_for(self.engine).follow(await grants_version(connection))
        return int(value or 0)

    async def reload_from_file(self) -> None:
        await store_lines(self.engine, read_policy_file(self.policy_file, self.profile.code), changed_by="SIGHUP",
                          source=str(self.policy_file or "shipped default"))
        self._wake.set()

    async def start(self) -> None:
        await super().start()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: self._tasks.append(asyncio.create_task(self.reload_from_file())))
