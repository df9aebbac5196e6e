"""Verifying the stored chains and exporting entries past retention (HC-23, HC-35, XZ-19).

Export writes entries older than a date to a JSON Lines segment (every column, hashes included,
so the segment verifies on its own), then purges them in one transaction that records the last
exported hash as the chain's anchor: the entries left in the database still verify from it.
Entries younger than the profile's retention can never be purged (the database refuses too).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.chain import GENESIS, QUERY_LOG, SUBMISSION_LOG, ChainFault, anchor_key, canonical_time, verify
from store.models import QueryLogSubject, Setting

TABLES = {"query": QUERY_LOG, "submission": SUBMISSION_LOG}
BATCH = 5000


class RetentionError(ValueError):
    """An export would purge entries younger than the retention period."""


@dataclass(frozen=True)
class VerifyResult:
    table: str
    checked: int
    fault: ChainFault | None


async def _anchor(connection, table: Table) -> str:
    value = (await connection.execute(select(Setting.value).where(Setting.key == anchor_key(table.name)))).scalar()
    return value.split(":", 1)[1] if value else GENESIS


async def verify_stored(engine: AsyncEngine, table: Table) -> VerifyResult:
    """Walk the stored chain from its anchor, in batches (a log of years does not fit in memory)."""
    async with engine.connect() as connection:
        prev = await _anchor(connection, table)
        checked, last_seq = 0, None
        while True:
            statement = select(table).order_by(table.c.seq).limit(BATCH)
            if last_seq is not None:
                statement = statement.where(table.c.seq > last_seq)
            rows = (await connection.execute(statement)).all()
            if not rows:
                return VerifyResult(table.name, checked, None)
            count, fault = verify(table.name, rows, prev, first_seq=last_seq)
            checked += count
            if fault is not None:
                return VerifyResult(table.name, checked, fault)
            prev, last_seq = rows[-1].entry_hash, rows[-1].seq


def _jsonable(row) -> dict:
    entry = dict(row._mapping)
    entry["at"] = canonical_time(entry["at"])
    return entry


def verify_segment(path: Path, table_name: str, start_hash: str = GENESIS) -> tuple[int, ChainFault | None, str]:
    """Verify an exported segment; returns (entries, fault, last hash) to chain segments together."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            entry["at"] = dt.datetime.fromisoformat(entry["at"])
            rows.append(entry)
    count, fault = verify(table_name, rows, start_hash)
    return count, fault, rows[-1]["entry_hash"] if rows else start_hash


async def export_before(engine: AsyncEngine, table: Table, before: dt.datetime, out_dir: Path,
                        retention_years: int, now: dt.datetime) -> tuple[Path | None, int]:
    """Write entries older than `before` to a segment, then purge them. Returns (segment, count)."""
    limit = now.replace(year=now.year - retention_years)
    if before > limit:
        raise RetentionError(f"entries younger than the {retention_years}-year retention can never be purged: "
                             f"--before must be on or before {limit.date().isoformat()}")
    out_dir.mkdir(parents=True, exist_ok=True)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(table).where(table.c.at < before).order_by(table.c.seq))).all()
    if not rows:
        return None, 0
    path = out_dir / f"{table.name}-{rows[0].seq:012d}-{rows[-1].seq:012d}.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(_jsonable(row), ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    last = rows[-1]
    async with engine.begin() as connection:
        await connection.execute(Setting.__table__.insert().values(key="log_purge_open", value="1"))
        if table is QUERY_LOG:
            await connection.execute(delete(QueryLogSubject.__table__).where(QueryLogSubject.seq <= last.seq))
        await connection.execute(delete(table).where(table.c.seq <= last.seq))
        await connection.execute(delete(Setting.__table__).where(Setting.key == "log_purge_open"))
        key = anchor_key(table.name)
        await connection.execute(delete(Setting.__table__).where(Setting.key == key))
        await connection.execute(Setting.__table__.insert().values(key=key, value=f"{last.seq}:{last.entry_hash}"))
    return path, len(rows)
