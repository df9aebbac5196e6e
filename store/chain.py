"""Hash-chained, append-only logs (HC-35, XZ-19): the query log and the submission log.

Each entry carries the hash of its predecessor and its own hash over its content and that
predecessor, so any edit, deletion, insertion or reordering breaks the chain where it happened.
Appends serialise on the chain's head (a PostgreSQL advisory lock, SQLite's write lock) so several
workers extend one chain. Appends run inside the caller's transaction: a submission and its log
entry commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, Table, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.identifiers import mask_resident_id
from store.models import QueryLogEntry, Setting, SubmissionLogEntry

GENESIS = "0" * 64
QUERY_LOG = QueryLogEntry.__table__
SUBMISSION_LOG = SubmissionLogEntry.__table__
# Fields hashed, in order; everything but the sequence number and the hashes themselves.
HASHED_FIELDS: dict[str, tuple[str, ...]] = {
    "query_log": ("at", "request_id", "user", "department", "roles", "client", "operation_name", "operation_type",
                  "document_hash", "variables", "purpose", "basis", "authorization_id", "subjects", "record_ids",
                  "refused", "outcome", "duration_ms"),
    "submission_log": ("at", "user", "department", "action", "channel", "detail"),
}
# Fields added after entries were first written: hashed only when they hold a value, so entries
# written before the column existed (NULL there) keep their hashes, and setting or clearing the
# value of any entry breaks its hash. query_log.user_name: the querier's name (HC-23, revision 0003);
# remote_calls and receipts: federated sources' calls (issue 18) and creditCheck receipts (issue 17), 0011.
OPTIONAL_HASHED_FIELDS: dict[str, tuple[str, ...]] = {"query_log": ("user_name", "remote_calls", "receipts"),
                                                      "submission_log": ()}
_LOCK_KEYS = {"query_log": 7_201_701, "submission_log": 7_201_702}


def canonical_time(moment: dt.datetime) -> str:
    """UTC, microseconds, no offset: what both databases give back for what was written."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return canonical_time(value)
    if isinstance(value, float):
        return round(value, 3)
    return value


def entry_hash(table_name: str, entry: dict[str, Any], prev_hash: str) -> str:
    body = {name: _canonical(entry.get(name)) for name in HASHED_FIELDS[table_name]}
    for name in OPTIONAL_HASHED_FIELDS[table_name]:
        if entry.get(name) is not None:
            body[name] = _canonical(entry[name])
    payload = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def logged_subject(code: str) -> str:
    """A subject code as an entry keeps it: a resident ID masked (SPEC 3.1), an organisation's code whole.
    The per-subject index keeps codes whole (a subject's own history); verify-log masks them to compare."""
    return mask_resident_id(code) if code[:17].isdigit() else code


def anchor_key(table_name: str) -> str:
    """Settings key holding the hash of the last entry exported and purged (retention)."""
    return f"{table_name}_anchor"


# A write that changes nothing (the profile row's key set to itself): SQLite's write lock for an
# append, and the readiness probe's proof that the database takes writes.
_TOUCH_PROFILE = update(Setting.__table__).where(Setting.key == "profile").values(key=Setting.key)


@functools.cache
def _statements(table: Table, dialect: str) -> tuple:
    """An append's statements, built once (building them cost more than running them on SQLite):
    the lock that serialises appends, the head, the anchor, the insert."""
    if dialect == "postgresql":
        lock = text(f"SELECT pg_advisory_xact_lock({_LOCK_KEYS[table.name]})")
    else:  # take SQLite's write lock before reading the head, so no other writer slips in between
        lock = _TOUCH_PROFILE
    return (lock, select(table.c.seq, table.c.entry_hash).order_by(table.c.seq.desc()).limit(1),
            select(Setting.value).where(Setting.key == anchor_key(table.name)),
            table.insert().returning(table.c.seq, sort_by_parameter_order=True))



def probe_writable(connection: Connection) -> None:
    """A real write in the database that holds the logs (rewriting the profile row as it is), for a
    readiness check: it fails as an append would when the database is read-only, full or locked."""
    if connection.execute(_TOUCH_PROFILE).rowcount != 1:
        raise RuntimeError("the settings table has no profile row: the database was not initialised")


def committed_head(connection: Connection, table: Table) -> tuple[int, str] | None:
    """The newest committed entry's (seq, hash), for a checkpoint; None for an empty chain."""
    row = connection.execute(select(table.c.seq, table.c.entry_hash).order_by(table.c.seq.desc()).limit(1)).first()
    return (row.seq, row.entry_hash) if row is not None else None


def _lock_and_head(connection: Connection, table: Table) -> tuple[str, int | None]:
    """The hash the next entry links to, and the seq it must take when the database may not give the
    right one: after `export-log` purged every entry under an anchor at entry N, the next entry is
    N + 1 (SQLite's rowid, without AUTOINCREMENT, would number from 1 again; checkpoints are keyed by seq)."""
    lock, head, anchor, _ = _statements(table, connection.dialect.name)
    connection.execute(lock)
    last = connection.execute(head).first()
    if last is not None:
        return last.entry_hash, None
    anchored = connection.execute(anchor).scalar()
    if not anchored:
        return GENESIS, None
    seq, hash_ = anchored.split(":", 1)
    return hash_, int(seq) + 1


def append_rows(connection: Connection, table: Table, entries: Sequence[dict[str, Any]]) -> list[tuple[int, str]]:
    """`append` on a synchronous connection: the one implementation (the query log's writer
    thread calls it directly; `append` runs it on an async connection). Returns each entry's
    (seq, hash): the last is the chain's head once the transaction commits (store.checkpoints)."""
    if not entries:
        return []
    prev, next_seq = _lock_and_head(connection, table)
    rows = []
    for number, entry in enumerate(entries):
        row = {**entry, "at": entry.get("at") or dt.datetime.now(dt.timezone.utc)}
        if next_seq is not None:
            row["seq"] = next_seq + number
        if "duration_ms" in row:
            row["duration_ms"] = round(float(row["duration_ms"]), 3)
        row["prev_hash"] = prev
        row["entry_hash"] = prev = entry_hash(table.name, row, prev)
        rows.append(row)
    result = connection.execute(_statements(table, connection.dialect.name)[3], rows)
    if next_seq is not None and connection.dialect.name == "postgresql":  # the sequence follows the numbers given
        connection.execute(text("SELECT setval(pg_get_serial_sequence(:table, 'seq'), :last)"),
                           {"table": table.name, "last": next_seq + len(rows) - 1})
    return [(r.seq, row["entry_hash"]) for r, row in zip(result, rows)]


def append_blocking(connection: Connection, table: Table, entries: Sequence[dict[str, Any]]) -> list[int]:
    return [seq for seq, _ in append_rows(connection, table, entries)]


async def append(connection: AsyncConnection, table: Table, entries: Sequence[dict[str, Any]]) -> list[int]:
    """Append entries in order; returns their sequence numbers. Call inside a transaction."""
    return await connection.run_sync(append_blocking, table, entries)


async def append_submission_log(connection: AsyncConnection, *, user: str | None, department: str | None,
                                action: str, channel: str | None = None, detail: dict | None = None) -> int:
    """归集日志 (HC-35): one entry per write (submission batch, correction, authorisation, policy change)."""
    seqs = await append(connection, SUBMISSION_LOG, [{"user": user, "department": department, "action": action,
                                                      "channel": channel, "detail": detail or {}}])
    return seqs[0]


@dataclass(frozen=True)
class ChainFault:
    seq: int
    kind: str  # EDITED / DELETED / INSERTED_OR_REORDERED
    message: str


def verify(table_name: str, rows: Iterable[Any], start_hash: str = GENESIS,
           first_seq: int | None = None) -> tuple[int, ChainFault | None]:
    """Walk entries in sequence order; the first fault found, or None. Returns (entries checked, fault).

    `start_hash`/`first_seq`: where the walk resumes (the previous batch's last entry, or an anchor).
    """
    prev, prev_seq, count = start_hash, first_seq, 0
    for row in rows:
        entry = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
        count += 1
        recomputed = entry_hash(table_name, entry, entry["prev_hash"])
        if entry["prev_hash"] != prev:
            gap = prev_seq is not None and entry["seq"] != prev_seq + 1
            if gap and recomputed == entry["entry_hash"]:
                kind, what = "DELETED", (f"entry {entry['seq']} follows entry {prev_seq}, but its predecessor hash "
                                         f"does not match: entries between them were deleted")
            else:
                kind, what = "INSERTED_OR_REORDERED", (
                    f"entry {entry['seq']} does not link to entry {prev_seq if prev_seq is not None else 'the start'}"
                    ": an entry was inserted here or entries were reordered")
            return count, ChainFault(entry["seq"], kind, what)
        if recomputed != entry["entry_hash"]:
            return count, ChainFault(entry["seq"], "EDITED", f"entry {entry['seq']} was edited: its content no longer "
                                                             "matches its hash")
        prev, prev_seq = entry["entry_hash"], entry["seq"]
    return count, None
