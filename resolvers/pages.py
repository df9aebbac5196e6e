"""Keyset pages on a growing table's id, newest first: what the connections of the query log,
query permits, authorisations and a subject's query history read (Relay cursor connections).

A cursor is the decimal id of the last row a page showed (the query log's `seq`, 0.1.0's form):
the next page is the rows with a smaller id, so rows written meanwhile never shift a page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, func, select

from resolvers.bounds import MAX_ID, check_first, id_in_range
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput


@dataclass
class KeysetPage:
    rows: list[Row]
    has_next: bool
    total: int | None = None  # counted only where the caller asked (the same filter, one COUNT)


def parse_cursor(after: str | None, what: str) -> int | None:
    """The id an `after` cursor names, or BAD_USER_INPUT naming the argument."""
    if after is None or after == "":
        return None
    text = after.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and id_in_range(int(text))):
        raise BadUserInput(f"after: invalid cursor {after[:60]!r}: pass an endCursor returned by this API "
                           f"(a {what} from 1 to {MAX_ID})", argument="after")
    return int(text)


async def newest_first(ctx: RequestContext, table, key, clauses: list, first: int, after: str | None, what: str,
                       *, count: bool = False) -> KeysetPage:
    """The rows of `table` matching `clauses`, by `key` descending, `first` of them after the cursor."""
    check_first(first, ctx.max_page_size)
    position = parse_cursor(after, what)
    page_clauses = clauses + ([key < position] if position is not None else [])
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(select(table).where(*page_clauses).order_by(key.desc())
                                         .limit(first + 1))).all()
        total = (await connection.execute(select(func.count()).select_from(table).where(*clauses))).scalar() \
            if count else None
    return KeysetPage(rows=list(rows[:first]), has_next=len(rows) > first, total=total)
