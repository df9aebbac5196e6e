"""查询日志 (HC-23, HC-35, XZ-19): one hash-chained entry per resolved GraphQL operation.

A response leaves only after its entry is committed. Entries arriving while a commit is under
way are written together by the next one (group commit), so logging costs one transaction per
burst, not per request.

No request can fail another's entry (issue 10). Everything an entry keeps is a JSON-safe copy
(store.json_safe), taken before execution. If a group commit still fails, its entries are
written again one by one, in order, each in its own transaction (the chain stays in order), and
only an entry that fails on its own fails its own request:

- the database cannot be written (connection lost, disk full, read-only, locked past its timeout,
  see `store.availability`): QueryLogUnavailable for that entry and the rest of its batch; those
  requests fail closed, HTTP 503 QUERY_LOG_UNAVAILABLE, as they must not be answered unlogged;
- anything else is the entry's own content (it cannot be encoded, the database refuses a value):
  a minimal entry is written in its place (same who, when, operation, subjects and outcome; its
  variables replaced by a note saying why they could not be logged) and QueryLogEntryRefused is
  raised, so that request, and only it, is answered HTTP 400 UNLOGGABLE_REQUEST without its data.
  If even the minimal entry cannot be written, it is QueryLogUnavailable (503).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import math
import re
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.identifiers import mask_resident_id, reads_as_resident_id
from resolvers.context import Operation
from store.availability import is_database_unavailable
from store.chain import QUERY_LOG, append_rows, logged_subject, probe_writable
from store.engine import blocking_sqlite_engine, dialect_insert
from store.json_safe import json_safe, safe_text, short_text
from store.models import CreditCheckReceipt, QueryDocument, QueryLogSubject

if TYPE_CHECKING:
    from gateway.log_checkpoints import LogCheckpoints

log = logging.getLogger("gateway.query_log")
_RESIDENT_ID = re.compile(r"\b\d{17}[\dXx]\b")
MAX_BATCH = 500


class QueryLogUnavailable(RuntimeError):
    """The entry could not be committed: the request must not be answered."""


class QueryLogEntryRefused(ValueError):
    """The entry's content could not be logged; a minimal entry was logged in its place.

    The request is logged, but must not be answered with its data (HTTP 400 UNLOGGABLE_REQUEST).
    """


def mask_personal(value: Any) -> Any:
    """Variables as logged: resident ID numbers masked wherever they appear (SPEC 3.1), valid or
    not (a mistyped one still names a person): whatever reads as one by its structure."""
    if isinstance(value, str):
        def _mask(match: re.Match) -> str:
            if reads_as_resident_id(match.group(0)):
                return mask_resident_id(match.group(0))
            return match.group(0)

        return _RESIDENT_ID.sub(_mask, value)
    if isinstance(value, dict):
        return {k: mask_personal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_personal(v) for v in value]
    return value


def logged_document(text: str) -> str:
    """The document as the log stores it: lone surrogates escaped (store.json_safe) and resident ID
    numbers written inline masked, like the variables (SPEC 3.1)."""
    return mask_personal(safe_text(text, nul=True))


def document_hash(text: str) -> str:
    """The hash of the document as the log stores it (`logged_document`): verify-log checks each
    stored text against it (store.log_archive)."""
    return hashlib.sha256(logged_document(text).encode()).hexdigest()


@dataclass
class _Pending:
    entry: dict[str, Any]
    document: str | None
    subjects: list[str]
    done: asyncio.Future
    receipt_subjects: dict[str, str] = field(default_factory=dict)  # receipt id -> the subject's whole code


class QueryLogWriter:
    """Commits entries in order, many per transaction when requests arrive together.

    On SQLite each transaction runs on a thread of its own through a synchronous connection: one
    hand-over from the event loop per transaction instead of several per statement through
    aiosqlite, which cost a one-entry transaction 2.5 ms of CPU and the gateway 12 % of its
    throughput on small queries (bench/README.md). On PostgreSQL asyncpg needs no thread.
    """

    def __init__(self, engine: AsyncEngine, checkpoints: LogCheckpoints | None = None) -> None:
        self.engine = engine
        self.checkpoints = checkpoints  # signs the heads it commits (gateway.log_checkpoints)
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
        """Sign the shutdown checkpoint, then stop the writer thread (SQLite), once the writes under way
        are done."""
        while self._flushing:
            await asyncio.sleep(0.01)
        if self.checkpoints is not None:
            await self.checkpoints.close()
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, _release, self._thread, self._blocking)

    async def append(self, entry: dict[str, Any], document: str | None, subjects: list[str],
                     receipt_subjects: dict[str, str] | None = None) -> None:
        """Returns once the entry is committed; raises QueryLogUnavailable if it cannot be, and
        QueryLogEntryRefused if only a minimal entry in its place could be (module docstring).
        `receipt_subjects`: the whole subject code of each receipt the entry issued, for the
        receipts index (the entry itself keeps residents' codes masked, like `subjects`)."""
        future = asyncio.get_running_loop().create_future()
        document = logged_document(document) if isinstance(document, str) and \
            entry.get("document_hash") not in self._known_documents else None
        self._pending.append(_Pending(entry, document, subjects, future, dict(receipt_subjects or {})))
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
                    if len(batch) > 1:
                        log.warning("query log group commit of %d entries failed (%s); writing them one by one",
                                    len(batch), _describe(exc))
                        await self._write_one_by_one(batch)
                    else:
                        await self._settle_alone(batch[0], exc)
                else:
                    for item in batch:
                        _settle(item)
        finally:
            self._flushing = False

    async def _write_one_by_one(self, batch: list[_Pending]) -> None:
        """Each entry in its own transaction, in order; once the database itself fails, the rest
        of the batch fails with it (a database that is down is not retried once per entry)."""
        for index, item in enumerate(batch):
            try:
                await self._write([item])
            except Exception as exc:
                if not await self._settle_alone(item, exc):
                    for rest in batch[index + 1:]:
                        _settle(rest, QueryLogUnavailable(f"the query log cannot be written: {exc}"))
                    return
            else:
                _settle(item)

    async def _settle_alone(self, item: _Pending, exc: Exception) -> bool:
        """An entry that failed in a transaction of its own; False if the database is at fault."""
        if is_database_unavailable(exc):
            log.error("query log write failed: %s", _describe(exc))
            _settle(item, QueryLogUnavailable(f"the query log cannot be written: {exc}"))
            return False
        reason = _brief(exc)
        log.error("query log entry of request %s refused (%s); logging a minimal entry in its place",
                  short_text(item.entry.get("request_id"), 64), _describe(exc))
        codes = _subject_codes(item.subjects)
        minimal = _Pending({**minimal_entry(item.entry, reason), "subjects": sorted(logged_subject(c) for c in codes)},
                           item.document, codes, item.done)
        try:
            await self._write([minimal])
        except Exception as again:
            log.error("even the minimal query log entry failed: %s", _describe(again))
            _settle(item, QueryLogUnavailable(f"the query log cannot be written: {again}"))
            return not is_database_unavailable(again)
        _settle(item, QueryLogEntryRefused(
            "the gateway could not write this request's content to the query log (HC-35), so it is not answered; "
            f"its entry records why ({reason}). Check the request's variables and operationName "
            "(JSON text without lone surrogates such as \\ud800) and send it again"))
        return True

    async def _write(self, batch: list[_Pending]) -> None:
        documents = {}
        for item in batch:
            digest = item.entry.get("document_hash")
            if item.document is not None and digest and digest not in self._known_documents:
                documents[digest] = item.document
        if self._blocking is not None:
            head = await asyncio.get_running_loop().run_in_executor(self._thread, self._write_blocking, batch,
                                                                    documents)
        else:
            async with self.engine.begin() as connection:
                head = await connection.run_sync(_write_rows, batch, documents)
        if self.checkpoints is not None:  # committed: a head that can be signed
            self.checkpoints.note(QUERY_LOG.name, head[0], head[1], len(batch))
        for digest in documents:
            self._known_documents[digest] = None
            if len(self._known_documents) > 4096:
                self._known_documents.popitem(last=False)

    def _write_blocking(self, batch: list[_Pending], documents: dict[str, str]) -> tuple[int, str]:
        with self._blocking.begin() as connection:
            return _write_rows(connection, batch, documents)

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
_INSERT_RECEIPTS = CreditCheckReceipt.__table__.insert()


def _settle(item: _Pending, error: Exception | None = None) -> None:
    if item.done.done():
        return
    if error is None:
        item.done.set_result(None)
    else:
        item.done.set_exception(error)


def _describe(exc: BaseException) -> str:
    """An exception as one safe line for the gateway's own log (it may quote the bad content)."""
    return short_text(f"{type(exc).__name__}: {exc}", 500)


def _brief(exc: BaseException) -> str:
    """An exception's kind and first line, for the client and the minimal entry (no SQL, no values)."""
    lines = str(exc).strip().splitlines()
    return short_text(f"{type(exc).__name__}: {lines[0] if lines else ''}", 200)


_MINIMAL_TEXT = {"request_id": 64, "user": 128, "user_name": 128, "department": 32, "client": 64, "operation_name": 128,
                 "operation_type": 16, "document_hash": 64, "purpose": 32, "basis": 128, "outcome": 16}


def minimal_entry(entry: dict[str, Any], reason: str) -> dict[str, Any]:
    """Who, when, what operation and outcome of an entry whose content could not be logged, built
    field by field from plain types so that it can be; its variables are a note saying why."""
    minimal: dict[str, Any] = {name: short_text(entry[name], width) if entry.get(name) is not None else None
                               for name, width in _MINIMAL_TEXT.items()}
    minimal["request_id"] = minimal["request_id"] or "unknown"
    minimal["operation_name"] = operation_name(entry.get("operation_name"))
    minimal["outcome"] = minimal["outcome"] or "FAILED"
    at = entry.get("at")
    minimal["at"] = at if isinstance(at, dt.datetime) else dt.datetime.now(dt.timezone.utc)
    minimal["roles"] = _texts(entry.get("roles"), 64)
    minimal["subjects"] = _texts(entry.get("subjects"), 18)
    minimal["record_ids"] = [r for r in entry.get("record_ids") or [] if type(r) is int] \
        if isinstance(entry.get("record_ids"), list) else []
    authorization_id = entry.get("authorization_id")
    minimal["authorization_id"] = authorization_id if type(authorization_id) is int else None
    duration = entry.get("duration_ms")
    minimal["duration_ms"] = float(duration) if type(duration) in (int, float) and math.isfinite(duration) else 0.0
    minimal["refused"] = []
    minimal["variables"] = {"unloggable": short_text(
        f"this request's variables and error details could not be logged ({reason}); the request was answered "
        "HTTP 400 UNLOGGABLE_REQUEST without its data", 1000)}
    return minimal


def _texts(values: Any, width: int) -> list[str]:
    return [short_text(v, width) for v in values] if isinstance(values, (list, tuple)) else []


def _subject_codes(codes: Any) -> list[str]:
    return [c for c in codes if isinstance(c, str) and len(c) <= 18 and c.isalnum()] \
        if isinstance(codes, (list, tuple)) else []


def _write_rows(connection: Connection, batch: list[_Pending], documents: dict[str, str]) -> tuple[int, str]:
    """One transaction's statements: new query texts, the chained entries, the subjects they touched.
    Returns the chain's head once committed."""
    if documents:
        connection.execute(dialect_insert(connection)(QueryDocument.__table__).on_conflict_do_nothing(),
                           [{"hash": h, "text": t} for h, t in documents.items()])
    appended = append_rows(connection, QUERY_LOG, [item.entry for item in batch])
    touched = [{"seq": seq, "subject_code": code}
               for (seq, _), item in zip(appended, batch) for code in sorted(set(item.subjects))]
    if touched:
        connection.execute(_INSERT_SUBJECTS, touched)
    # each receipt the entry issued (issue 17), found again by its id; its hash is the entry's own
    receipts = [{"receipt_id": r["receipt"], "log_seq": seq, "answer_hash": r["hash"],
                 "subject_code": item.receipt_subjects.get(r["receipt"], r["code"]),
                 "created_at": item.entry["at"]}
                for (seq, _), item in zip(appended, batch) for r in item.entry.get("receipts") or []]
    if receipts:
        connection.execute(_INSERT_RECEIPTS, receipts)
    return appended[-1]


def outcome_of(status: int, errors: list[dict], has_data: bool) -> str:
    errors = [e for e in errors if isinstance(e, dict)]
    codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e.get("extensions") or {}, dict)}
    if status == 401:
        return "UNAUTHENTICATED"
    if status == 403:  # a route refusing the reader outright (GET /reports): listed with the refusals (SPEC 3.6)
        return "REFUSED"
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
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict) and extensions.get("code") in ("FORBIDDEN", "PURPOSE_REQUIRED",
                                                                         "UNAUTHENTICATED"):
            refused.append({"path": "/".join(str(p) for p in error.get("path") or []),
                            "code": extensions.get("code"), "rule": extensions.get("rule") or extensions.get("reason"),
                            "message": short_text(error.get("message", ""), 300)})
    return json_safe(refused)


def operation_name(name: Any) -> str | None:
    """The operation name as logged: a client may send any JSON there (an array, an object)."""
    if name is None or name == "":
        return None
    if not isinstance(name, str):
        name = json.dumps(json_safe(name), ensure_ascii=False, separators=(",", ":"))
    return short_text(name, 128)


def build_entry(*, request_id: str, started: dt.datetime, duration_ms: float, principal, client: str | None,
                operation: Operation, purpose, basis: str | None, authorization_id: int | None,
                subjects: list[str], record_ids: list[int], status: int, errors: list[dict],
                has_data: bool, remote_calls: list[dict] | None = None,
                receipts: list[dict] | None = None) -> dict[str, Any]:
    """The entry of one request; every free-form value a JSON-safe copy, every text as wide as its
    column at most (module docstring)."""
    return {
        "at": started,
        "request_id": _text(request_id, 64) or "unknown",
        "user": _text(principal.user, 128),
        "user_name": _text(principal.name, 128),
        "department": _text(principal.department, 32),
        "roles": sorted(short_text(r, 64) for r in principal.roles),
        "client": _text(client, 64),
        "operation_name": operation_name(operation.name),
        "operation_type": _text(operation.type, 16),
        "document_hash": document_hash(operation.document) if isinstance(operation.document, str) else None,
        "variables": mask_personal(json_safe(operation.variables or {})),
        "purpose": purpose.value if purpose is not None else None,
        "basis": _text(basis, 128),
        "authorization_id": authorization_id,
        "subjects": sorted(logged_subject(s) for s in set(subjects)),
        "record_ids": sorted(record_ids),
        "refused": refused_fields(errors),
        "outcome": outcome_of(status, errors, has_data),
        "duration_ms": duration_ms,
        # optional hashed columns: absent (NULL) when the request made no remote call / issued no receipt
        "remote_calls": json_safe(remote_calls) if remote_calls else None,
        "receipts": [dict(json_safe(r), code=logged_subject(r["code"])) for r in receipts] if receipts else None,
    }


def _text(value: Any, width: int) -> str | None:
    return None if value is None else short_text(value, width)
