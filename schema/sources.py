"""Federated sources in GraphQL, for the credit centre's operators (issue 18): admit, refresh, remove, list."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from domain.enums import DepartmentKind
from resolvers import sources as resolvers
from resolvers.errors import Forbidden
from schema.mutation_errors import MutationError, errors_of
from schema.remote_fields import gateway_names
from store.sources import StoredSource, admitted


@strawberry.type(name="SourceField", description="A field a source adds to Subject, and the catalogue item whose "
                                                 "class and share list govern it like a stored record.")
class SourceFieldType:
    field: str = strawberry.field(description="The field's name on Subject.")
    catalogue_item: strawberry.ID = strawberry.field(description="The catalogue item it is bound to (its code).")


@strawberry.type(name="FederatedSource", description=(
    "A department's live GraphQL source admitted to extend Subject (README, Federated sources): its fields are "
    "served on Subject under the rules of the catalogue items they are bound to."))
class FederatedSourceType:
    stored: strawberry.Private[StoredSource]
    health_report: strawberry.Private[str] = "unknown"

    @strawberry.field(description="The source's name, unique among admitted sources.")
    def name(self) -> str:
        return self.stored.name

    @strawberry.field(description="The address its subgraph answers at (`_service`, `_entities`).")
    def url(self) -> str:
        return self.stored.url

    @strawberry.field(description="The version of its SDL in force: 1 at admission, one more at each refresh that "
                                  "changed the SDL or the binding.")
    def version(self) -> int:
        return self.stored.version

    @strawberry.field(description="SHA-256 of the SDL in force, hexadecimal.")
    def sdl_hash(self) -> str:
        return self.stored.sdl_hash

    @strawberry.field(description="The fields it adds to Subject, each with its catalogue item, by name.")
    def fields(self) -> list[SourceFieldType]:
        return [SourceFieldType(field=f, catalogue_item=strawberry.ID(i)) for f, i in sorted(self.stored.fields.items())]

    @strawberry.field(description="When the source was admitted.")
    def admitted_at(self) -> dt.datetime:
        return self.stored.admitted_at

    @strawberry.field(description="How its calls fare, as the gateway's fetcher reports it; `unknown` before any.")
    def health(self) -> str:
        return self.health_report


@strawberry.input(description="A source to admit: the gateway fetches its `_service { sdl }` and checks it.")
class AdmitSourceInput:
    name: str = strawberry.field(description="Its name: lower-case letters, digits, - and _, at most 64 characters.")
    url: str = strawberry.field(description="The http(s) address of its GraphQL subgraph.")
    items: list[str] = strawberry.field(description=(
        "The catalogue item every remote field is bound to: one item code for all fields, or FIELD=ITEM pairs "
        "(every field bound)."))


@strawberry.input(description="A source whose SDL to fetch and check again.")
class RefreshSourceInput:
    name: str = strawberry.field(description="The source's name.")
    items: list[str] = strawberry.field(default_factory=list, description=(
        "Bindings of new or rebound fields (one item, or FIELD=ITEM pairs); fields bound before keep their item."))


@strawberry.input(description="A source to take out of the served schema; its SDL versions are kept.")
class RemoveSourceInput:
    name: str = strawberry.field(description="The source's name.")


@strawberry.type(description="The result of admitSource: the source as admitted and its signing key, or the errors.")
class AdmitSourcePayload:
    source: Optional[FederatedSourceType] = strawberry.field(description="The admitted source; null when refused.")
    signing_key: Optional[str] = strawberry.field(description=(
        "The HMAC-SHA256 key the gateway signs its calls to the source with, shown this once: give it to the "
        "source's department. Null when refused."))
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.type(description="The result of refreshSource: the source with the version in force, or the errors.")
class RefreshSourcePayload:
    source: Optional[FederatedSourceType] = strawberry.field(description="The source; null when refused.")
    changed: bool = strawberry.field(description="Whether a new version was stored (the SDL or binding changed).")
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.type(description="The result of removeSource: the source as it was, or the errors.")
class RemoveSourcePayload:
    source: Optional[FederatedSourceType] = strawberry.field(description="The removed source; null when refused.")
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


def _require(info: Info, roles: frozenset[str]) -> None:
    context = info.context
    principal = context.principal
    department = context.profile.departments.get(principal.department) if principal.department else None
    kinds = {"operator": DepartmentKind.CREDIT_CENTRE, "auditor": DepartmentKind.SUPERVISOR}
    if not any(role in principal.roles and department is not None and department.kind is kinds[role]
               for role in roles):
        raise Forbidden(f"federated sources are {'admitted, refreshed and removed' if roles == {'operator'} else 'listed'}"
                        f" by the credit centre's operators{'' if roles == {'operator'} else ' and auditors'} only "
                        "(README, Federated sources)", rule="sources:" + "/".join(sorted(roles)))


OPERATORS = frozenset({"operator"})
READERS = frozenset({"operator", "auditor"})


async def admit_source(info: Info, input: Annotated[AdmitSourceInput, strawberry.argument(
        description="The source to admit.")]) -> AdmitSourcePayload:
    _require(info, OPERATORS)
    context = info.context
    try:
        admission = await resolvers.admit_source(
            context.engine, context.profile, gateway_names(), name=input.name, url=input.url, items=input.items,
            user=context.principal.user, department=context.principal.department)
    except resolvers.SourceProblems as refused:
        return AdmitSourcePayload(source=None, signing_key=None, errors=errors_of(refused.problems))
    return AdmitSourcePayload(source=FederatedSourceType(stored=admission.source), signing_key=admission.signing_key,
                              errors=[])


async def refresh_source(info: Info, input: Annotated[RefreshSourceInput, strawberry.argument(
        description="The source to refresh.")]) -> RefreshSourcePayload:
    _require(info, OPERATORS)
    context = info.context
    try:
        stored, changed = await resolvers.refresh_source(
            context.engine, context.profile, gateway_names(), name=input.name, items=input.items,
            user=context.principal.user, department=context.principal.department)
    except resolvers.SourceProblems as refused:
        return RefreshSourcePayload(source=None, changed=False, errors=errors_of(refused.problems))
    return RefreshSourcePayload(source=FederatedSourceType(stored=stored), changed=changed, errors=[])


async def remove_source(info: Info, input: Annotated[RemoveSourceInput, strawberry.argument(
        description="The source to remove.")]) -> RemoveSourcePayload:
    _require(info, OPERATORS)
    context = info.context
    try:
        stored = await resolvers.remove_source(context.engine, name=input.name, user=context.principal.user,
                                               department=context.principal.department)
    except resolvers.SourceProblems as refused:
        return RemoveSourcePayload(source=None, errors=errors_of(refused.problems))
    return RemoveSourcePayload(source=FederatedSourceType(stored=stored), errors=[])


async def sources(info: Info) -> list[FederatedSourceType]:
    _require(info, READERS)
    stored, _version = await admitted(info.context.engine)
    health = await resolvers.source_health(info.context.remote_fetcher)
    return [FederatedSourceType(stored=s, health_report=str(health.get(s.name, "unknown"))) for s in stored]
