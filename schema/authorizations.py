"""Authorisations (书面授权, HC-22, XZ-18) and access explanations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from domain.enums import Purpose as PurposeValue
from domain.enums import Visibility as VisibilityValue
from resolvers import access as access_resolvers
from resolvers import authorizations as resolvers
from resolvers import subjects as subject_resolvers
from resolvers.bounds import parse_id
from resolvers.errors import BadUserInput
from resolvers.node_ids import NodeKind, global_id
from schema.enums import Purpose, Visibility
from schema.mutation_errors import MutationError, errors_of
from schema.records import CreditRecord, visible_record
from schema.relay import NODE_ID_DESCRIPTION, Node
from schema.types import CatalogueItemType, DepartmentType, SubjectType


@strawberry.type(name="Authorization", description=(
    "A subject's written authorisation (书面授权) for one grantee, a user or a department, to read its non-public "
    "records within a scope, for one purpose and a time window (HC-22, XZ-18). It applies to a request while it is "
    "valid (from validFrom, before validUntil, not revoked), the reader is its grantee, and the request declares "
    "its purpose and its reference as X-Query-Basis. Only the subject that gave it sees it (`myAuthorizations`)."))
class AuthorizationType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " Pass it to revokeAuthorization.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.AUTHORIZATION, self.row.id))

    @strawberry.field(description=(
        "The subject that gave it, read as the caller may read it (the subject itself sees itself)."))
    async def subject(self, info: Info) -> Optional[SubjectType]:
        row = await subject_resolvers.subject_by_code(info.context, self.row.subject_code)
        return SubjectType(row=row) if row is not None else None

    @strawberry.field(description="The code of the subject that gave it.",
                      deprecation_reason="Use `subject { code }`; kept for one release.")
    def subject_code(self) -> str:
        return self.row.subject_code

    @strawberry.field(description="The user (token `sub`) it authorises, when it names a user; else null.")
    def grantee_user(self) -> Optional[str]:
        return self.row.grantee_user

    @strawberry.field(description=(
        "The department it authorises (each of its officers), when it names a department; else null."))
    def grantee_department(self, info: Info) -> Optional[DepartmentType]:
        code = self.row.grantee_department
        row = info.context.reference.departments.get(code) if code else None
        return DepartmentType(row=row) if row is not None else None

    @strawberry.field(description="Single catalogue items whose records it opens, beyond its classes.")
    def catalogue_items(self, info: Info) -> list[CatalogueItemType]:
        items = info.context.reference.items
        return [CatalogueItemType(row=items[code]) for code in self.row.scope_items if code in items]

    @strawberry.field(description="Whole classes (公开属性) whose records it opens: never PUBLIC, which needs none.")
    def classes(self) -> list[Visibility]:
        return [VisibilityValue(c) for c in self.row.scope_classes]

    @strawberry.field(description="The one purpose a request must declare (X-Query-Purpose) for it to apply.")
    def purpose(self) -> Purpose:
        return PurposeValue(self.row.purpose)

    @strawberry.field(description="It applies from this instant (UTC).")
    def valid_from(self) -> dt.datetime:
        return self.row.valid_from

    @strawberry.field(description="It applies until before this instant (UTC); at most 5 years after validFrom.")
    def valid_until(self) -> dt.datetime:
        return self.row.valid_until

    @strawberry.field(description=(
        "Reference of the written authorisation (书面授权书编号); a request names it as X-Query-Basis."))
    def written_authorization_ref(self) -> str:
        return self.row.written_ref

    @strawberry.field(description="When the subject revoked it (UTC); it opens nothing from the next request on.")
    def revoked_at(self) -> Optional[dt.datetime]:
        return self.row.revoked_at


@strawberry.input(description="Who is authorised: exactly one of a user or a department.")
class GranteeInput:
    user: Optional[str] = strawberry.field(default=None, description=(
        "The user (token `sub`, at most 128 characters) the authorisation names."))
    department: Optional[strawberry.ID] = strawberry.field(default=None, description=(
        "The department (registry code, see `departments`) whose officers it authorises."))


@strawberry.input(description=(
    "What the grantee may read: catalogue items and/or whole classes; at least one of them (HC-22)."))
class AuthorizationScopeInput:
    catalogue_items: list[strawberry.ID] = strawberry.field(default_factory=list, description=(
        "Catalogue item codes (see `catalogue`, at most 100) whose records it opens."))
    classes: list[Visibility] = strawberry.field(default_factory=list, description=(
        "Whole classes it opens: AUTHORIZED, SHARED, LIMITED; not PUBLIC, which needs no authorisation."))


@strawberry.input(description="A subject's written authorisation, as it gives it (HC-22, XZ-18).")
class GrantAuthorizationInput:
    grantee: GranteeInput = strawberry.field(description="Who is authorised.")
    scope: AuthorizationScopeInput = strawberry.field(description="What the grantee may read.")
    purpose: Purpose = strawberry.field(description="The one purpose the grantee's requests must declare.")
    valid_from: dt.datetime = strawberry.field(description="It applies from this instant (with its offset).")
    valid_until: dt.datetime = strawberry.field(description=(
        "It applies until before this instant (with its offset): after validFrom, in the future, at most 5 years "
        "after validFrom."))
    written_authorization_ref: str = strawberry.field(description=(
        "Reference of the written authorisation (书面授权书编号, 1 to 128 characters)."))


@strawberry.input(description="Which of your authorisations to revoke.")
class RevokeAuthorizationInput:
    id: strawberry.ID = strawberry.field(description="The authorisation's id (`myAuthorizations { id }`).")


@strawberry.type(description="The result of grantAuthorization: the authorisation as stored, or the errors.")
class GrantAuthorizationPayload:
    authorization: Optional[AuthorizationType] = strawberry.field(description=(
        "The authorisation as stored; null when refused."))
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.type(description="The result of revokeAuthorization: the authorisation as revoked, or the errors.")
class RevokeAuthorizationPayload:
    authorization: Optional[AuthorizationType] = strawberry.field(description=(
        "The authorisation as revoked; null when refused, except ALREADY_REVOKED, which shows it as it is."))
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.type(description=(
    "Whether the caller may read a record, and which policy line decided. For a record the caller may not "
    "see, the same answer as for a record that does not exist (SPEC 3.1)."))
class AccessExplanation:
    record_id: strawberry.ID = strawberry.field(
        description="The number of the record asked about (0.1.0's id).",
        deprecation_reason="Use `record { id }` (null when you may not read it; `reasons` name the record by its "
                           "global id); removed in 0.3.0.")
    allowed: bool = strawberry.field(description="Whether the caller may read it with what this request declared.")
    decided_by: Optional[str] = strawberry.field(description="The policy line that allows it, as written.")
    reasons: list[str] = strawberry.field(description=(
        "The record's class, item and status and, per role, the line that allows it or deny by default; "
        "authorisations and query permits that do not apply, and why. Records and authorisations are named by "
        "their global ids (`id`), as `node(id)` takes them."))

    @strawberry.field(description="The record asked about, read with the caller's access: null when it does not exist "
                                  "or the caller may not see it (the same answer), as `record(id)` answers.")
    async def record(self, info: Info) -> Optional[CreditRecord]:
        return await visible_record(info, self.record_id)


async def grant(info: Info, input: Annotated[GrantAuthorizationInput, strawberry.argument(
        description="The authorisation to give.")]) -> GrantAuthorizationPayload:
    grantee, scope = input.grantee, input.scope
    request = resolvers.GrantRequest(
        grantee_user=grantee.user, grantee_department=str(grantee.department) if grantee.department else None,
        scope_items=[str(i) for i in scope.catalogue_items], scope_classes=[VisibilityValue(c.value) for c in scope.classes],
        purpose=PurposeValue(input.purpose.value), valid_from=input.valid_from, valid_until=input.valid_until,
        written_ref=input.written_authorization_ref,
    )
    row, problems = await resolvers.grant_authorization(info.context, request)
    return GrantAuthorizationPayload(authorization=AuthorizationType(row=row) if row is not None else None,
                                     errors=errors_of(problems))


async def revoke(info: Info, input: Annotated[RevokeAuthorizationInput, strawberry.argument(
        description="The authorisation to revoke.")]) -> RevokeAuthorizationPayload:
    row, problems = await resolvers.revoke_authorization(info.context, input.id)
    return RevokeAuthorizationPayload(authorization=AuthorizationType(row=row) if row is not None else None,
                                      errors=errors_of(problems))


async def mine(info: Info) -> list[AuthorizationType]:
    return [AuthorizationType(row=r) for r in await resolvers.my_authorizations(info.context)]


async def explanation(info: Info, record_id: Annotated[strawberry.ID, strawberry.argument(description=(
        "The record's `id` (deprecated until 0.3.0: the record's number, 0.1.0's id)."))]) -> AccessExplanation:
    ident = parse_id(record_id, "recordId")
    ctx = info.context
    result = await access_resolvers.explain(ctx.engine, ctx.access, ident, ctx.purpose, ctx.today, ctx.now)
    return AccessExplanation(record_id=strawberry.ID(str(result.record_id)), allowed=result.allowed,
                             decided_by=result.decided_by, reasons=result.reasons)
