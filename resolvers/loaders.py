"""Dataloaders: one SQL statement per relation per request, however many objects ask.

Each batch function opens its own connection: loaders run concurrently and an AsyncSession
does not allow concurrent statements. Reads use Core rows, not ORM objects (cheaper to build).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Sequence

from aiodataloader import DataLoader
from sqlalchemy import Row, Select, and_, bindparam, func, or_, select

from domain.enums import Category, RecordStatus
from resolvers.bounds import MAX_ID, id_in_range
from resolvers.scope import scope_filter, status_filter
from store.models import Annotation, Authorization, ImportJob, Notification, QueryLogEntry, QueryPermit, Record, \
    Subject, WebhookSubscription

if TYPE_CHECKING:
    from resolvers.context import RequestContext

R = Record.__table__.c
A = Annotation.__table__.c


@dataclass(frozen=True)
class RecordFilter:
    """The arguments of `Subject.records`: equal filters batch together."""

    category: Category | None = None
    catalogue_item: str | None = None
    status: RecordStatus | None = RecordStatus.ACTIVE


@dataclass(frozen=True)
class Cursor:
    """Keyset position in the (decided_on desc, id desc) order; opaque to clients."""

    decided_on: dt.date
    id: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"{self.decided_on.isoformat()}|{self.id}".encode()).decode()

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            day, ident = base64.urlsafe_b64decode(text.encode()).decode().split("|")
            cursor = cls(dt.date.fromisoformat(day), int(ident))
        except Exception as exc:  # any malformed cursor is the client's error, named as such
            raise ValueError(f"invalid cursor {text[:60]!r}: pass an endCursor returned by this API") from exc
        if not id_in_range(cursor.id):  # it would overflow the SQL comparison: no cursor we gave out
            raise ValueError(f"invalid cursor {text[:60]!r}: its record id is outside 1..{MAX_ID}; pass an "
                             "endCursor returned by this API")
        return cursor


@dataclass(frozen=True)
class PageKey:
    subject_code: str
    filter: RecordFilter
    first: int
    after: Cursor | None


@dataclass
class Page:
    rows: list[Row]
    has_next: bool


def _where(scope, today: dt.date, record_filter: RecordFilter) -> list:
    clauses = [scope_filter(scope, today)]
    if record_filter.status is not None:
        clauses.append(status_filter(record_filter.status, today))
    if record_filter.category is not None:
        clauses.append(R.category == record_filter.category.value)
    if record_filter.catalogue_item is not None:
        clauses.append(R.catalogue_item_code == record_filter.catalogue_item)
    return clauses


# Statements are built once per (scope, day, filter) and reused with bound values, so SQLAlchemy
# finds them in its compiled cache instead of building and compiling them per request (issue 14:
# ~1.5 ms a request). The scope and status clauses are themselves cached objects (resolvers.scope).
_CODES = bindparam("codes", expanding=True)


@lru_cache(maxsize=512)
def _page_statement(scope, today: dt.date, record_filter: RecordFilter, with_cursor: bool) -> Select:
    """Each subject's first `limit` records in listing order, with the subject's total (before any
    cursor) on every row: one statement for the page and its `totalCount`."""
    clauses = [R.subject_code.in_(_CODES), *_where(scope, today, record_filter)]
    if with_cursor:
        day, ident = bindparam("after_day", type_=R.decided_on.type), bindparam("after_id", type_=R.id.type)
        clauses.append(or_(R.decided_on < day, and_(R.decided_on == day, R.id < ident)))
    position = func.row_number().over(
        partition_by=R.subject_code, order_by=(R.decided_on.desc(), R.id.desc())).label("position")
    total = func.count().over(partition_by=R.subject_code).label("listing_total")
    ranked = select(Record.__table__, position, total).where(*clauses).subquery()
    return (select(ranked).where(ranked.c.position <= bindparam("limit"))
            .order_by(ranked.c.subject_code, ranked.c.position))


@lru_cache(maxsize=512)
def _count_statement(scope, today: dt.date, record_filter: RecordFilter) -> Select:
    return (select(R.subject_code, func.count())
            .where(R.subject_code.in_(_CODES), *_where(scope, today, record_filter))
            .group_by(R.subject_code))


@lru_cache(maxsize=512)
def _visible_records_statement(scope, today: dt.date) -> Select:
    return select(Record.__table__).where(R.id.in_(bindparam("ids", expanding=True)), scope_filter(scope, today))


@lru_cache(maxsize=512)
def _persons_seen_statement(scope, today: dt.date) -> Select:
    return select(R.subject_code).where(R.subject_code.in_(_CODES), scope_filter(scope, today)).distinct()


@lru_cache(maxsize=32)
def _by_key_statement(table, key_column: str) -> Select:
    return select(table).where(table.c[key_column].in_(bindparam("keys", expanding=True)))


_EXISTING_IDS = select(R.id).where(R.id.in_(bindparam("ids", expanding=True)))
_OPEN_ANNOTATIONS = (select(Annotation.__table__)
                     .where(A.record_id.in_(bindparam("ids", expanding=True)), A.closed_at.is_(None))
                     .order_by(A.created_at, A.id))


def cursor_of(row: Row) -> str:
    """The opaque cursor of a record row in the listing order."""
    return Cursor(row.decided_on, row.id).encode()


class Loaders:
    """The request's loaders; created lazily by the context, discarded with the request."""

    def __init__(self, ctx: "RequestContext") -> None:
        self.ctx = ctx
        self.subject = DataLoader(self._subjects, get_cache_key=str)
        self.record = DataLoader(self._records_by_id)
        self.annotations = DataLoader(self._annotations)
        self.record_page = DataLoader(self._record_pages)
        self.record_count = DataLoader(self._record_counts)
        self.query_count = DataLoader(self._query_counts)
        self.record_versions = DataLoader(self._record_versions)
        self.person_seen = DataLoader(self._persons_seen)
        # node(id)/nodes(ids) (schema/nodes.py): the rows behind global ids, whoever may see them
        self.query_permit = DataLoader(partial(self._by_key, QueryPermit.__table__, "id"))
        self.authorization = DataLoader(partial(self._by_key, Authorization.__table__, "id"))
        self.query_log_entry = DataLoader(partial(self._by_key, QueryLogEntry.__table__, "seq"))
        self.import_job = DataLoader(partial(self._by_key, ImportJob.__table__, "public_id"))
        self.notification = DataLoader(partial(self._by_key, Notification.__table__, "id"))
        self.webhook = DataLoader(partial(self._by_key, WebhookSubscription.__table__, "id"))
        # ids asked for by record(id) that exist but are outside the reader's scope: the query log
        # records them as refusals (SPEC 3.1), the answer shows them as not found
        self.refused_record_ids: set[int] = set()
        # one loader per federated source the request asks (resolvers/remote_loader.py), by source name
        self.remote: dict[str, DataLoader] = {}

    async def _fetch(self, statement, parameters: dict | None = None) -> Sequence[Row]:
        async with self.ctx.engine.connect() as connection:
            return (await connection.execute(statement, parameters)).all()

    async def _by_key(self, table, key_column: str, keys: list[Any]) -> list[Row | None]:
        rows = await self._fetch(_by_key_statement(table, key_column), {"keys": sorted(set(keys))})
        found = {getattr(row, key_column): row for row in rows}
        return [found.get(key) for key in keys]

    async def _subjects(self, codes: list[str]) -> list[Row | None]:
        return await self._by_key(Subject.__table__, "code", codes)

    async def _records_by_id(self, ids: list[int]) -> list[Row | None]:
        """Records by id, within the reader's scope: a refused record is simply not found."""
        rows = await self._fetch(_visible_records_statement(self.ctx.scope, self.ctx.today), {"ids": sorted(set(ids))})
        found = {row.id: row for row in rows}
        missing = set(ids) - found.keys()
        if missing:  # which of them exist (ids only: a refused record's content is never loaded)
            self.refused_record_ids |= {row.id for row in await self._fetch(_EXISTING_IDS, {"ids": sorted(missing)})}
        return [found.get(i) for i in ids]

    async def _persons_seen(self, codes: list[str]) -> list[bool]:
        """Whether the reader may see at least one record of each person (one statement): a person
        none of whose records the reader may see is answered as unknown (SPEC 3.1)."""
        rows = await self._fetch(_persons_seen_statement(self.ctx.scope, self.ctx.today), {"codes": sorted(set(codes))})
        seen = {row.subject_code for row in rows}
        return [code in seen for code in codes]

    async def _annotations(self, record_ids: list[int]) -> list[list[Row]]:
        rows = await self._fetch(_OPEN_ANNOTATIONS, {"ids": sorted(set(record_ids))})
        grouped: dict[int, list[Row]] = defaultdict(list)
        for row in rows:
            grouped[row.record_id].append(row)
        return [grouped.get(i, []) for i in record_ids]

    async def _record_pages(self, keys: list[PageKey]) -> list[Page]:
        """One windowed statement per distinct (filter, first, after) among the keys. A first page
        also answers its `totalCount`: the count loader is primed, so it asks nothing more."""
        ctx = self.ctx
        groups: dict[tuple, list[PageKey]] = defaultdict(list)
        for key in keys:
            groups[(key.filter, key.first, key.after)].append(key)
        pages: dict[PageKey, Page] = {}
        for (record_filter, first, after), members in groups.items():
            codes = sorted({k.subject_code for k in members})
            parameters: dict[str, Any] = {"codes": codes, "limit": first + 1}
            if after is not None:
                parameters.update(after_day=after.decided_on, after_id=after.id)
            statement = _page_statement(ctx.scope, ctx.today, record_filter, after is not None)
            by_subject: dict[str, list[Row]] = defaultdict(list)
            for row in await self._fetch(statement, parameters):
                by_subject[row.subject_code].append(row)
            for key in members:
                found = by_subject.get(key.subject_code, [])
                pages[key] = Page(rows=found[:first], has_next=len(found) > first)
                if after is None:  # the window counted every visible row of the subject
                    self.record_count.prime((key.subject_code, record_filter), found[0].listing_total if found else 0)
        return [pages[key] for key in keys]

    async def _record_versions(self, record_ids: list[int]) -> list[list[Row]]:
        from resolvers.correction import record_versions

        return await record_versions(self.ctx.engine, list(record_ids))

    async def _query_counts(self, codes: list[str]) -> list[int]:
        from resolvers.query_log import query_counts

        return await query_counts(self.ctx, codes)

    async def _record_counts(self, keys: list[tuple[str, RecordFilter]]) -> list[int]:
        groups: dict[RecordFilter, set[str]] = defaultdict(set)
        for code, record_filter in keys:
            groups[record_filter].add(code)
        counts: dict[tuple[str, RecordFilter], int] = {}
        for record_filter, codes in groups.items():
            statement = _count_statement(self.ctx.scope, self.ctx.today, record_filter)
            found = dict(await self._fetch(statement, {"codes": sorted(codes)}))
            for code in codes:
                counts[(code, record_filter)] = found.get(code, 0)
        return [counts[key] for key in keys]


__all__ = ["Loaders", "RecordFilter", "Cursor", "PageKey", "Page", "cursor_of"]
