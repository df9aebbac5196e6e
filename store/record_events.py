"""Writing and reading a record's dated events (SPEC 3.4; `domain.enums.RecordEventKind`).

Every step that changes what a record shows (status, dates, content) appends one event in the same
transaction as the change, so the event list and the live row never disagree and `asOf` can replay
them. Callers pass only the fields the step changed, JSON-safe (dates as ISO strings), keyed by the
record's column names (`HISTORY_COLUMNS`; `changed_fields` makes the pair); a step that concerns the
subject adds `subject_status` / `subject_ended_on`.

Replay runs backwards (`state_on`): a record's state on day D is its live row with the `before` of
every later event put back, newest first; a record submitted after D did not exist on D. So a
record that never changed costs nothing, and a submission needs no snapshot (an import of a million
rows writes one small event per row).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Iterable, Mapping

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.clock import utc_now
from domain.enums import RecordEventKind
from store.models import RecordEvent

E = RecordEvent.__table__
_INSERT = insert(E).returning(E.c.id)

# The record columns a step may change and `asOf` puts back (SPEC 3.4: statuses, periods, content).
DATE_COLUMNS = frozenset({"decided_on", "act_ended_on", "valid_from", "valid_until", "disclosure_ends_on",
                          "publicity_ends_on", "retained_until", "status_changed_on"})
HISTORY_COLUMNS = ("document_number", "issuing_authority", "decided_on", "act_ended_on", "valid_from",
                   "valid_until", "disclosure_ends_on", "publicity_ends_on", "retained_until", "status",
                   "status_changed_on", "content", "consent_ref", "version")
SUBJECT_KEYS = {"subject_status": "status", "subject_ended_on": "ended_on"}  # subject fields an event may carry


def json_value(value: Any) -> Any:
    """A column value as an event keeps it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any],
                   columns: Iterable[str] = HISTORY_COLUMNS) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the columns that differ between two states of a record, JSON-safe."""
    before, after = {}, {}
    for name in columns:
        if name in new and old.get(name) != new[name]:
            before[name], after[name] = json_value(old.get(name)), json_value(new[name])
    return before, after


async def append_event(connection: AsyncConnection, *, record_id: int, subject_code: str,
                       kind: RecordEventKind, effective_on: dt.date, actor_user: str | None,
                       actor_department: str | None, document_ref: str | None = None,
                       case_id: int | None = None, before: dict[str, Any] | None = None,
                       after: dict[str, Any] | None = None, at: dt.datetime | None = None) -> int:
    """Append one event; returns its id. Call inside the transaction that makes the change."""
    result = await connection.execute(_INSERT, {
        "record_id": record_id, "subject_code": subject_code, "kind": RecordEventKind(kind).value,
        "effective_on": effective_on, "at": at or utc_now(), "actor_user": actor_user,
        "actor_department": actor_department, "document_ref": document_ref, "case_id": case_id,
        "before": before or {}, "after": after or {},
    })
    return result.scalar_one()


_COLUMNS = ("record_id", "subject_code", "kind", "effective_on", "actor_user", "actor_department", "document_ref",
            "case_id", "before", "after")


async def append_events(connection: AsyncConnection, events: list[dict[str, Any]]) -> None:
    """Append many events with one statement (executemany), each a dict of `append_event`'s keyword
    arguments (`document_ref`, `case_id`, `before`, `after` optional; `at` now): for batch steps
    (the sweeper, store/sweep.py). Call inside the transaction that makes the changes."""
    if not events:
        return
    at = utc_now()
    rows = [{**{name: event.get(name) for name in _COLUMNS}, "kind": RecordEventKind(event["kind"]).value,
             "before": event.get("before") or {}, "after": event.get("after") or {}, "at": event.get("at") or at}
            for event in events]
    await connection.execute(insert(RecordEvent.__table__), rows)


_SUBMITTED_COLUMNS = ("record_id", "subject_code", "kind", "effective_on", "at", "actor_user", "actor_department",
                      "document_ref", "case_id", "before", "after")
_SUBMITTED_AFTER = json.dumps({"version": 1})


async def append_submitted(connection: AsyncConnection, records: list[Mapping[str, Any]], *, effective_on: dt.date,
                           actor_user: str | None, actor_department: str, at: dt.datetime) -> None:
    """One SUBMITTED event per stored record (`id`, `subject_code`, `document_number`), in one
    statement: every route in (API, spreadsheet, manual entry, background import) goes through it.

    An import writes thousands a second, so the rows skip per-row processing: the values every
    row shares are made database-ready once, and the rows go by COPY on PostgreSQL and by the
    driver's executemany on SQLite (about a third of an import's time otherwise)."""
    if not records:
        return
    dialect = connection.dialect
    shared = {name: E.c[name].type._cached_bind_processor(dialect) for name in ("effective_on", "at")}
    day = shared["effective_on"](effective_on) if shared["effective_on"] else effective_on
    moment = shared["at"](at) if shared["at"] else at
    kind = RecordEventKind.SUBMITTED.value
    rows = [(r["id"], r["subject_code"], kind, day, moment, actor_user, actor_department, r["document_number"], None,
             "{}", _SUBMITTED_AFTER) for r in records]
    if dialect.name == "postgresql":
        raw = (await connection.get_raw_connection()).driver_connection  # asyncpg's, in the same transaction
        await raw.copy_records_to_table("record_events", columns=list(_SUBMITTED_COLUMNS), records=rows)
        return
    marks = ", ".join("?" for _ in _SUBMITTED_COLUMNS)
    await connection.exec_driver_sql(
        f"INSERT INTO record_events ({', '.join(_SUBMITTED_COLUMNS)}) VALUES ({marks})", rows)


# ------------------------------------------------------------------------------------------ reading

_EVENTS_OF = select(E).order_by(E.c.record_id, E.c.effective_on, E.c.id)


def events_after(record_ids: Iterable[int] | None = None, subject_codes: Iterable[str] | None = None, *,
                 day: dt.date | None = None):
    """The statement for the events of these records (or of these subjects' records) in replay
    order, only those effective after `day` when it is given."""
    statement = _EVENTS_OF
    if record_ids is not None:
        statement = statement.where(E.c.record_id.in_(sorted(set(record_ids))))
    if subject_codes is not None:
        statement = statement.where(E.c.subject_code.in_(sorted(set(subject_codes))))
    if day is not None:
        statement = statement.where(E.c.effective_on > day)
    return statement


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _column_name(key: str) -> str:
    """Events' keys are column names; a camelCase key (`disclosureEndsOn`) is read as its column."""
    return _CAMEL.sub("_", key).lower()


def _parsed(name: str, value: Any) -> Any:
    if name in DATE_COLUMNS or name == "ended_on":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    return value


def state_on(current: Mapping[str, Any], later_events: Iterable[Any]) -> dict[str, Any]:
    """The record's columns on a past day: `current` with the `before` of each event after that
    day (`later_events`, in replay order) put back, newest first."""
    state = dict(current)
    for event in sorted(later_events, key=lambda e: (e.effective_on, e.id), reverse=True):
        for key, value in (event.before or {}).items():
            name = _column_name(key)
            if name in state and name not in SUBJECT_KEYS:
                state[name] = _parsed(name, value)
    return state


def subject_state_on(current: Mapping[str, Any], later_events: Iterable[Any]) -> dict[str, Any]:
    """The subject's status and end day on a past day, from the `subject_*` keys of later events."""
    state = dict(current)
    for event in sorted(later_events, key=lambda e: (e.effective_on, e.id), reverse=True):
        for key, column in SUBJECT_KEYS.items():
            if key in (event.before or {}):
                state[column] = _parsed(column, event.before[key])
    return state
