"""查询日志 (HC-23, HC-35, XZ-19): one hash-chained entry per resolved GraphQL operation.

A response leaves only after its entry is committed. Entries arriving while a commit is under
way are written together by the next one (group commit), so logging costs one transaction per
burst, not per request. When the log cannot be written the request fails closed (HTTP 503).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import re
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.identifiers import InvalidIdentifier, mask_resident_id, validate_resident_id
from resolvers.context import Operation
from store.chain import QUERY_LOG, append_blocking, probe_writable
from store.engine import blocking_sqlite_engine, dialect_insert
from store.models import QueryDocument, QueryLogSubject

log = logging.getLogger("gateway.query_log")
_RESIDENT_ID = re.compile(r"\b\d{17}[\dXx]\b")
MAX_BATCH = 500


class QueryLogUnavailable(RuntimeError):
    """The entry could not be committed: the request must not be answered."""


def mask_personal(value: Any) -> Any:
    """Variables as logged: resident ID numbers masked wherever they appear (SPEC 3.1)."""
    if isinstance(value, str):
        def _mask(match: re.Match) -> str:
            try:
                validate_resident_id(match.group(0))
            except InvalidIdentifier:
                return match.group(0)
            return mask_resident_id(match.group(0))

        return _RESIDENT_ID.sub(_mask, value)
    if isinstance(value, dict):
        return {k: mask_personal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_personal(v) for v in value]
    return value


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Pending:
    entry: dict[str, Any]
    document: str | None
    subjects: list[str]
    done: asyncio.Future


class QueryLogWriter:
    """Commits entries in order, many per transaction when requests arrive together.

    On SQLite each transaction runs on a thread of its own through a synchronous connection: one
    hand-over from the event loop per transaction instead of several per statement through
    aiosqlite, which cost a one-entry transaction 2.5 ms of CPU and the gateway 12 % of its
    throughput on small queries (bench/README.md). On PostgreSQL asyncpg needs no thread.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._pending: list[_Pending] = []
        self._flushing = False
        self._known_documents: OrderedDict[str, None] = OrderedDict()
        self._blocking = blocking_sqlite_engine(engine)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="query-log") if self._blocking else None
        if self._blocking is not None:  # an app never started (tests) still lets its thread and file go
            weakref.finalize(self, _release, self._thread, self._blocking)

    @property
    def writes_through(self) -> Engine:
        """The engine whose connections execute the log's statements (for event listeners)."""
        return self._blocking or self.engine.sync_engine

    async def close(self) -> None:
        """Stop the writer thread (SQLite) once the writes under way are done."""
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, _release, self._thread, self._blocking)

    async def append(self, entry: dict[str, Any], document: str | None, subjects: list[str]) -> None:
        """Returns once the entry is committed; raises QueryLogUnavailable if it cannot be."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(entry, document, subjects, future))
        if not self._flushing:
            self._flushing = True
            asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    await self._write(batch)
                except Exception as exc:
                    log.error("query log write failed for %d entries: %s", len(batch), exc)
                    for item in batch:
                        if not item.done.done():
                            item.done.set_exception(QueryLogUnavailable(str(exc)))
                else:
                    for item in batch:
                        if not item.done.done():
                            item.done.set_result(None)
        finally:
            self._flushing = False

    async def _write(self, batch: list[_Pending]) -> None:
        documents = {}
        for item in batch:
            digest = item.entry.get("document_hash")
            if item.document and digest and digest not in self._known_documents:
                documents[digest] = item.document
        if self._blocking is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._write_blocking, batch, documents)
        else:
            async with self.engine.begin() as connection:
                await connection.run_sync(_write_rows, batch, documents)
        for digest in documents:
            self._known_documents[digest] = None
            if len(self._known_documents) > 4096:
                self._known_documents.popitem(last=False)

    def _write_blocking(self, batch: list[_Pending], documents: dict[str, str]) -> None:
        with self._blocking.begin() as connection:
            _write_rows(connection, batch, documents)

    async def probe(self) -> None:
        """A committed write on the log's own path (the lock every append takes first), for /readyz:
        raises when the log could not be written — read-only, full, locked or unreachable."""
        if self._blocking is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, _probe_blocking, self._blocking)
        else:
            async with self.engine.begin() as connection:
                await connection.run_sync(probe_writable)


def _probe_blocking(blocking: Engine) -> None:
    with blocking.begin() as connection:
        probe_writable(connection)


def _release(thread: ThreadPoolExecutor, blocking: Engine) -> None:
    thread.shutdown(wait=True)
    blocking.dispose()


_INSERT_SUBJECTS = QueryLogSubject.__table__.insert()


def _write_rows(connection: Connection, batch: list[_Pending], documents: dict[str, str]) -> None:
    """One transaction's statements: new query texts, the chained entries, the subjects they touched."""
    if documents:
        connection.execute(dialect_insert(connection)(QueryDocument.__table__).on_conflict_do_nothing(),
                           [{"hash": h, "text": t} for h, t in documents.items()])
    seqs = append_blocking(connection, QUERY_LOG, [item.entry for item in batch])
    touched = [{"seq": seq, "subject_code": code}
               for seq, item in zip(seqs, batch) for code in sorted(set(item.subjects))]
    if touched:
        connection.execute(_INSERT_SUBJECTS, touched)


def outcome_of(status: int, errors: list[dict], has_data: bool) -> str:
    codes = {(e.get("extensions") or {}).get("code") for e in errors}
    if status == 401:
        return "UNAUTHENTICATED"
    if status >= 500:
        return "FAILED"
    if status >= 400 and not has_data:
        return "BAD_REQUEST"
    if codes & {"FORBIDDEN", "PURPOSE_REQUIRED"}:
        return "REFUSED"
    if errors and not has_data:
        return "ERROR"
    if errors:
        return "PARTIAL"
    return "OK"


def refused_fields(errors: list[dict]) -> list[dict]:
    """The refusals of a response, with their paths, as supervisors list them (SPEC 3.6)."""
    refused = []
    for error in errors:
        extensions = error.get("extensions") or {}
        if extensions.get("code") in ("FORBIDDEN", "PURPOSE_REQUIRED", "UNAUTHENTICATED"):
            refused.append({"path": "/".join(str(p) for p in error.get("path") or []),
                            "code": extensions.get("code"), "rule": extensions.get("rule") or extensions.get("reason"),
                            "message": error.get("message", "")[:300]})
    return refused


def build_entry(*, request_id: str, started: dt.datetime, duration_ms: float, principal, client: str | None,
                operation: Operation, purpose, basis: str | None, authorization_id: int | None,
                subjects: list[str], record_ids: list[int], status: int, errors: list[dict],
                has_data: bool) -> dict[str, Any]:
    return {
        "at": started,
        "request_id": request_id,
        "user": principal.user,
        "department": principal.department,
        "roles": sorted(principal.roles),
        "client": client,
        "operation_name": (operation.name or None) and operation.name[:128],
        "operation_type": operation.type,
        "document_hash": document_hash(operation.document) if operation.document else None,
        "variables": mask_personal(operation.variables or {}),
        "purpose": purpose.value if purpose is not None else None,
        "basis": basis,
        "authorization_id": authorization_id,
        "subjects": sorted(mask_resident_id(s) if s[:17].isdigit() else s for s in set(subjects)),
        "record_ids": sorted(record_ids),
        "refused": refused_fields(errors),
        "outcome": outcome_of(status, errors, has_data),
        "duration_ms": duration_ms,
    }
