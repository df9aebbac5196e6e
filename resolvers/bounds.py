"""The ranges arguments must lie in, checked before any SQL: an id past BIGINT, a cursor carrying
one, or a day whose midnight cannot be computed is the client's error (BAD_USER_INPUT naming the
argument and the range), never a database overflow answered "Unexpected error" (issue 10).
"""

from __future__ import annotations

import datetime as dt
import re

from domain.problems import Problem
from resolvers.errors import BadUserInput
from resolvers.node_ids import NodeKind, decode, looks_global

MAX_ID = 2 ** 63 - 1  # BIGINT, the type of every id column on PostgreSQL (SQLite's INTEGER: the same)
_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)
# Days an argument may name: wide enough for any record (items are in force from 2017), narrow
# enough that a day's start and end in any time zone are representable instants.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


# What each `what` of parse_id is as a global id (resolvers/node_ids.py).
_KINDS = {"record": NodeKind.RECORD, "authorisation": NodeKind.AUTHORIZATION, "query permit": NodeKind.QUERY_PERMIT,
          "query log entry": NodeKind.QUERY_LOG_ENTRY, "notification": NodeKind.NOTIFICATION,
          "webhook": NodeKind.WEBHOOK, "webhook delivery": NodeKind.WEBHOOK_DELIVERY,
          "case": NodeKind.CASE, "evidence file": NodeKind.EVIDENCE_FILE}


def parse_id(value: object, argument: str, what: str = "record") -> int:
    """A stored row's id from an `ID` argument: the object's global id (its `id` field), or the bare
    number 0.1.0 returned (decimal digits, 1 to 2^63-1; deprecated, accepted for one release)."""
    ident = id_or_problem(value, argument, what)
    if isinstance(ident, Problem):
        raise BadUserInput(ident.reason, argument=argument)
    return ident


def id_or_problem(value: object, field: str, what: str = "record") -> int | Problem:
    """`parse_id` for a mutation's input, whose faults are payload errors (README, Mutations)."""
    text = str(value).strip() if value is not None else ""
    kind = _KINDS.get(what)
    if kind is not None and looks_global(text):
        try:
            found, key = decode(text)
        except ValueError:
            found, key = None, ""
        if found is not None and found is not kind:
            return Problem(field, f"{field}: this is the id of a {found.value}, not of a {what}")
        text = key if found is kind else text
    ident = int(text) if _DIGITS.fullmatch(text) else None
    if ident is None or not 1 <= ident <= MAX_ID:
        return Problem(field, f"{field}: {text[:40]!r} is not a valid {what} id; pass the `id` this API returned "
                              f"(or, deprecated, the {what}'s number from 1 to {MAX_ID})")
    return ident


def id_in_range(ident: int) -> bool:
    """Whether a number decoded from a cursor can be an id (and so be compared in SQL)."""
    return 1 <= ident <= MAX_ID


def check_day(day: dt.date, argument: str) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadUserInput(f"{argument}: {day.isoformat()} is out of range; days from {FIRST_DAY.isoformat()} to "
                           f"{LAST_DAY.isoformat()} are accepted", argument=argument)
    return day


DEFAULT_FIRST = 20  # every connection's page size when `first` is not given


def check_first(first: int, maximum: int, *, minimum: int = 1, argument: str = "first") -> int:
    """A connection's `first`: 1 to the deployment's page size (100) everywhere, or BAD_USER_INPUT."""
    if not minimum <= first <= maximum:
        raise BadUserInput(f"{argument} must be between {minimum} and {maximum}, got {first}", argument=argument)
    return first
