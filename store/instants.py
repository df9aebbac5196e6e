"""Instants: every stored moment is UTC, whatever offset it was given in (issue 10; SPEC 3.4 counts
Beijing days from them, the query log orders by them).

PostgreSQL's `timestamptz` keeps the instant itself, but SQLite keeps text and drops the offset:
`2026-12-01T09:00+08:00` would be stored as nine o'clock UTC, eight hours late. `UTCDateTime`
converts on the way in (a naive datetime is refused: nobody can tell which instant it means) and
gives back a UTC-aware datetime on both databases. The column type stays `DateTime(timezone=True)`
as the migrations created it; SQLite keeps the text form it always had (naive UTC), so rows
written before, and the log chains hashed over them (store.chain.canonical_time), are unchanged.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

UTC = dt.timezone.utc


class NaiveInstant(ValueError):
    """A datetime without an offset reached the store: a bug in the caller, not the client's fault."""


class UTCDateTime(TypeDecorator):
    """`DateTime(timezone=True)` that stores UTC and reads back UTC-aware datetimes on every dialect."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"an instant must be a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveInstant(f"datetime {value.isoformat()} has no UTC offset: pass an aware datetime "
                               "(dt.datetime.now(dt.timezone.utc), or one with its offset)")
        value = value.astimezone(UTC)
        # SQLite stores the text of the datetime without its offset: hand it UTC wall-clock time.
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

