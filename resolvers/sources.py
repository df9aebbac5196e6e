"""Admitting, refreshing and removing federated sources (issue 18): what the CLI and the operators'
mutations share.

Admission fetches the source's `_service { sdl }` over HTTP, checks it (domain/source_sdl.py),
binds every remote field to a catalogue item of the profile (one item for all fields, or
`field=ITEM` pairs) and stores it as a new version with a fresh HMAC signing key, shown once.
Every fault is a `Problem` naming the input field and what is wrong; nothing is stored then.
"""

from __future__ import annotations

import inspect
import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import JurisdictionProfile
from domain.clock import utc_now
from domain.problems import Problem, ProblemCode
from domain.source_sdl import SourceSdl, SourceSdlRefused, check_source_sdl
from domain.source_signing import signed_headers
from store.sources import (SourceNameTaken, SourceNotFound, StoredSource, admitted, store_admission,
                           store_refresh, store_removal)

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
SDL_QUERY = {"query": "query SourceSdl { _service { sdl } }"}
FETCH_SECONDS = 10.0


@dataclass(frozen=True)
class Reserved:
    """Names an SDL may not take: the gateway's own types and Subject's own fields."""

    types: frozenset[str]
    subject_fields: frozenset[str]


class SourceProblems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


async def fetch_sdl(url: str, timeout: float = FETCH_SECONDS, key: str | None = None) -> str:
    """The source's SDL as it answers `_service { sdl }`; SourceProblems when it cannot be had. The call
    is signed with `key` (the source's, on refresh or when given at admission): a source that answers
    only the gateway's signed calls (the demo source) answers this one too."""
    def unreachable(why: str) -> SourceProblems:
        return SourceProblems([Problem("url", f"{url}: {why}", ProblemCode.UNREACHABLE)])

    body = json.dumps(SDL_QUERY).encode()
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if key:
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers.update(signed_headers(key, time.time(), "POST", path, body))
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise unreachable(f"cannot be reached ({type(exc).__name__}: {exc})") from None
    if response.status_code != 200:
        raise unreachable(f"answered HTTP {response.status_code} to `_service {{ sdl }}`")
    try:
        sdl = response.json()["data"]["_service"]["sdl"]
    except (ValueError, KeyError, TypeError):
        raise unreachable("did not answer `_service { sdl }` as a federation subgraph does") from None
    if not isinstance(sdl, str):
        raise unreachable("answered `_service { sdl }` with something that is not a string")
    return sdl


def bind_items(fields: Sequence[str], items: Sequence[str], profile: JurisdictionProfile,
               previous: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each remote field's catalogue item: one ITEM for all, or FIELD=ITEM pairs; on refresh, fields
    already bound keep their item unless rebound. Every field must be bound, to an item that exists."""
    problems: list[Problem] = []
    binding: dict[str, str] = {f: previous[f] for f in fields if previous and f in previous}
    pairs = [i for i in items if "=" in i]
    single = [i for i in items if "=" not in i]
    if single and (pairs or len(single) > 1):
        problems.append(Problem("items", "give one catalogue item for every field, or FIELD=ITEM pairs, not both"))
    for item in single[:1]:
        binding = {f: item.strip() for f in fields}
    for pair in pairs:
        field, _, item = pair.partition("=")
        field, item = field.strip(), item.strip()
        if field not in fields:
            problems.append(Problem("items", f"{field}=...: the SDL adds no field {field} to Subject (it adds "
                                             f"{', '.join(fields)})"))
        else:
            binding[field] = item
    for field in fields:
        item = binding.get(field)
        if item is None:
            problems.append(Problem("items", f"field {field} is bound to no catalogue item: give {field}=ITEM "
                                             "(its class and share list govern it like a stored record)",
                                    ProblemCode.UNKNOWN_ITEM))
        elif item not in profile.items:
            problems.append(Problem("items", f"{field}={item}: no catalogue item {item} in profile {profile.code}",
                                    ProblemCode.UNKNOWN_ITEM))
    if problems:
        raise SourceProblems(problems)
    return binding


def _checked(sdl: str, reserved: Reserved, others: Sequence[StoredSource]) -> SourceSdl:
    taken: dict[str, str] = {}
    for other in others:
        try:
            admitted_sdl = check_source_sdl(other.sdl)
        except SourceSdlRefused:
            continue
        taken.update({name: other.name for name in (*admitted_sdl.fields, *admitted_sdl.types)})
    try:
        return check_source_sdl(sdl, reserved_types=reserved.types, reserved_fields=reserved.subject_fields,
                                taken=taken)
    except SourceSdlRefused as refused:
        raise SourceProblems([Problem("url", f"the SDL is refused: {p}", ProblemCode.SDL_REFUSED)
                              for p in refused.problems]) from None


def _checked_url(url: str) -> str:
    url = url.strip()
    if not re.match(r"^https?://[^\s/]+", url) or len(url) > 500:
        raise SourceProblems([Problem("url", f"{url[:100]!r} is not an http(s) address of at most 500 characters")])
    return url


@dataclass(frozen=True)
class Admission:
    source: StoredSource
    signing_key: str  # shown once: the source checks the gateway's calls with it


async def admit_source(engine: AsyncEngine, profile: JurisdictionProfile, reserved: Reserved, *, name: str,
                       url: str, items: Sequence[str], user: str | None, department: str | None = None,
                       sdl: str | None = None, signing_key: str | None = None) -> Admission:
    """Fetch, check, bind and store a new source; SourceProblems naming every fault otherwise. The
    signing key is fresh unless the department's is given (a source started with its key, as `serve
    --demo-source` starts the demo one); the SDL is then fetched signed with it."""
    name = name.strip()
    if not NAME.match(name):
        raise SourceProblems([Problem("name", f"{name[:80]!r}: a source's name is lower-case letters, digits, - and "
                                              "_, starting with a letter, at most 64 characters")])
    url = _checked_url(url)
    others, _ = await admitted(engine)
    if any(o.name == name for o in others):
        raise SourceProblems([Problem("name", f"a source named {name} is admitted already: refresh or remove it",
                                      ProblemCode.DUPLICATE)])
    key = signing_key or secrets.token_urlsafe(32)
    checked = _checked(sdl if sdl is not None else await fetch_sdl(url, key=key), reserved, others)
    binding = bind_items(list(checked.fields), items, profile)
    try:
        stored = await store_admission(engine, name=name, url=url, sdl=checked.sdl, fields=binding, signing_key=key,
                                       user=user, department=department, now=utc_now())
    except SourceNameTaken:
        raise SourceProblems([Problem("name", f"a source named {name} is admitted already", ProblemCode.DUPLICATE)]) \
            from None
    return Admission(stored, key)


async def refresh_source(engine: AsyncEngine, profile: JurisdictionProfile, reserved: Reserved, *, name: str,
                         items: Sequence[str] = (), user: str | None, department: str | None = None,
                         sdl: str | None = None) -> tuple[StoredSource, bool]:
    """Fetch the source's SDL again: a new version only when it (or the binding) changed, checked again."""
    sources, _ = await admitted(engine)
    current = next((s for s in sources if s.name == name), None)
    if current is None:
        raise SourceProblems([Problem("name", f"no source named {name} is admitted", ProblemCode.NOT_FOUND)])
    checked = _checked(sdl if sdl is not None else await fetch_sdl(current.url, key=current.signing_key), reserved,
                       [s for s in sources if s.name != name])
    binding = bind_items(list(checked.fields), items, profile, previous=current.fields)
    try:
        return await store_refresh(engine, name=name, sdl=checked.sdl, fields=binding, user=user,
                                   department=department, now=utc_now())
    except SourceNotFound:
        raise SourceProblems([Problem("name", f"no source named {name} is admitted", ProblemCode.NOT_FOUND)]) \
            from None


async def remove_source(engine: AsyncEngine, *, name: str, user: str | None,
                        department: str | None = None) -> StoredSource:
    try:
        return await store_removal(engine, name=name, user=user, department=department, now=utc_now())
    except SourceNotFound:
        raise SourceProblems([Problem("name", f"no source named {name} is admitted", ProblemCode.NOT_FOUND)]) \
            from None


async def source_health(fetcher) -> dict:
    """The request fetcher's report by source name ({} when it has none: every source "unknown")."""
    health = getattr(fetcher, "health", None)
    if health is None:
        return {}
    report = health()
    if inspect.isawaitable(report):
        report = await report
    return dict(report or {})
