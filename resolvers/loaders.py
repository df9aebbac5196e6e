"""Dataloaders: one SQL statement per relation per request, however many objects ask.

Each batch function opens its own connection: loaders run concurrently and an AsyncSession
does not allow concurrent statements. Reads use Core rows, not ORM objects (cheaper to build).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Sequence

from aiodataloader import DataLoader
from sqlalchemy import Row, and_, func, or_, select

from domain.enums import Category, RecordStatus
from resolvers.bounds import MAX_ID, id_in_range
from resolvers.scope import scope_filter, status_filter
from store.models import Annotation, Authorization, Notification, QueryLogEntry, QueryPermit, Record, Subject, \
    WebhookSubscription

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
        self.notification = DataLoader(partial(self._by_key, Notification.__table__, "id"))
        self.webhook = DataLoader(partial(self._by_key, WebhookSubscription.__table__, "id"))
        # ids asked for by record(id) that exist but are outside the reader's scope: the query log
        # records them as refusals (SPEC 3.1), the answer shows them as not found
        self.refused_record_ids: set[int] = set()

    async def _fetch(self, statement) -> Sequence[Row]:
        async with self.ctx.engine.connect() as connection:
            return (await connection.execute(statement)).all()

    async def _by_key(self, table, key_column: str, keys: list[Any]) -> list[Row | None]:
        column = table.c[key_column]
        rows = await self._fetch(select(table).where(column.in_(set(keys))))
        found = {getattr(row, key_column): row for row in rows}
        return [found.get(key) for key in keys]

    async def _subjects(self, codes: list[str]) -> list[Row | None]:
        return await self._by_key(Subject.__table__, "code", codes)

    async def _records_by_id(self, ids: list[int]) -> list[Row | None]:
        """Records by id, within the reader's scope: a refused record is simply not found."""
        rows = await self._fetch(
            select(Record.__table__).where(R.id.in_(set(ids)), scope_filter(self.ctx.scope, self.ctx.today))
        )
        found = {row.id: row for row in rows}
        missing = set(ids) - found.keys()
        if missing:  # which of them exist (ids only: a refused record's content is never loaded)
            self.refused_record_ids |= {row.id for row in await self._fetch(select(R.id).where(R.id.in_(missing)))}
        return [found.get(i) for i in ids]

    async def _persons_seen(self, codes: list[str]) -> list[bool]:
        """Whether the reader may see at least one record of each person (one statement): a person
        none of whose records the reader may see is answered as unknown (SPEC 3.1)."""
        rows = await self._fetch(select(R.subject_code).where(
            R.subject_code.in_(set(codes)), scope_filter(self.ctx.scope, self.ctx.today)).distinct())
        seen = {row.subject_code for row in rows}
        return [code in seen for code in codes]

    async def _annotations(self, record_ids: list[int]) -> list[list[Row]]:
        rows = await self._fetch(
            select(Annotation.__table__)
            .where(A.record_id.in_(set(record_ids)), A.closed_at.is_(None))
            .order_by(A.created_at, A.id)
        )
        grouped: dict[int, list[Row]] = defaultdict(list)
        for row in rows:
            grouped[row.record_id].append(row)
        return [grouped.get(i, []) for i in record_ids]

    def _where(self, record_filter: RecordFilter) -> list:
        ctx = self.ctx
        clauses = [scope_filter(ctx.scope, ctx.today)]
        if record_filter.status is not None:
            clauses.append(status_filter(record_filter.status, ctx.today))
        if record_filter.category is not None:
            clauses.append(R.category == record_filter.category.value)
        if record_filter.catalogue_item is not None:
            clauses.append(R.catalogue_item_code == record_filter.catalogue_item)
        return clauses

    async def _record_pages(self, keys: list[PageKey]) -> list[Page]:
        """One windowed statement per distinct (filter, first, after) among the keys."""
        groups: dict[tuple, list[PageKey]] = defaultdict(list)
        for key in keys:
            groups[(key.filter, key.first, key.after)].append(key)
        pages: dict[PageKey, Page] = {}
        for (record_filter, first, after), members in groups.items():
            codes = sorted({k.subject_code for k in members})
            clauses = [R.subject_code.in_(codes), *self._where(record_filter)]
            if after is not None:
                clauses.append(or_(R.decided_on < after.decided_on,
                                   and_(R.decided_on == after.decided_on, R.id < after.id)))
            position = func.row_number().over(
                partition_by=R.subject_code, order_by=(R.decided_on.desc(), R.id.desc())
            ).label("position")
            ranked = select(Record.__table__, position).where(*clauses).subquery()
            rows = await self._fetch(
                select(ranked).where(ranked.c.position <= first + 1)
                .order_by(ranked.c.subject_code, ranked.c.position)
            )
            by_subject: dict[str, list[Row]] = defaultdict(list)
            for row in rows:
                by_subject[row.subject_code].append(row)
            for key in members:
                found = by_subject.get(key.subject_code, [])
                pages[key] = Page(rows=found[:first], has_next=len(found) > first)
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
            rows = await self._fetch(
                select(R.subject_code, func.count()).where(R.subject_code.in_(sorted(codes)),
                                                          *self._where(record_filter))
                .group_by(R.subject_code)
            )
            found = dict(rows)
            for code in codes:
                counts[(code, record_filter)] = found.get(code, 0)
        return [counts[key] for key in keys]


__all__ = ["Loaders", "RecordFilter", "Cursor", "PageKey", "Page", "cursor_of"]
