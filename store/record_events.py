"""Writing a record's dated events (SPEC 3.4; `domain.enums.RecordEventKind`).

Every step that changes what a record shows (status, dates, content) appends one event in the same
transaction as the change, so the event list and the live row never disagree and `asOf` can replay
them. Callers pass only the fields the step changed, JSON-safe (dates as ISO strings).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.clock import utc_now
from domain.enums import RecordEventKind
from store.models import RecordEvent

_INSERT = insert(RecordEvent.__table__).returning(RecordEvent.__table__.c.id)


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
