"""A record's history and the platform's answer on a past day (`asOf`, SPEC 3.4).

`record(id, asOf)` and `subject(code, asOf)` answer what the platform would have answered on day D:
each record's statuses, periods, annotations and content as they were (its events after D undone,
`store.record_events.state_on`), absent if it was submitted after D, and the date-decided statuses
(archived, out of publicity) decided for D, all under TODAY's access rules: the reader's policies,
authorisations and permits are today's, applied to the records as they stood on D.

How the rules are applied without being re-encoded: the as-of columns of the records that changed
after D are joined over the live ones as a derived table (`_as_of_records`), and the very clauses
the live read uses (`resolvers.scope.scope_filter`, `status_filter`) are pointed at it
(`_pointed_at`). So a rule added to those clauses (publicity, retention) holds for `asOf` too.

`CreditRecord.events` reads a record's events, oldest first, one statement for every record of a
page (`HistoryLoaders`), for the record's provider, the subject itself and auditors (policy
`field:CreditRecord.events`).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping

from aiodataloader import DataLoader
from sqlalchemy import BigInteger, Column, and_, case, func, literal, or_, select, union_all
from sqlalchemy.sql.visitors import replacement_traverse

from domain.clock import UTC
from domain.enums import RecordEventKind
from resolvers.bounds import DEFAULT_FIRST, check_first, parse_id
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from resolvers.loaders import Cursor, Page, RecordFilter
from resolvers.records import page_arguments
from resolvers.scope import scope_filter, status_filter
from store.models import Annotation, Record, RecordEvent, Subject
from store.record_events import HISTORY_COLUMNS, events_after, state_on, subject_state_on

R = Record.__table__
A = Annotation.__table__
E = RecordEvent.__table__

# The as-of columns a derived table carries (content is put back in Python: JSON does not travel as a literal).
_JOINED = tuple(c for c in HISTORY_COLUMNS if c != "content")
# Records replayed in one answer: each is a row of literals (len(_JOINED) + 1 parameters), and both
# databases bind at most 32,767 parameters to a statement.
MAX_REPLAYED = 2000


class AsOfRow(dict):
    """A record or subject row as it stood on a past day: the attributes of a Row (`row.status`,
    `row._mapping`), built from the live row and the events undone."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> Mapping[str, Any]:
        return self


def check_as_of(ctx: RequestContext, as_of: dt.date) -> dt.date:
    """`asOf` is a past day or today (Beijing); a day in the future has no answer yet."""
    if as_of > ctx.today:
        raise BadUserInput(f"asOf {as_of} is after today ({ctx.today}): the platform's answer on a day that has not "
                           "come is not known", argument="asOf")
    return as_of


def day_end(ctx: RequestContext, day: dt.date) -> dt.datetime:
    """The first instant after `day` in the jurisdiction (UTC): what was stored before it existed on `day`."""
    zone = ctx.profile.time_zone
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(UTC)


# ---------------------------------------------------------------------------------- replaying


async def _replayed(ctx: RequestContext, day: dt.date, *, record_ids=None, subject_codes=None) -> dict[int, dict]:
    """The as-of columns of every record (of these ids or subjects) that changed after `day`."""
    async with ctx.engine.connect() as connection:
        later: dict[int, list] = defaultdict(list)
        born_later: set[int] = set()  # submitted after `day`: absent then, nothing to replay
        for event in await connection.execute(events_after(record_ids, subject_codes, day=day)):
            later[event.record_id].append(event)
            if event.kind == RecordEventKind.SUBMITTED.value:
                born_later.add(event.record_id)
        changed = sorted(later.keys() - born_later)
        if not changed:
            return {}
        if len(changed) > MAX_REPLAYED:
            raise BadUserInput(f"asOf {day}: {len(changed)} records changed since; at most {MAX_REPLAYED} are "
                               "replayed in one answer: ask about a later day, or one record at a time",
                               argument="asOf")
        rows = (await connection.execute(select(R).where(R.c.id.in_(changed)))).all()
    return {row.id: state_on(row._mapping, later[row.id]) for row in rows}


def _as_of_records(ctx: RequestContext, day: dt.date, states: Mapping[int, dict]):
    """`records` as they stood on `day`: the rows stored by then, with the as-of columns of those
    that changed since (`states`) in place of the live ones."""
    columns: list = list(R.c)
    source = R
    if states:
        changed = [select(literal(ident, BigInteger).label("id"),
                          *(literal(state[name], R.c[name].type).label(name) for name in _JOINED))
                   for ident, state in states.items()]
        then = (union_all(*changed) if len(changed) > 1 else changed[0]).subquery("changed")
        source = R.outerjoin(then, R.c.id == then.c.id)
        columns = [case((then.c.id.is_(None), R.c[c.name]), else_=then.c[c.name]).label(c.name)
                   if c.name in _JOINED else c for c in R.c]
    return select(*columns).select_from(source).where(R.c.submitted_at < day_end(ctx, day)).subquery("records_as_of")


def _pointed_at(clause, records):
    """`clause` (written on the live `records` table) evaluated on `records` (a derived table)."""
    def swap(element, **_):
        if isinstance(element, Column) and element.table is R:
            return records.c[element.name]
        return None

    return replacement_traverse(clause, {}, swap)


def _with_content(row, states: Mapping[int, dict]) -> AsOfRow:
    state = states.get(row.id)
    values = {name: row._mapping[name] for name in R.c.keys()}
    if state is not None:
        values["content"] = state["content"]
    return AsOfRow(values)


# ------------------------------------------------------------------------------------ asOf reads


async def record_as_of(ctx: RequestContext, record_id: str, as_of: dt.date, path: list | None = None) -> AsOfRow | None:
    """`record(id, asOf)`: the record as the reader would have been answered on `as_of`; None if it
    did not exist then (or does not now: revocation deletes content everywhere, HC-30) or the
    reader may not see it as it stood (a refusal, logged like `record(id)`'s)."""
    day = check_as_of(ctx, as_of)
    ident = parse_id(record_id, "id")
    ctx.observed.records_read = True
    states = await _replayed(ctx, day, record_ids=[ident])
    records = _as_of_records(ctx, day, states)
    async with ctx.engine.connect() as connection:
        found = (await connection.execute(select(records, _pointed_at(scope_filter(ctx.scope, day), records)
                                                 .label("visible")).where(records.c.id == ident))).one_or_none()
    if found is None:
        return None
    if not found.visible:
        ctx.observed.refused.append({
            "message": f"record {ident} as of {day} refused: no policy line opens it to this reader (deny by "
                       "default); answered as not found",
            "path": list(path or ["record"]), "extensions": {"code": "FORBIDDEN", "rule": "SPEC 3.1: deny by default"}})
        return None
    ctx.observed.record_ids.add(ident)
    ctx.observed.subjects.add(found.subject_code)
    return _with_content(found, states)


async def subject_as_of(ctx: RequestContext, row, as_of: dt.date) -> AsOfRow | None:
    """The subject as it stood on `as_of` (status and end day before a later SUBJECT_ENDED event);
    None if it was not known yet."""
    day = check_as_of(ctx, as_of)
    if row is None or row.created_at >= day_end(ctx, day):
        return None
    async with ctx.engine.connect() as connection:
        later = (await connection.execute(events_after(subject_codes=[row.code], day=day))).all()
    return AsOfRow(subject_state_on(row._mapping, later))


@dataclass
class AsOfPage:
    """A page of a subject's records as they stood on `as_of` (`Subject.records` of `subject(code, asOf)`):
    shaped as `resolvers.records.RecordPage`, with its count known."""

    subject_code: str
    filter: RecordFilter
    page: Page
    after: str | None
    as_of: dt.date
    total: int


async def record_page_as_of(ctx: RequestContext, subject_code: str, record_filter: RecordFilter, first: int | None,
                            after: str | None, as_of: dt.date) -> AsOfPage:
    """One subject's records as they stood on `as_of`, filtered, ordered and paged as `Subject.records`
    is today (newest decision first), under today's access rules: three statements in all."""
    size, cursor = page_arguments(ctx, first, after)
    ctx.observed.records_read = True
    ctx.observed.subjects.add(subject_code)
    states = await _replayed(ctx, as_of, subject_codes=[subject_code])
    records = _as_of_records(ctx, as_of, states)
    clauses = [records.c.subject_code == subject_code, _pointed_at(scope_filter(ctx.scope, as_of), records)]
    if record_filter.status is not None:
        clauses.append(_pointed_at(status_filter(record_filter.status, as_of), records))
    if record_filter.category is not None:
        clauses.append(records.c.category == record_filter.category.value)
    if record_filter.catalogue_item is not None:
        clauses.append(records.c.catalogue_item_code == record_filter.catalogue_item)
    paged = list(clauses)
    if cursor is not None:
        paged.append(or_(records.c.decided_on < cursor.decided_on,
                         and_(records.c.decided_on == cursor.decided_on, records.c.id < cursor.id)))
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(select(records).where(*paged).order_by(
            records.c.decided_on.desc(), records.c.id.desc()).limit(size + 1))).all()
        total = (await connection.execute(select(func.count()).select_from(records).where(*clauses))).scalar()
    shown = [_with_content(row, states) for row in rows[:size]]
    ctx.observed.record_ids.update(row.id for row in shown)
    return AsOfPage(subject_code, record_filter, Page(shown, len(rows) > size), after, as_of, total)


# ------------------------------------------------------------------------------ events, annotations


@dataclass(frozen=True)
class EventPageKey:
    record_id: int
    first: int
    after: int | None  # the last event id of the page before
    until: dt.date | None  # asOf: only events effective by then


@dataclass
class EventPage:
    rows: list
    has_next: bool
    after: str | None


def event_cursor(row) -> str:
    return base64.urlsafe_b64encode(f"event|{row.id}".encode()).decode()


def _event_after(text: str) -> int:
    try:
        name, ident = base64.urlsafe_b64decode(text.encode()).decode().split("|")
        if name == "event" and ident.isdigit() and len(ident) <= 18:
            return int(ident)
    except Exception:
        pass
    raise BadUserInput(f"after: invalid cursor {text[:60]!r}: pass an endCursor returned by this API", argument="after")


class HistoryLoaders:
    """The request's history loaders (one statement per batch): events and as-of annotations."""

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.events = DataLoader(self._event_pages)
        self.annotations = DataLoader(self._annotations_on)

    async def _event_pages(self, keys: list[EventPageKey]) -> list[EventPage]:
        """One windowed statement per distinct (first, after, until) among the keys: every record of a
        page asks with the same, so a page of records costs one statement."""
        groups: dict[tuple, list[EventPageKey]] = defaultdict(list)
        for key in keys:
            groups[(key.first, key.after, key.until)].append(key)
        pages: dict[EventPageKey, EventPage] = {}
        async with self.ctx.engine.connect() as connection:
            for (first, after, until), members in groups.items():
                clauses = [E.c.record_id.in_(sorted({k.record_id for k in members}))]
                if after is not None:
                    clauses.append(E.c.id > after)
                if until is not None:
                    clauses.append(E.c.effective_on <= until)
                position = func.row_number().over(partition_by=E.c.record_id, order_by=E.c.id).label("position")
                ranked = select(E, position).where(*clauses).subquery()
                rows = (await connection.execute(select(ranked).where(ranked.c.position <= first + 1).order_by(
                    ranked.c.record_id, ranked.c.position))).all()
                by_record: dict[int, list] = defaultdict(list)
                for row in rows:
                    by_record[row.record_id].append(row)
                for key in members:
                    found = by_record.get(key.record_id, [])
                    pages[key] = EventPage(found[:first], len(found) > first, None)
        return [pages[key] for key in keys]

    async def _annotations_on(self, keys: list[tuple[int, dt.date]]) -> list[list]:
        """Annotations standing on a day: made before its end, not closed by then."""
        found: dict[tuple[int, dt.date], list] = defaultdict(list)
        async with self.ctx.engine.connect() as connection:
            for day in {d for _, d in keys}:
                end = day_end(self.ctx, day)
                ids = sorted({i for i, d in keys if d == day})
                rows = await connection.execute(select(A).where(
                    A.c.record_id.in_(ids), A.c.created_at < end, or_(A.c.closed_at.is_(None), A.c.closed_at >= end))
                    .order_by(A.c.created_at, A.c.id))
                for row in rows:
                    found[(row.record_id, day)].append(row)
        return [found.get(key, []) for key in keys]


def history_loaders(ctx: RequestContext) -> HistoryLoaders:
    """The request's HistoryLoaders, made on first use and kept with its other loaders."""
    loaders = getattr(ctx.loaders, "history", None)
    if loaders is None:
        loaders = ctx.loaders.history = HistoryLoaders(ctx)
    return loaders


async def record_events(ctx: RequestContext, row, first: int | None, after: str | None, path: list,
                        until: dt.date | None = None) -> EventPage:
    """A record's events, oldest first (`until`: those effective by an asOf day). The record's
    provider, the subject itself and auditors only: FORBIDDEN for others (and logged as a refusal)."""
    ctx.access.require_field("CreditRecord.events", row, path)
    size = check_first(DEFAULT_FIRST if first is None else first, ctx.max_page_size)
    page = await history_loaders(ctx).events.load(
        EventPageKey(row.id, size, _event_after(after) if after else None, until))
    return EventPage(page.rows, page.has_next, after)


async def annotations_on(ctx: RequestContext, record_id: int, day: dt.date) -> list:
    return await history_loaders(ctx).annotations.load((record_id, day))


__all__ = ["AsOfRow", "AsOfPage", "EventPage", "record_as_of", "subject_as_of", "record_page_as_of",
           "record_events", "annotations_on", "event_cursor", "check_as_of"]
