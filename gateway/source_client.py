"""Calls to federated sources: batched, signed, bounded, checked and audited (issue 18).

One `SourceClient` per worker (the app creates it at start-up and closes it at shutdown) holds the
pooled HTTP connections and, per source, a circuit breaker and what its last call did (`health()`).
`fetch` makes ONE HTTP call per source per request: every subject the request needs goes in it once,
as a representation `{"__typename": "Subject", "code": …}`; distinct selections of one field become
aliases. Subjects that need different fields go in separate `_entities` selections of the same query
(aliased `e0`, `e1`, …), so a source is only ever asked for a field of a subject the policies let the
reader see (data minimisation).

What comes back is checked before any of it is used: the HTTP status, the JSON shape, one entity per
representation, in order, each naming the code sent at its position. A short, reordered, duplicated or
null answer is never attached to another subject: the affected wants get SOURCE_INVALID. Errors the
source reports for an entity or field become that want's SOURCE_UNAVAILABLE, with the source's message
withheld (an upstream message may say anything, about anyone). Each call is bounded by the source's
deadline, well under a client's, and appended to `context.observed.remote_calls` for the query log.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx

from domain.source_signing import BASIS_HEADER, DEPARTMENT_HEADER, PURPOSE_HEADER, REQUEST_ID_HEADER, \
    signed_headers
from resolvers.remote_sources import SOURCE_INVALID, SOURCE_TIMEOUT, SOURCE_UNAVAILABLE, RemoteFieldError, \
    RemoteSource, RemoteWant
from store.chain import logged_subject

if TYPE_CHECKING:
    from resolvers.context import RequestContext

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # a source's X-Request-Id, kept when sane
_UNAVAILABLE_STATUSES = frozenset({401, 403, 408, 429})  # besides 5xx: the source would not serve us now


@dataclass(frozen=True)
class SourceLimits:
    """How long and how much a source may take (settings: SOURCE_DEADLINE_SECONDS, …)."""

    deadline_seconds: float = 2.0  # the whole call, connection to last byte; a client's is far longer
    failures_to_open: int = 5  # consecutive failed calls that open a source's circuit
    cool_down_seconds: float = 30.0  # an open circuit lets one trial call through after this
    max_answer_bytes: int = 8 * 1024 * 1024


@dataclass
class _Breaker:
    """One source's circuit: closed (calls go out), open (none do), half-open (one trial call does)."""

    state: str = CLOSED
    failures: int = 0
    opened_at: float = 0.0
    trial_in_flight: bool = False
    last_error: str | None = None
    last_latency_ms: float | None = None


class _CallFailed(Exception):
    """The whole call failed: every want of it gets `code`; `reason` is for health and the log."""

    def __init__(self, code: str, reason: str, http_status: int | None = None) -> None:
        super().__init__(reason)
        self.code, self.reason, self.http_status = code, reason, http_status


@dataclass(frozen=True)
class _Plan:
    """One call's query: aliases per (field, selection), and the subject codes of each `_entities`."""

    aliases: dict[tuple[str, str], str]  # (field, selection) -> alias in the query
    groups: list[tuple[list[str], list[tuple[str, str]]]]  # per `_entities` alias eN: codes, (field, selection)s
    query: str

    @property
    def codes(self) -> list[str]:
        return [code for codes, _ in self.groups for code in codes]


def _selection(text: str) -> str:
    text = text.strip()
    return text if not text or text.startswith("{") else "{ " + text + " }"


def plan(wants: Sequence[RemoteWant]) -> _Plan:
    """The one query that asks for every want: subjects asking for the same fields share an `_entities`."""
    aliases: dict[tuple[str, str], str] = {}
    per_code: dict[str, list[tuple[str, str]]] = {}
    for want in wants:
        slot = (want.field, _selection(want.selection))
        aliases.setdefault(slot, f"f{len(aliases)}")
        slots = per_code.setdefault(want.code, [])
        if slot not in slots:
            slots.append(slot)
    grouped: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for code, slots in per_code.items():
        grouped.setdefault(tuple(sorted(slots, key=aliases.__getitem__)), []).append(code)
    groups = [(codes, list(slots)) for slots, codes in grouped.items()]
    variables = ", ".join(f"$r{n}: [_Any!]!" for n in range(len(groups)))
    selections = " ".join(
        f"e{n}: _entities(representations: $r{n}) {{ ... on Subject {{ code "
        + " ".join(f"{aliases[slot]}: {slot[0]} {slot[1]}".rstrip() for slot in slots) + " } }"
        for n, (_codes, slots) in enumerate(groups))
    return _Plan(aliases=aliases, groups=groups, query=f"query Entities({variables}) {{ {selections} }}")


def _carried_headers(context: "RequestContext") -> dict[str, str]:
    """Who asks and why, for the source's own log (X-Road's user and issue headers, in spirit)."""
    purpose = getattr(context.purpose, "value", context.purpose)
    return {
        DEPARTMENT_HEADER: context.principal.department or "",
        PURPOSE_HEADER: str(purpose or ""),
        BASIS_HEADER: quote(context.basis or "", safe=""),
        REQUEST_ID_HEADER: getattr(context, "request_id", None) or "",
    }


def _is_json_like(value: Any, selection: str) -> bool:
    """A value fits its selection's shape: objects (or lists of them) for a selection, scalars otherwise."""
    if value is None:
        return True
    if isinstance(value, list):
        return all(_is_json_like(item, selection) for item in value)
    return isinstance(value, dict) if selection else not isinstance(value, dict)


class SourceClient:
    """The worker's client of federated sources (implements resolvers.remote_sources.RemoteFetcher)."""

    def __init__(self, limits: SourceLimits | None = None, *, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.limits = limits or SourceLimits()
        self._clock, self._wall_clock = clock, wall_clock
        self._http = httpx.AsyncClient(
            transport=transport, trust_env=False, follow_redirects=False,
            timeout=httpx.Timeout(self.limits.deadline_seconds + 1.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
        self._breakers: dict[str, _Breaker] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    def health(self) -> dict[str, dict[str, Any]]:
        """Per source the client has called: its circuit's state, its last error and latency."""
        return {name: {"state": self._state(breaker), "lastError": breaker.last_error,
                       "lastLatencyMs": breaker.last_latency_ms}
                for name, breaker in sorted(self._breakers.items())}

    def _state(self, breaker: _Breaker) -> str:
        if breaker.state == OPEN and self._clock() - breaker.opened_at >= self.limits.cool_down_seconds:
            return HALF_OPEN
        return breaker.state

    def _admit(self, breaker: _Breaker) -> bool:
        """Whether a call may go out now; the first call after the cool-down is the half-open trial."""
        state = self._state(breaker)
        if state == CLOSED:
            return True
        if state == HALF_OPEN and not breaker.trial_in_flight:
            breaker.state, breaker.trial_in_flight = HALF_OPEN, True
            return True
        return False

    def _settle(self, breaker: _Breaker, failure: str | None, latency_ms: float | None) -> None:
        breaker.trial_in_flight = False
        breaker.last_latency_ms = latency_ms
        if failure is None:
            breaker.state, breaker.failures = CLOSED, 0
            return
        breaker.last_error = failure
        breaker.failures += 1
        if breaker.state == HALF_OPEN or breaker.failures >= self.limits.failures_to_open:
            breaker.state, breaker.opened_at = OPEN, self._clock()

    async def fetch(self, source: RemoteSource, wants: Sequence[RemoteWant],
                    context: "RequestContext") -> list[Any | RemoteFieldError]:
        if not wants:
            return []
        the_plan = plan(wants)
        breaker = self._breakers.setdefault(source.name, _Breaker())
        call: dict[str, Any] = {"source": source.name, "version": source.version,
                                "fields": sorted({w.field for w in wants}), "codes": [], "status": "",
                                "httpStatus": None, "latencyMs": 0.0, "requestId": None}
        context.observed.remote_calls.append(call)
        if not self._admit(breaker):
            call["status"] = "CIRCUIT_OPEN"
            return [RemoteFieldError(SOURCE_UNAVAILABLE, f"the source {source.name} is failing and is not called "
                                     "for now (its circuit is open); try again later") for _ in wants]
        call["codes"] = sorted(logged_subject(code) for code in the_plan.codes)
        started = self._clock()
        try:
            answer = await self._call(source, the_plan, context, call)
            values = self._values(source, the_plan, answer)
        except _CallFailed as failed:
            call["status"] = failed.code
            call["latencyMs"] = round((self._clock() - started) * 1000, 1)
            self._settle(breaker, failed.reason, call["latencyMs"])
            return [RemoteFieldError(failed.code, f"the source {source.name} {failed.reason}") for _ in wants]
        except BaseException:  # cancelled with its request: a half-open trial must not stay in flight forever
            breaker.trial_in_flight = False
            call["status"] = "CANCELLED"
            raise
        call["latencyMs"] = round((self._clock() - started) * 1000, 1)
        self._settle(breaker, None, call["latencyMs"])
        results = [values[(w.code, the_plan.aliases[(w.field, _selection(w.selection))])] for w in wants]
        call["status"] = "PARTIAL" if any(isinstance(r, RemoteFieldError) for r in results) else "OK"
        return results

    async def _call(self, source: RemoteSource, the_plan: _Plan, context: "RequestContext", call: dict) -> dict:
        variables = {f"r{n}": [{"__typename": "Subject", "code": code} for code in codes]
                     for n, (codes, _slots) in enumerate(the_plan.groups)}
        body = json.dumps({"query": the_plan.query, "variables": variables}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        url = urlsplit(source.url)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        headers = signed_headers(source.signing_key, self._wall_clock(), "POST", path, body, _carried_headers(context))
        deadline = self.limits.deadline_seconds
        try:
            async with asyncio.timeout(deadline):
                async with self._http.stream("POST", source.url, content=body, headers={
                        **headers, "Content-Type": "application/json", "Accept": "application/json"}) as response:
                    given_id = response.headers.get("x-request-id", "")
                    call["requestId"] = given_id if _REQUEST_ID.match(given_id) else None
                    call["httpStatus"] = response.status_code
                    raw = await self._read(response)
        except TimeoutError:
            raise _CallFailed(SOURCE_TIMEOUT, f"did not answer within its deadline of {deadline:g} s") from None
        except httpx.HTTPError as error:
            raise _CallFailed(SOURCE_UNAVAILABLE, f"could not be reached ({type(error).__name__})") from None
        status = response.status_code
        if status >= 500 or status in _UNAVAILABLE_STATUSES:
            raise _CallFailed(SOURCE_UNAVAILABLE, f"answered HTTP {status}", status)
        if not 200 <= status < 300:
            raise _CallFailed(SOURCE_INVALID, f"answered HTTP {status} to the query", status)
        try:
            answer = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise _CallFailed(SOURCE_INVALID, "answered something that is not JSON", status) from None
        if not isinstance(answer, dict):
            raise _CallFailed(SOURCE_INVALID, "answered JSON that is not a GraphQL response", status)
        return answer

    async def _read(self, response: httpx.Response) -> bytes:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.limits.max_answer_bytes:
                raise _CallFailed(SOURCE_INVALID, f"answered over {self.limits.max_answer_bytes:,} bytes",
                                  response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

    def _values(self, source: RemoteSource, the_plan: _Plan, answer: dict) -> dict[tuple[str, str], Any]:
        """Each (code, alias) the plan asked for: its value, or the error that replaces it."""
        data = answer.get("data")
        if data is None and answer.get("errors"):
            raise _CallFailed(SOURCE_UNAVAILABLE, "refused the query with errors (their messages are withheld)")
        if not isinstance(data, dict):
            raise _CallFailed(SOURCE_INVALID, "answered without a data object")
        failed = _error_paths(answer.get("errors"))
        values: dict[tuple[str, str], Any] = {}
        invalid = RemoteFieldError(SOURCE_INVALID, f"the source {source.name} answered for another subject, or not "
                                                   "at all, at this subject's position: its answer is not used")
        reported = RemoteFieldError(SOURCE_UNAVAILABLE, f"the source {source.name} reported an error for this field "
                                                        "(its message is withheld)")
        for n, (codes, slots) in enumerate(the_plan.groups):
            entities = data.get(f"e{n}")
            if not isinstance(entities, list) or len(entities) != len(codes):
                shown = f"{len(entities)} entities" if isinstance(entities, list) else "no entity list"
                raise _CallFailed(SOURCE_INVALID, f"answered {shown} for {len(codes)} subjects")
            for index, (code, entity) in enumerate(zip(codes, entities)):
                entity_ok = isinstance(entity, dict) and entity.get("code") == code
                for field, selection in slots:
                    alias = the_plan.aliases[(field, selection)]
                    if (f"e{n}", index, alias) in failed or (not entity_ok and (f"e{n}", index, None) in failed):
                        values[(code, alias)] = reported
                    elif not entity_ok or alias not in entity or not _is_json_like(entity[alias], selection):
                        values[(code, alias)] = invalid
                    else:
                        values[(code, alias)] = entity[alias]
        return values


def _error_paths(errors: Any) -> set[tuple[str, int, str | None]]:
    """The (eN, index, field alias or None) each reported error points at; other errors are ignored."""
    paths: set[tuple[str, int, str | None]] = set()
    for error in errors if isinstance(errors, list) else ():
        path = error.get("path") if isinstance(error, dict) else None
        if isinstance(path, list) and len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], int):
            paths.add((path[0], path[1], path[2] if len(path) > 2 and isinstance(path[2], str) else None))
    return paths
