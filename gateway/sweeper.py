"""The sweeper inside `serve` (issue 15, the clock): store/sweep.py on an interval, as a task of the
serving process. Every worker runs the loop; on PostgreSQL the advisory lock lets one of them sweep
at a time and the others skip that round (SQLite: one process). A failed round is logged and tried
again at the next interval: it never stops serving, and reads never wait for it (they decide by date).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import JurisdictionProfile
from store.sweep import SweepReport, sweep, sweep_lock

log = logging.getLogger("gateway.sweeper")


class PeriodicSweeper:
    def __init__(self, engine: AsyncEngine, profile: JurisdictionProfile, today: Callable[[], dt.date],
                 interval_seconds: float) -> None:
        self.engine, self.profile, self.today, self.interval = engine, profile, today, interval_seconds
        self._task: asyncio.Task | None = None
        self.last: SweepReport | None = None  # the last round this process ran (None: none, or skipped)

    async def run_once(self) -> SweepReport | None:
        """One round as of today, if this process holds the lock; None when another one does."""
        async with sweep_lock(self.engine) as mine:
            if not mine:
                return None
            report = await sweep(self.engine, self.profile, self.today())
        if report.changed:
            log.info("%s", report.summary())
        self.last = report
        return report

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="sweeper")

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sweep failed; trying again in %s s", self.interval)
            await asyncio.sleep(self.interval)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
