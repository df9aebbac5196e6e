"""Listing a subject's records as pages, within the reader's scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row

from domain.enums import Category, RecordStatus
from resolvers.context import RequestContext
from resolvers.bounds import DEFAULT_FIRST, check_first, parse_id
from resolvers.errors import BadUserInput
from resolvers.loaders import Cursor, Page, PageKey, RecordFilter, cursor_of

@dataclass
class RecordPage:
    subject_code: str
    filter: RecordFilter
    page: Page
    after: str | None = None  # the cursor asked after: the page has items before it

    @property
    def end_cursor(self) -> str | None:
        return cursor_of(self.page.rows[-1]) if self.page.rows else None


def record_filter(category: Category | None, catalogue_item: str | None, status: RecordStatus | None) -> RecordFilter:
    if catalogue_item is not None and len(catalogue_item) > 64:
        raise BadUserInput("catalogueItem is longer than 64 characters")
    return RecordFilter(category=category, catalogue_item=catalogue_item, status=status)


def page_arguments(ctx: RequestContext, first: int | None, after: str | None) -> tuple[int, Cursor | None]:
    """`first` (checked, defaulted) and the decoded `after` of a record listing, or the client's error."""
    size = check_first(DEFAULT_FIRST if first is None else first, ctx.max_page_size)
    try:
        return size, Cursor.decode(after) if after else None
    except ValueError as exc:
        raise BadUserInput(f"after: {exc}", argument="after") from None


async def record_page(ctx: RequestContext, subject_code: str, record_filter: RecordFilter,
                      first: int | None, after: str | None) -> RecordPage:
    size, cursor = page_arguments(ctx, first, after)
    ctx.observed.records_read = True
    page = await ctx.loaders.record_page.load(PageKey(subject_code, record_filter, size, cursor))
    for row in page.rows:
        ctx.observed.record_ids.add(row.id)
    return RecordPage(subject_code, record_filter, page, after)


async def record_count(ctx: RequestContext, subject_code: str, record_filter: RecordFilter) -> int:
    return await ctx.loaders.record_count.load((subject_code, record_filter))


async def record_by_id(ctx: RequestContext, record_id: str, path: list | None = None) -> Row | None:
    """The record, or None when it does not exist or the reader may not see it (the same answer).

    A record that exists but is refused is noted for the query log as a refusal (outcome REFUSED,
    a `refused` entry), so that supervisors find it with `refusedOnly` (SPEC 3.1, 3.6).
    """
    ident = parse_id(record_id, "id")
    ctx.observed.records_read = True
    row = await ctx.loaders.record.load(ident)
    if row is not None:
        ctx.observed.record_ids.add(row.id)
        ctx.observed.subjects.add(row.subject_code)
    elif ident in ctx.loaders.refused_record_ids:
        ctx.observed.refused.append({
            "message": f"record {ident} refused: no policy line opens it to this reader (deny by default); "
                       "answered as not found",
            "path": list(path or ["record"]),
            "extensions": {"code": "FORBIDDEN", "rule": "SPEC 3.1: deny by default"},
        })
    return row
