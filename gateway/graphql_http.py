"""GraphQL over HTTP (SPEC 4): what a request must look like, which media type answers it, and with
which status — the rules of the GraphQL-over-HTTP draft, checked in CI by graphql-http's server audit.

Everything here is decided before any GraphQL work and without the database, so a malformed request
costs almost nothing and never reaches another request's query-log write (SPEC 3.6): the body is
bounded, strictly UTF-8, a JSON object whose parameters have the types the draft gives them, and holds
no lone surrogate (which no database can store and no log can hash).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from starlette.requests import Request

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_MEDIA_TYPES = (GRAPHQL_RESPONSE, JSON)


class HTTPRefusal(Exception):
    """The request cannot be answered as GraphQL: `status`, an error `code` and a message naming the fault."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass(frozen=True)
class GraphQLParams:
    """The four parameters of a GraphQL-over-HTTP request, type-checked."""

    query: str
    operation_name: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)
    body: bytes = b""  # a POST's body as sent: what a router's signature covers (domain/source_signing.py)


def negotiate(accept: str | None) -> str:
    """The response's media type from `Accept`: `application/graphql-response+json` when the client lists it
    first (by quality, then order); `application/json` for `application/json`, `*/*`, `application/*` or no
    Accept at all (the draft's legacy default); 406 when it accepts neither."""
    if accept is None or not accept.strip():
        return JSON
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")[:32]):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        if media in _MEDIA_TYPES:
            choices.append((-quality, index, media))
        elif media in ("*/*", "application/*"):
            choices.append((-quality, index, JSON))
    if not choices:
        raise HTTPRefusal(406, "NOT_ACCEPTABLE", f"cannot answer in any type that Accept lists ({accept[:100]!r}); "
                                                 f"accept {GRAPHQL_RESPONSE} or {JSON}")
    return min(choices)[2]


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes (never read whole first)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPRefusal(413, "REQUEST_TOO_LARGE", f"the body is {int(declared):,} bytes; at most {limit:,} "
                                                    f"(MAX_REQUEST_BYTES)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPRefusal(413, "REQUEST_TOO_LARGE", f"the body is over {limit:,} bytes (MAX_REQUEST_BYTES)")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode_utf8(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPRefusal(400, "INVALID_UTF8", f"{what} is not valid UTF-8 (byte {exc.start}); "
                                               f"send UTF-8 text") from None


def _json_value(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise HTTPRefusal(400, "BAD_JSON", f"{what} is JSON nested too deeply") from None
    except ValueError as exc:
        raise HTTPRefusal(400, "BAD_JSON", f"{what} is not valid JSON: {str(exc)[:120]}") from None


def _content_type(request: Request) -> None:
    value = request.headers.get("content-type")
    if value is None:
        raise HTTPRefusal(415, "UNSUPPORTED_CONTENT_TYPE",
                          f"a POST needs a Content-Type; send the request as {JSON}")
    media, _, params = value.partition(";")
    if media.strip().lower() != JSON:
        raise HTTPRefusal(415, "UNSUPPORTED_CONTENT_TYPE",
                          f"Content-Type {media.strip()[:60]!r} is not supported; send the request as {JSON}")
    for param in params.split(";"):
        name, _, charset = param.strip().partition("=")
        if name.strip().lower() == "charset" and charset.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise HTTPRefusal(415, "UNSUPPORTED_CONTENT_TYPE",
                              f"charset {charset.strip()[:20]!r} is not supported; send UTF-8")


async def read_params(request: Request, limit: int) -> GraphQLParams:
    """The request's parameters: from the URL for GET, from a JSON body for POST; 400/413/415 naming the fault.
    (Lone surrogates are refused apart, by `refuse_lone_surrogates`, once the log has a copy of what was sent.)"""
    if request.method == "GET":
        values: dict[str, Any] = {}
        for name in ("query", "operationName", "variables", "extensions"):
            given = request.query_params.getlist(name)
            if len(given) > 1:
                raise HTTPRefusal(400, "BAD_REQUEST", f"the URL gives {name} {len(given)} times; give it once")
            if given:
                values[name] = given[0]
        if len(request.url.query) > limit:
            raise HTTPRefusal(414, "REQUEST_TOO_LARGE", f"the URL's query is over {limit:,} characters")
        for name in ("variables", "extensions"):
            if isinstance(values.get(name), str):
                values[name] = _json_value(values[name], f"the URL's {name}") if values[name] else None
    else:
        _content_type(request)
        body = await read_body(request, limit)
        if not body.strip():
            raise HTTPRefusal(400, "BAD_REQUEST", 'the body is empty; send {"query": "..."} as JSON')
        values = _json_value(_decode_utf8(body, "the body"), "the body")
        if not isinstance(values, dict):
            raise HTTPRefusal(400, "BAD_REQUEST", f'the body is a JSON {_json_type(values)}; send an object '
                                                  f'{{"query": "...", "variables": {{...}}}}')
        return dataclasses.replace(_checked(values), body=body)
    return _checked(values)


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null",
            int: "number", float: "number"}.get(type(value), type(value).__name__)


def _checked(values: dict[str, Any]) -> GraphQLParams:
    query = values.get("query")
    if query is None:
        raise HTTPRefusal(400, "BAD_REQUEST", 'the request has no "query": send the GraphQL document as a string')
    if not isinstance(query, str):
        raise HTTPRefusal(400, "BAD_REQUEST", f'"query" must be a string, got a JSON {_json_type(query)}')
    operation_name = values.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise HTTPRefusal(400, "BAD_REQUEST",
                          f'"operationName" must be a string or null, got a JSON {_json_type(operation_name)}')
    for name in ("variables", "extensions"):
        value = values.get(name)
        if value is not None and not isinstance(value, dict):
            raise HTTPRefusal(400, "BAD_REQUEST", f'"{name}" must be an object or null, got a JSON {_json_type(value)}')
    return GraphQLParams(query=query, operation_name=operation_name or None,
                         variables=values.get("variables") or {}, extensions=values.get("extensions") or {})


def refuse_lone_surrogates(params: GraphQLParams) -> None:
    """JSON may escape half a UTF-16 pair (`"\\ud800"`): not a character, storable nowhere. Refused, naming where."""
    try:
        json.dumps([params.query, params.operation_name, params.variables, params.extensions],
                   ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        where = _surrogate_path({"query": params.query, "operationName": params.operation_name,
                                 "variables": params.variables, "extensions": params.extensions})
        raise HTTPRefusal(400, "INVALID_UTF8", f"{where or 'the request'} holds a lone surrogate (\\ud800-\\udfff): "
                                               f"not a Unicode character; send UTF-8 text") from None


def _surrogate_path(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or None
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _surrogate_path(key, f"{path}.<key>" if path else "<key>") or _surrogate_path(
                item, f"{path}.{key}" if path else str(key))
            if found:
                return found.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _surrogate_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


def is_request_error(errors: list[GraphQLError], data: Any) -> bool:
    """The draft's "request error": nothing was executed (a document that does not parse or validate, variables
    that do not coerce, a limit refused), so the response has no `data` entry."""
    return data is None and bool(errors) and all(not e.path for e in errors)


def default_code(error: GraphQLError, executed: bool) -> str:
    """The `extensions.code` of an error that was not given one where it was raised."""
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if error.path:
        return "INTERNAL_SERVER_ERROR"
    return "BAD_USER_INPUT" if executed else "GRAPHQL_VALIDATION_FAILED"


def encode(body: dict[str, Any]) -> bytes:
    """JSON in UTF-8 with Chinese kept readable (no \\u escapes)."""
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from somewhere unforeseen: still valid JSON and UTF-8
        return json.dumps(body, separators=(",", ":")).encode("ascii")
