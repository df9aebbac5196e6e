"""Federation's representations, checked like any other client input (SPEC 4, Federation).

A router (Apollo's gateway, Apollo Router) asks `_entities(representations: [...])` with one
object per entity it needs (`{"__typename": "Subject", "id": "sj1_…"}`), always as variables.
They are the client's input: read, never edited (the query log keeps them as sent); at most
`max_list_codes` of them, like `subjects(codes)`; and a malformed one is a BAD_USER_INPUT error
naming its index and its fault, while the others still resolve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from resolvers.context import RequestContext
from resolvers.errors import BadUserInput


@dataclass(frozen=True)
class Reference:
    """One representation, checked: which entity type, by which of its keys, with which value."""

    index: int
    typename: str
    key: str
    value: str


def references(ctx: RequestContext, representations: Any,
               keys: Mapping[str, Sequence[str]]) -> list[Reference | BadUserInput]:
    """Each representation as a Reference, or as the error that says what is wrong with it.

    `keys` gives, per entity type, its key fields in order of preference (the first one a
    representation carries is used). Too many representations refuse the whole field.
    """
    if not isinstance(representations, list):  # `[_Any!]!` coerces a lone object into a list; be sure
        raise BadUserInput("representations must be a list of objects")
    if len(representations) > ctx.max_list_codes:
        raise BadUserInput(f"representations has {len(representations)} entries; at most {ctx.max_list_codes} "
                           "per query, as for subjects(codes): split the request")
    return [_reference(index, representation, keys) for index, representation in enumerate(representations)]


def _reference(index: int, representation: Any, keys: Mapping[str, Sequence[str]]) -> Reference | BadUserInput:
    where = f"representations[{index}]"
    if not isinstance(representation, dict):
        return BadUserInput(f"{where} is a {_json_type(representation)}, not an object like "
                            f"{{\"__typename\": \"Subject\", \"id\": \"…\"}}", index=index, fault="NOT_AN_OBJECT")
    typename = representation.get("__typename")
    if not isinstance(typename, str) or typename not in keys:
        shown = repr(typename[:40]) if isinstance(typename, str) else "missing" if typename is None else \
            f"a {_json_type(typename)}"
        return BadUserInput(f"{where}.__typename is {shown}; this subgraph resolves {', '.join(sorted(keys))}",
                            index=index, fault="TYPENAME")
    for key in keys[typename]:
        if key not in representation:
            continue
        value = representation[key]
        if not isinstance(value, str) or not value:
            return BadUserInput(f"{where}.{key} must be a non-empty string, got {_json_type(value)}",
                                index=index, fault="KEY")
        return Reference(index=index, typename=typename, key=key, value=value)
    return BadUserInput(f"{where} has no key of {typename}: give one of " + ", ".join(keys[typename]),
                        index=index, fault="KEY")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string" if value else "empty string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def located(index: int, error: BadUserInput) -> BadUserInput:
    """An error raised while resolving representation `index`, saying which one it was."""
    extensions = {k: v for k, v in (error.extensions or {}).items() if k != "code"}
    return BadUserInput(f"representations[{index}]: {error.message}", **{**extensions, "index": index})
