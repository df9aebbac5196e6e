"""The seam between federated fields and the calls that fetch them (issue 18).

The schema grows one field on `Subject` per remote field of an admitted source; its resolver asks
the policies first (a subject the reader may not see that field for is never sent), then asks the
request's `RemoteFetcher` through the loader, which makes one de-duplicated `_entities` call per
source per request. The fetcher checks what comes back (count, order, keys), maps failures to
SOURCE_UNAVAILABLE / SOURCE_TIMEOUT / SOURCE_INVALID, and records each call in
`context.observed.remote_calls` for the query log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from resolvers.context import RequestContext

SOURCE_UNAVAILABLE = "SOURCE_UNAVAILABLE"  # refused the connection, 5xx, circuit open
SOURCE_TIMEOUT = "SOURCE_TIMEOUT"  # no answer within the source's deadline
SOURCE_INVALID = "SOURCE_INVALID"  # answered something that is not a valid answer to what was asked


@dataclass(frozen=True)
class RemoteSource:
    """An admitted source as the served schema uses it: the version of its SDL in force and the
    catalogue item each of its fields is bound to (whose class and share list govern the field)."""

    name: str
    url: str
    version: int
    signing_key: str
    fields: Mapping[str, str] = field(default_factory=dict)  # remote field name on Subject -> catalogue item code


@dataclass(frozen=True)
class RemoteWant:
    """One remote field of one subject that a request needs (and may see)."""

    source: str
    code: str  # the subject's code, the `Subject @key(fields: "code")` sent in the representation
    field: str  # the remote field's name on Subject
    selection: str = ""  # the client's sub-selection of that field, printed ("" for a scalar field)


class RemoteFieldError(Exception):
    """A remote field that could not be had: null in the answer, with this code at its path."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class RemoteFetcher(Protocol):
    """Fetches one source's fields for many subjects in one call. Returns, in the order of `wants`,
    each field's value (JSON as the source answered it) or the RemoteFieldError that replaces it;
    never raises for a source's failure."""

    async def fetch(self, source: RemoteSource, wants: Sequence[RemoteWant],
                    context: "RequestContext") -> list[Any | RemoteFieldError]: ...
