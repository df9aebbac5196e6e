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
from store.models import Setting

log = logging.getLogger("gateway.policies")


class PolicySync:
    def __init__(self, engine: AsyncEngine, policies: PolicyEngine, profile: JurisdictionProfile,
                 policy_file=None, poll_seconds: float = 0.5) -> None:
        self.engine, self.policies, self.profile = engine, policies, profile
        self.policy_file = policy_file
        self.poll_seconds = poll_seconds
        self.seen_version: int | None = None
        self._tasks: list[asyncio.Task] = []
        self._wake = asyncio.Event()

    async def refresh(self) -> None:
        lines, version = await load_lines(self.engine)
        if version != self.seen_version:
            self.policies.reload(with_share_lists(self.profile, lines))
            if self.seen_version is not None:
                log.warning("policies reloaded: version %s (%d lines)", version, len(lines))
            self.seen_version = version

    async def _stored_version(self) -> int:
        async with self.engine.connect() as connection:
            value = (await connection.execute(select(Setting.value).where(Setting.key == VERSION_KEY))).scalar()
        return int(value or 0)

    async def _poll(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            try:
                if await self._stored_version() != self.seen_version:
                    await self.refresh()
            except Exception as exc:  # keep serving on the policies we have; say so
                log.error("policy refresh failed, keeping version %s: %s", self.seen_version, exc)

    async def _listen(self) -> None:
        import asyncpg

        url = make_url(self.engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
        while True:
            try:
                connection = await asyncpg.connect(url.render_as_string(hide_password=False))
                await connection.add_listener(NOTIFY_CHANNEL, lambda *_args: self._wake.set())
                try:
                    while not connection.is_closed():
                        await asyncio.sleep(5)
                finally:
                    await connection.close()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("policy LISTEN connection failed (%s); retrying", exc)
                await asyncio.sleep(1)

    async def reload_from_file(self) -> None:
        await store_lines(self.engine, read_policy_file(self.policy_file), changed_by="SIGHUP",
                          source=str(self.policy_file or "shipped default"))
        self._wake.set()

    async def start(self) -> None:
        await self.refresh()
        postgres = self.engine.dialect.name == "postgresql"
        self.poll_seconds = 5.0 if postgres else self.poll_seconds
        self._tasks.append(asyncio.create_task(self._poll()))
        if postgres:
            self._tasks.append(asyncio.create_task(self._listen()))
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: self._tasks.append(asyncio.create_task(self.reload_from_file())))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
