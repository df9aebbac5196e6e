"""Everything a request's resolvers share: who asks, why, what they may see, and the loaders."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import china_today, utc_now
from domain.enums import Purpose
from domain.principal import Principal
from resolvers.scope import PUBLIC_SCOPE, RecordScope

if TYPE_CHECKING:
    from domain.catalogue import JurisdictionProfile
    from domain.subject_ids import SubjectIds
    from resolvers.access import Access
    from resolvers.reference import ReferenceData
    from collections.abc import Mapping

    from resolvers.remote_sources import RemoteFetcher, RemoteSource


@dataclass
class Observed:
    """What the request touched, collected as fields resolve, for the query log (HC-23, XZ-19)."""

    subjects: set[str] = field(default_factory=set)
    record_ids: set[int] = field(default_factory=set)
    refused: list[dict] = field(default_factory=list)
    records_read: bool = False  # a record list or record was resolved (withheld-records notices apply)
    # Logged in the entry's optional hashed columns (store.chain): each call made to a federated
    # source (issue 18) and each creditCheck receipt issued (issue 17), as JSON-safe dicts.
    remote_calls: list[dict] = field(default_factory=list)
    receipts: list[dict] = field(default_factory=list)


@dataclass
class Operation:
    """What the GraphQL layer saw of the request, for the query log (filled by the schema)."""

    document: str | None = None
    name: str | None = None
    type: str | None = None
    variables: dict = field(default_factory=dict)
    has_data: bool = False
    errors: list = field(default_factory=list)
    executed: bool = False  # the document parsed and validated, and execution began
    database_failure: bool = False  # a resolver met an unreachable database: the request is a 503


@dataclass
class RequestContext:
    engine: AsyncEngine
    principal: Principal = field(default_factory=Principal.anonymous)
    purpose: Purpose | None = None
    basis: str | None = None
    # The request's instant (UTC) and the jurisdiction's day at it (SPEC 3.4): read once, so every
    # resolver of the request agrees on the time, and tests can fix it (create_app(now=...)).
    now: dt.datetime = field(default_factory=utc_now)
    today: dt.date = field(default_factory=china_today)
    access: "Access | None" = None
    reference: "ReferenceData | None" = None
    profile: "JurisdictionProfile | None" = None  # the deployment's, loaded once at start
    max_page_size: int = 100
    max_list_codes: int = 100
    subject_ids: "SubjectIds | None" = None  # the deployment's, for Subject.id and federation keys (SPEC 3.1)
    remote_fetcher: "RemoteFetcher | None" = None  # calls federated sources (issue 18); None: none admitted
    remote_sources: "Mapping[str, RemoteSource]" = field(default_factory=dict)  # admitted, by name (issue 18)
    # (catalogue item, subject kind) -> (class, whether the general pairs open it): remote fields'
    # decisions, made once per request (resolvers/remote_fields.py)
    remote_decisions: dict = field(default_factory=dict)
    request_id: str | None = None  # the request's X-Request-Id, as its query-log entry keeps it; sent to sources
    # Why this request may not call `_entities`: set when the deployment has a router secret and the
    # call is not signed with it (schema/entities.py refuses then); None when it may.
    router_refusal: str | None = None
    loaders: "Loaders" = None  # type: ignore[assignment]
    observed: Observed = field(default_factory=Observed)
    operation: Operation = field(default_factory=Operation)

    @property
    def scope(self) -> RecordScope:
        """What the reader may see: decided once per request by the access builder."""
        return self.access.scope if self.access is not None else PUBLIC_SCOPE

    def __post_init__(self) -> None:
        if self.loaders is None:
            from resolvers.loaders import Loaders

            self.loaders = Loaders(self)


from resolvers.loaders import Loaders  # noqa: E402  (after RequestContext: loaders refer to it)
