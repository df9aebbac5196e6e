"""Values made safe to keep in a log (HC-35, issue 10): whatever a request carried, a copy that
any JSON encoder and both databases accept.

A request's variables, operation name and error messages are the client's to choose; one of
them that cannot be encoded (a lone surrogate such as "\\ud800", an object a resolver put there,
NaN) must not make the log, shared by all requests, fail to write. So the log keeps a deep COPY in
JSON-safe form, taken before execution (resolvers may edit the originals in place):

- dicts (str keys), lists, str, int, finite float, bool and None; tuples and sets become lists;
- a lone surrogate becomes visible text: the six characters `\\ud800` (the log shows what was
  sent; it is no longer the same string, and `\\ud800` sent literally looks the same);
- NaN and infinities become the strings "NaN", "Infinity", "-Infinity"; dates and times their ISO
  text, enums their value, Decimals and UUIDs their text, any other object `<TypeName>`;
- bounded: nesting past MAX_DEPTH, strings past MAX_STRING characters, containers past MAX_ITEMS
  and values past MAX_NODES in all are cut, with a `[cut: ...]` marker where they were.

Plain JSON values within the bounds come back equal (`json_safe(json.loads(s)) == json.loads(s)`).
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import uuid
from decimal import Decimal
from typing import Any

MAX_DEPTH = 32
MAX_STRING = 10_000
MAX_ITEMS = 1_000
MAX_NODES = 100_000  # a submission of 1,000 records (its limit) is logged whole
MAX_INT_BITS = 10_000  # ~3,000 digits: Python refuses to turn ints past 4,300 digits into text
CUT_KEY = "[cut]"


def safe_text(text: str, *, nul: bool = False) -> str:
    """`text` with lone surrogates escaped as visible `\\udXXX` (and NUL as `\\u0000` when `nul`:
    PostgreSQL text columns cannot hold it, its JSON columns can). Not shortened."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if nul and "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    return text


def short_text(value: Any, limit: int) -> str:
    """A short, safe text for any value (an operation name, a column of limited width)."""
    if not isinstance(value, str):
        value = _scalar_text(value)
    value = safe_text(value, nul=True)
    return value if len(value) <= limit else value[:limit]


def json_safe(value: Any) -> Any:
    """A deep, bounded, JSON-safe copy of `value` (see the module docstring)."""
    return _Copier().copy(value, 0)


class _Copier:
    __slots__ = ("budget",)

    def __init__(self) -> None:
        self.budget = MAX_NODES

    def copy(self, value: Any, depth: int) -> Any:
        self.budget -= 1
        if value is None or value is True or value is False:
            return value
        kind = type(value)
        if kind is str:
            return self.text(value)
        if kind is int:
            return value if value.bit_length() <= MAX_INT_BITS else f"[cut: an integer of {value.bit_length()} bits]"
        if kind is float:
            return value if math.isfinite(value) else _non_finite(value)
        if isinstance(value, (dict, list, tuple, set, frozenset)):
            if depth >= MAX_DEPTH:
                return f"[cut: nested deeper than {MAX_DEPTH}]"
            if isinstance(value, dict):
                return self.mapping(value, depth + 1)
            return self.sequence(value, depth + 1)
        return self.scalar(value, depth)

    def text(self, value: str) -> str:
        if len(value) > MAX_STRING:
            value = f"{value[:MAX_STRING]}[cut: {len(value) - MAX_STRING} more characters]"
        return safe_text(value)

    def mapping(self, value: dict, depth: int) -> dict:
        copied: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= MAX_ITEMS or self.budget <= 0:
                copied[CUT_KEY] = f"[cut: {len(value) - index} more keys]"
                break
            copied[self.text(key) if type(key) is str else short_text(key, 200)] = self.copy(item, depth)
        return copied

    def sequence(self, value, depth: int) -> list:
        items = list(value) if not isinstance(value, (set, frozenset)) else _ordered(value)
        copied = []
        for index, item in enumerate(items):
            if index >= MAX_ITEMS or self.budget <= 0:
                copied.append(f"[cut: {len(items) - index} more items]")
                break
            copied.append(self.copy(item, depth))
        return copied

    def scalar(self, value: Any, depth: int) -> Any:
        """Subclasses of JSON types (str/int enums, bool-like ints) and the other objects."""
        if isinstance(value, enum.Enum):
            return self.copy(value.value, depth) if depth < MAX_DEPTH else str(value.name)
        if isinstance(value, str):
            return self.text(str.__str__(value))
        if isinstance(value, int):
            return self.copy(int(value), depth)
        if isinstance(value, float):
            return self.copy(float(value), depth)
        return safe_text(_scalar_text(value))


def _non_finite(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _scalar_text(value: Any) -> str:
    """Text for a value that is not JSON: a few well-known kinds in full, anything else by type name
    (its own str() may be huge, slow or raise)."""
    if value is None:
        return "null"
    if isinstance(value, (bool, int, str)):
        return str(value) if not isinstance(value, int) or value.bit_length() <= MAX_INT_BITS else "[cut: integer]"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else _non_finite(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID, dt.timedelta)):
        return str(value)
    if isinstance(value, enum.Enum):
        return str(value.name)
    return f"<{type(value).__name__}>"


def _ordered(values) -> list:
    """A set's members in a stable order (sets have none; the log's hash needs one)."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)
