"""Verifying the stored chains and exporting entries past retention (HC-23, HC-35, XZ-19).

Export writes entries older than a date to a JSON Lines segment (every column, hashes included,
so the segment verifies on its own), then purges them in one transaction that records the last
exported hash as the chain's anchor: the entries left in the database still verify from it.
Entries younger than the profile's retention can never be purged (the database refuses too, see
store.log_guard), and the anchor is signed (store.checkpoints) so that one set by hand is caught.

Verifying holds the chain against the signed checkpoints (a truncation, a rewrite with recomputed
hashes), and the query log's per-subject index and document texts against the chained entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.chain import GENESIS, QUERY_LOG, SUBMISSION_LOG, ChainFault, anchor_key, canonical_time, logged_subject, \
    verify
from store.checkpoints import Checkpoint, CheckpointSink
from store.models import QueryDocument, QueryLogSubject, Setting

TABLES = {"query": QUERY_LOG, "submission": SUBMISSION_LOG}
BATCH = 5000


class RetentionError(ValueError):
    """An export would purge entries younger than the retention period."""


@dataclass
class VerifyResult:
    """One chain's verification: the entries walked and every fault found (none: intact)."""

    table: str
    checked: int
    faults: list[ChainFault] = field(default_factory=list)
    checkpoints: int = 0  # signed checkpoints found in the chain with their hash
    notes: list[str] = field(default_factory=list)  # what could not be checked, and why

    @property
    def fault(self) -> ChainFault | None:
        return self.faults[0] if self.faults else None


async def _anchor(connection, table: Table) -> tuple[int | None, str]:
    value = (await connection.execute(select(Setting.value).where(Setting.key == anchor_key(table.name)))).scalar()
    if not value:
        return None, GENESIS
    seq, _, digest = value.partition(":")
    return (int(seq) if seq.isdigit() else -1), digest


async def stored_anchor(engine: AsyncEngine, table: Table) -> tuple[int | None, str]:
    """The chain's anchor (seq, hash of the last exported entry); (None, GENESIS) when nothing was exported."""
    async with engine.connect() as connection:
        return await _anchor(connection, table)


_SUBJECTS = QueryLogSubject.__table__
_DOCUMENTS = QueryDocument.__table__


class _Companions:
    """The query log's per-subject index and document texts, checked against the chained entries:
    each entry's index rows, masked as the entry keeps them, must be exactly its `subjects`, and
    each `document_hash` must name a stored text that hashes to it (SPEC 3.6)."""

    def __init__(self) -> None:
        self.documents_ok: set[str] = set()
        self.fault: ChainFault | None = None

    async def check(self, connection, rows) -> None:
        if self.fault is not None or not rows:
            return
        first, last = rows[0].seq, rows[-1].seq
        index: dict[int, list[str]] = {}
        for seq, code in (await connection.execute(
                select(_SUBJECTS.c.seq, _SUBJECTS.c.subject_code).where(_SUBJECTS.c.seq.between(first, last)))).all():
            index.setdefault(seq, []).append(logged_subject(code))
        wanted = {row.document_hash for row in rows if row.document_hash} - self.documents_ok
        texts = dict((await connection.execute(select(_DOCUMENTS.c.hash, _DOCUMENTS.c.text)
                                               .where(_DOCUMENTS.c.hash.in_(sorted(wanted))))).all()) if wanted else {}
        for row in rows:
            indexed, kept = sorted(index.get(row.seq, [])), sorted(row.subjects or [])
            if indexed != kept:
                self.fault = ChainFault(row.seq, "INDEX_ALTERED", (
                    f"entry {row.seq} touched {len(kept)} subject(s) {kept}, but the per-subject index "
                    f"(query_log_subjects) lists {indexed}: index rows were deleted, added or changed, so subjects' "
                    "queryCount and queryHistory are wrong"))
                return
            digest = row.document_hash
            if not digest or digest in self.documents_ok:
                continue
            if digest not in texts:
                self.fault = ChainFault(row.seq, "DOCUMENT_MISSING", (
                    f"entry {row.seq} names document {digest[:12]}..., but query_documents has no such text: "
                    "it was deleted"))
                return
            if hashlib.sha256(texts[digest].encode("utf-8", "surrogatepass")).hexdigest() != digest:
                self.fault = ChainFault(row.seq, "DOCUMENT_ALTERED", (
                    f"the stored text of document {digest[:12]}... (entry {row.seq}) no longer hashes to its "
                    "document_hash: it was edited"))
                return
            self.documents_ok.add(digest)


async def verify_stored(engine: AsyncEngine, table: Table, checkpoints: list[Checkpoint] | None = None,
                        exported: dict[int, str] | None = None) -> VerifyResult:
    """Walk the stored chain from its anchor, in batches (a log of years does not fit in memory),
    and hold it against the signed checkpoints (store.checkpoints) when they are given.

    `exported`: the hashes of checkpointed entries found in exported segments, for checkpoints that
    fall before the anchor (None: segments not given, those checkpoints are not checked).
    """
    heads: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints or []:
        if checkpoint.kind == "head":
            heads.setdefault(checkpoint.seq, []).append(checkpoint)
    result = VerifyResult(table.name, 0)
    companions = _Companions() if table is QUERY_LOG else None
    rewritten: ChainFault | None = None
    last_good: int | None = None
    async with engine.connect() as connection:
        anchor_seq, anchor_hash = await _anchor(connection, table)
        prev, last_seq, walk_fault = anchor_hash, None, None
        while True:
            statement = select(table).order_by(table.c.seq).limit(BATCH)
            if last_seq is not None:
                statement = statement.where(table.c.seq > last_seq)
            rows = (await connection.execute(statement)).all()
            if not rows:
                break
            count, fault = verify(table.name, rows, prev, first_seq=last_seq if last_seq is not None else anchor_seq)
            result.checked += count
            for row in rows[:count]:
                for checkpoint in heads.pop(row.seq, ()):
                    if checkpoint.hash == row.entry_hash:
                        result.checkpoints += 1
                        if rewritten is None:
                            last_good = row.seq
                    elif rewritten is None:
                        after = f"after entry {last_good} (the last checkpoint that matches)" if last_good else \
                            "from its start"
                        rewritten = ChainFault(row.seq, "REWRITTEN", (
                            f"entry {row.seq} differs from the checkpoint signed {checkpoint.at}: the chain was "
                            f"rewritten {after}, up to entry {row.seq}, and its later hashes recomputed"))
            if companions is not None:
                await companions.check(connection, rows[:count] if fault is None else rows[:count - 1])
            if fault is not None:
                walk_fault = fault
                break
            prev, last_seq = rows[-1].entry_hash, rows[-1].seq
    result.faults += [f for f in (walk_fault, rewritten, companions and companions.fault) if f is not None]
    if walk_fault is None:  # a walk cut short by a fault leaves every later checkpoint unmet: nothing to add
        head_seq = last_seq if last_seq is not None else anchor_seq
        result.faults += _unmatched(heads, head_seq, anchor_seq, exported, result)
    if checkpoints is not None:
        result.faults += _anchor_faults(table.name, checkpoints, anchor_seq, anchor_hash)
    return result


def _unmatched(heads: dict[int, list[Checkpoint]], head_seq: int | None, anchor_seq: int | None,
               exported: dict[int, str] | None, result: VerifyResult) -> list[ChainFault]:
    """Checkpoints whose entry the walk did not meet: exported, cut off the end, or deleted."""
    faults = []
    beyond = [seq for seq in heads if head_seq is None or seq > head_seq]
    if beyond:
        newest = max(beyond)
        signed = heads[newest][0].at
        ends = f"ends at entry {head_seq}" if head_seq is not None else "is empty"
        faults.append(ChainFault(newest, "TRUNCATED", (
            f"the chain {ends}, but a checkpoint signed {signed} records entry {newest}: the newest entries "
            "were deleted")))
    missing = sorted(seq for seq in heads if seq not in beyond and (anchor_seq is None or seq > anchor_seq))
    if missing:
        seq = missing[0]
        faults.append(ChainFault(seq, "DELETED", (
            f"entry {seq}, recorded by a checkpoint signed {heads[seq][0].at}, is no longer in the chain: entries "
            "were deleted (and the chain relinked)")))
    before = sorted(seq for seq in heads if anchor_seq is not None and seq <= anchor_seq)
    if before and exported is None:
        result.notes.append(f"{len(before)} checkpoint(s) of entries exported before the anchor not checked: "
                            "pass --segments with the exported segments")
    for seq in before if exported is not None else ():
        kept = exported.get(seq)
        if kept is None or kept != heads[seq][0].hash:
            faults.append(ChainFault(seq, "REWRITTEN" if kept else "DELETED", (
                f"exported entry {seq} " + ("differs from" if kept else "is in no segment, though recorded by")
                + f" the checkpoint signed {heads[seq][0].at}: the exported segments were altered")))
            break
        result.checkpoints += 1
    return faults


def _anchor_faults(table_name: str, checkpoints: list[Checkpoint], seq: int | None,
                   digest: str) -> list[ChainFault]:
    """An anchor (the last exported entry) must be the one `export-log` signed last."""
    signed = sorted((c for c in checkpoints if c.kind == "anchor"), key=lambda c: c.seq)
    if seq is None:
        if signed:
            return [ChainFault(signed[-1].seq, "ANCHOR_REMOVED", (
                f"export-log signed an anchor at entry {signed[-1].seq} ({signed[-1].at}), but the database has "
                f"no {anchor_key(table_name)}: it was removed"))]
        return []
    if not any(c.seq == seq and c.hash == digest for c in signed):
        return [ChainFault(seq, "ANCHOR_UNSIGNED", (
            f"the anchor {anchor_key(table_name)} says entries up to {seq} were exported and purged, but no anchor "
            "checkpoint signed by export-log records it: it was set by hand (entries were deleted)"))]
    if signed[-1].seq != seq:
        return [ChainFault(seq, "ANCHOR_MOVED", (
            f"the anchor is at entry {seq}, but export-log last signed an anchor at entry {signed[-1].seq} "
            f"({signed[-1].at}): it was moved by hand"))]
    return []


def _jsonable(row) -> dict:
    entry = dict(row._mapping)
    entry["at"] = canonical_time(entry["at"])
    return entry


def verify_segment(path: Path, table_name: str, start_hash: str = GENESIS,
                   exported: dict[int, str] | None = None) -> tuple[int, ChainFault | None, str]:
    """Verify an exported segment; returns (entries, fault, last hash) to chain segments together.

    `exported`, when given, receives every entry's hash by sequence number, for the checkpoints."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            entry["at"] = dt.datetime.fromisoformat(entry["at"])
            rows.append(entry)
    count, fault = verify(table_name, rows, start_hash)
    if exported is not None:
        exported.update((row["seq"], row["entry_hash"]) for row in rows)
    return count, fault, rows[-1]["entry_hash"] if rows else start_hash


async def export_before(engine: AsyncEngine, table: Table, before: dt.datetime, out_dir: Path,
                        retention_years: int, now: dt.datetime,
                        checkpoints: CheckpointSink | None = None) -> tuple[Path | None, int]:
    """Write entries older than `before` to a segment, then purge them, and sign the anchor they
    leave (kind "anchor" in `checkpoints`: verify-log refuses an anchor nobody signed).
    Returns (segment, count)."""
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
    if checkpoints is not None:
        checkpoints.write(table.name, last.seq, last.entry_hash, kind="anchor", now=now)
    return path, len(rows)
