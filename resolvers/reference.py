"""The catalogue and the departments as a process-wide snapshot.

Both are a few dozen rows that change only when an operator runs init-db. Reading them from
memory lets record fields resolve `catalogueItem` and `provider` synchronously, instead of
awaiting a dataloader for every record of a list (thousands of awaits on a large page).
A snapshot older than `MAX_AGE` is re-read at the start of the next request.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.models import CatalogueItem, Department

MAX_AGE = 30.0


@dataclass(frozen=True)
class ReferenceData:
    items: dict[str, Row]
    departments: dict[str, Row]
    loaded_at: float


_snapshots: dict[int, ReferenceData] = {}
_locks: dict[int, asyncio.Lock] = {}


async def _load(engine: AsyncEngine) -> ReferenceData:
    async with engine.connect() as connection:
        items = (await connection.execute(select(CatalogueItem.__table__).order_by(CatalogueItem.code))).all()
        departments = (await connection.execute(select(Department.__table__).order_by(Department.code))).all()
    return ReferenceData({r.code: r for r in items}, {r.code: r for r in departments}, time.monotonic())


async def reference_data(engine: AsyncEngine) -> ReferenceData:
    key = id(engine)
    snapshot = _snapshots.get(key)
    if snapshot is not None and time.monotonic() - snapshot.loaded_at < MAX_AGE:
        return snapshot
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        snapshot = _snapshots.get(key)
        if snapshot is None or time.monotonic() - snapshot.loaded_at >= MAX_AGE:
            snapshot = _snapshots[key] = await _load(engine)
    return snapshot
