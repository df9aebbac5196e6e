"""Query permits (查询申请 HC-23, 正式函件 XZ-18) in GraphQL: register, revoke, list."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from domain.enums import Visibility as VisibilityValue
from resolvers import permits as resolvers
from resolvers.errors import BadUserInput
from resolvers.node_ids import NodeKind, global_id
from schema.enums import Visibility
from schema.mutation_errors import MutationError, errors_of
from schema.relay import NODE_ID_DESCRIPTION, Node


@strawberry.type(name="QueryPermit", description=(
    "A department's approved written application to query SHARED information (Huancui, HC-23), or its "
    "official letter for a class C query (Xinzheng, XZ-18), as the credit centre registered it. A query "
    "that needs it gives its `number` as X-Query-Basis."))
class QueryPermitType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " revokeQueryPermit takes it.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.QUERY_PERMIT, self.row.id))

    @strawberry.field(description="The application's or letter's number, e.g. 环发改函〔2026〕12号: the basis "
                                  "a query names.")
    def number(self) -> str:
        return self.row.number

    @strawberry.field(description="The department it was granted to; only its officers may use it.")
    def department(self) -> str:
        return self.row.department_code

    @strawberry.field(description="Whole classes it opens (SHARED, LIMITED).")
    def classes(self) -> list[Visibility]:
        return [VisibilityValue(c) for c in self.row.scope_classes]

    @strawberry.field(description="Single catalogue items it opens, beyond its classes.")
    def catalogue_items(self) -> list[str]:
        return list(self.row.scope_items)

    @strawberry.field(description="Valid from this instant.")
    def valid_from(self) -> dt.datetime:
        return self.row.valid_from

    @strawberry.field(description="Valid until this instant (exclusive).")
    def valid_until(self) -> dt.datetime:
        return self.row.valid_until

    @strawberry.field(description="Reference of the written application or letter and its approval.")
    def document_ref(self) -> str:
        return self.row.document_ref

    @strawberry.field(description="The operator (token `sub`) who registered it.")
    def registered_by(self) -> str:
        return self.row.registered_by

    @strawberry.field(description="When it was registered.")
    def registered_at(self) -> dt.datetime:
        return self.row.registered_at

    @strawberry.field(description="When it was revoked, if it was; it opens nothing from then on.")
    def revoked_at(self) -> Optional[dt.datetime]:
        return self.row.revoked_at

    @strawberry.field(description="Who revoked it.")
    def revoked_by(self) -> Optional[str]:
        return self.row.revoked_by

    @strawberry.field(description="Why it was revoked.")
    def revocation_reason(self) -> Optional[str]:
        return self.row.revocation_reason


@strawberry.type(description="The result of registerQueryPermit: the permit as stored, or the errors.")
class RegisterQueryPermitPayload:
    permit: Optional[QueryPermitType] = strawberry.field(description="The permit as stored; null when refused.")
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.type(description="The result of revokeQueryPermit: the permit as revoked, or the errors.")
class RevokeQueryPermitPayload:
    permit: Optional[QueryPermitType] = strawberry.field(description=(
        "The permit as revoked; null when refused, except ALREADY_REVOKED, which shows it as it is."))
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.input(description="What a permit opens: whole classes (SHARED, LIMITED) and/or catalogue items.")
class QueryPermitScopeInput:
    classes: list[Visibility] = strawberry.field(default_factory=list, description="SHARED and/or LIMITED.")
    catalogue_items: list[strawberry.ID] = strawberry.field(default_factory=list, description=(
        "Catalogue item codes (at most 100)."))


@strawberry.input(description="A department's approved written application or official letter (HC-23, XZ-18).")
class RegisterQueryPermitInput:
    number: str = strawberry.field(description="Its number (at most 128 characters), unique; queries name it as "
                                               "X-Query-Basis.")
    department: strawberry.ID = strawberry.field(description="The department it was granted to (registry code).")
    scope: QueryPermitScopeInput = strawberry.field(description="What it opens.")
    valid_from: dt.datetime = strawberry.field(description="Valid from this instant (with its offset).")
    valid_until: dt.datetime = strawberry.field(description="Valid until this instant; at most 5 years later.")
    document_ref: str = strawberry.field(description="Reference of the application or letter and its approval "
                                                     "(at most 200 characters).")


@strawberry.input(description="Which permit to revoke, and why.")
class RevokeQueryPermitInput:
    id: strawberry.ID = strawberry.field(description="The permit's id.")
    reason: str = strawberry.field(description="Why it is revoked (at most 500 characters); kept in the "
                                               "submission log.")


async def register(info: Info, input: Annotated[RegisterQueryPermitInput, strawberry.argument(
        description="The permit to register.")]) -> RegisterQueryPermitPayload:
    scope = input.scope
    request = resolvers.PermitRequest(
        number=input.number, department=str(input.department),
        scope_classes=[VisibilityValue(c.value) for c in scope.classes],
        scope_items=[str(i) for i in scope.catalogue_items], valid_from=input.valid_from,
        valid_until=input.valid_until, document_ref=input.document_ref)
    row, problems = await resolvers.register_permit(info.context, request)
    return RegisterQueryPermitPayload(permit=QueryPermitType(row=row) if row is not None else None,
                                      errors=errors_of(problems))


async def revoke(info: Info, input: Annotated[RevokeQueryPermitInput, strawberry.argument(
        description="The permit to revoke.")]) -> RevokeQueryPermitPayload:
    row, problems = await resolvers.revoke_permit(info.context, input.id, input.reason)
    return RevokeQueryPermitPayload(permit=QueryPermitType(row=row) if row is not None else None,
                                    errors=errors_of(problems))


async def permits(info: Info,
                  department: Annotated[Optional[strawberry.ID], strawberry.argument(
                      description="Only this department's permits.")] = None,
                  valid_only: Annotated[bool, strawberry.argument(
                      description="Only permits valid now (not revoked, within their validity).")] = False) -> list[QueryPermitType]:
    rows = await resolvers.list_permits(info.context, str(department) if department else None, valid_only)
    return [QueryPermitType(row=r) for r in rows]
