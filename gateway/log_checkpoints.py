"""Writing signed checkpoints of the log chains while the gateway runs (SPEC 3.6; store.checkpoints).

The query log's writer reports every head it commits; a checkpoint is signed once
LOG_CHECKPOINT_ENTRIES entries have been written since the last one. Every LOG_CHECKPOINT_SECONDS
the committed heads of both chains are read (the submission log is appended by resolvers inside
their own transactions, so its committed head is read back rather than guessed) and signed if
they moved; and once more at shutdown. Only committed heads are ever signed: a checkpoint of a
transaction that then rolled back would look like a truncation.

Signing and the file append run on a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from store.chain import QUERY_LOG, SUBMISSION_LOG, committed_head
from store.checkpoints import CheckpointSink

log = logging.getLogger("gateway.log_checkpoints")


@dataclass(frozen=True)
class CheckpointPolicy:
    every_entries: int = 100
    every_seconds: float = 10.0


class LogCheckpoints:
    """One per process: the signer of both chains' heads."""

    def __init__(self, sink: CheckpointSink, policy: CheckpointPolicy = CheckpointPolicy()) -> None:
        self.sink = sink
        self.policy = policy
        self.engine: AsyncEngine | None = None
        self._noted: dict[str, tuple[int, str]] = {}
        self._signed: dict[str, tuple[int, str]] = {}
        self._since: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._ticker: asyncio.Task | None = None
        self._pending: set[asyncio.Task] = set()

    async def start(self, engine: AsyncEngine) -> None:
        self.engine = engine
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick())

    def note(self, table: str, seq: int, entry_hash: str, entries: int) -> None:
        """A committed head (called by the query log's writer after each commit)."""
        noted = self._noted.get(table)
        if noted is None or seq > noted[0]:
            self._noted[table] = (seq, entry_hash)
        self._since[table] = self._since.get(table, 0) + entries
        if self._since[table] >= self.policy.every_entries:
            self._since[table] = 0
            task = asyncio.get_running_loop().create_task(self._sign(table, self._noted[table]))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        """The shutdown checkpoint: both chains' committed heads, once the writes under way are done."""
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self.checkpoint_now()

    async def checkpoint_now(self) -> None:
        """Sign both chains' committed heads if they moved since their last checkpoint."""
        heads = dict(self._noted)
        if self.engine is not None:
            try:
                async with self.engine.connect() as connection:
                    for table in (QUERY_LOG, SUBMISSION_LOG):
                        head = await connection.run_sync(committed_head, table)
                        if head is not None:
                            heads[table.name] = _newer(heads.get(table.name), head, table.name)
            except Exception as exc:  # the database is down: sign what this process committed
                log.warning("log checkpoint: cannot read the chains' heads (%s); signing this process's own", exc)
        for table, head in heads.items():
            await self._sign(table, head)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.policy.every_seconds)
            try:
                await self.checkpoint_now()
            except Exception:
                log.exception("log checkpoint failed; trying again in %s s", self.policy.every_seconds)

    async def _sign(self, table: str, head: tuple[int, str]) -> None:
        async with self._lock:
            if self._signed.get(table) == head:
                return
            last = self._signed.get(table)
            if last is not None and head[0] < last[0]:
                log.error("the %s chain's head went back from entry %d to %d: entries were deleted from the database "
                          "(run verify-log)", table, last[0], head[0])
                return  # the evidence is the checkpoint already signed; do not sign over it
            await asyncio.get_running_loop().run_in_executor(None, self.sink.write, table, head[0], head[1])
            self._signed[table] = head


def _newer(noted: tuple[int, str] | None, read: tuple[int, str], table: str) -> tuple[int, str]:
    """The head read from the database, unless this process committed a later one."""
    if noted is not None and noted[0] > read[0]:
        log.error("the %s chain ends at entry %d in the database, but this process committed entry %d: entries were "
                  "deleted (run verify-log)", table, read[0], noted[0])
        return noted
    return read
