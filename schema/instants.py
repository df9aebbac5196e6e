"""The `DateTime` scalar: an instant, with its UTC offset (issue 10).

Input must carry an offset (`2026-12-01T09:00:00+08:00` or `...Z`): without one nobody can tell
which instant is meant, and reading it as UTC (or as the server's time) would start a grant eight
hours late in Beijing. Such input is refused with BAD_USER_INPUT; so is an instant that cannot be
represented in UTC (year 1 or 9999 on the wrong side of the offset). Output is UTC with `+00:00`.
"""

from __future__ import annotations

import datetime as dt
import re

from strawberry.types.scalar import ScalarDefinition

UTC = dt.timezone.utc
# Date and time as ISO 8601 / RFC 3339 write them; the offset is checked separately, to name it.
_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?", re.ASCII)


class InstantInputError(ValueError):
    """A DateTime input the gateway cannot use. graphql-core puts the variable or value beside the
    message and takes `extensions` from this error."""

    extensions = {"code": "BAD_USER_INPUT"}


def parse_instant(value: object) -> dt.datetime:
    """An aware UTC datetime from an ISO 8601 string with an offset; InstantInputError otherwise."""
    if not isinstance(value, str):
        raise InstantInputError(f"a DateTime is a string such as 2026-12-01T09:00:00+08:00, got {type(value).__name__}")
    text = value.strip()
    shown = text[:40]
    if not _SHAPE.fullmatch(text):
        raise InstantInputError("not a DateTime: write YYYY-MM-DDTHH:MM:SS with its UTC offset, "
                                "e.g. 2026-12-01T09:00:00+08:00")
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError as exc:
        raise InstantInputError(f"not a real date and time ({exc})") from None
    if moment.utcoffset() is None:
        raise InstantInputError(f"no UTC offset: say which instant is meant, e.g. {shown}+08:00 (Beijing time) "
                                f"or {shown}Z (UTC)")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InstantInputError("out of range: instants run from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z") \
            from None


def serialize_instant(value: dt.datetime) -> str:
    """UTC with its offset (`2026-11-29T16:00:00+00:00`); a naive value is a stored UTC one."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


DATETIME = ScalarDefinition(
    name="DateTime",
    description="An instant: ISO 8601 date and time WITH its UTC offset, e.g. 2026-12-01T09:00:00+08:00 "
                "(Beijing time) or 2026-12-01T01:00:00Z. Input without an offset is refused; output is UTC.",
    specified_by_url=None,
    serialize=serialize_instant,
    parse_value=parse_instant,
    parse_literal=None,
    origin=dt.datetime,
)
