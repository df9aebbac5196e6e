"""Authorisations (书面授权, HC-22, XZ-18) and access explanations."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from domain.enums import Purpose as PurposeValue
from domain.enums import Visibility as VisibilityValue
from resolvers import access as access_resolvers
from resolvers import authorizations as resolvers
from resolvers.bounds import parse_id
from resolvers.errors import BadUserInput
from resolvers.node_ids import NodeKind, global_id
from schema.enums import Purpose, Visibility
from schema.relay import NODE_ID_DESCRIPTION, Node


@strawberry.type(description="A subject's written authorisation for a grantee to read its non-public records.")
class AuthorizationType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION)
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.AUTHORIZATION, self.row.id))

    @strawberry.field(description="The subject that gave it.")
    def subject_code(self) -> str:
        return self.row.subject_code

    @strawberry.field
    def grantee_user(self) -> Optional[str]:
        return self.row.grantee_user

    @strawberry.field
    def grantee_department(self) -> Optional[str]:
        return self.row.grantee_department

    @strawberry.field
    def catalogue_items(self) -> list[str]:
        return list(self.row.scope_items)

    @strawberry.field
    def classes(self) -> list[Visibility]:
        return [VisibilityValue(c) for c in self.row.scope_classes]

    @strawberry.field
    def purpose(self) -> Purpose:
        return PurposeValue(self.row.purpose)

    @strawberry.field
    def valid_from(self) -> dt.datetime:
        return self.row.valid_from

    @strawberry.field
    def valid_until(self) -> dt.datetime:
        return self.row.valid_until

    @strawberry.field(description="Reference of the written authorisation (书面授权书编号).")
    def written_authorization_ref(self) -> str:
        return self.row.written_ref

    @strawberry.field
    def revoked_at(self) -> Optional[dt.datetime]:
        return self.row.revoked_at


@strawberry.input(description="Who is authorised: exactly one of a user (token `sub`) or a department code.")
class GranteeInput:
    user: Optional[str] = None
    department: Optional[strawberry.ID] = None


@strawberry.input(description="What the grantee may read: catalogue items and/or whole classes (not PUBLIC).")
class AuthorizationScopeInput:
    catalogue_items: list[strawberry.ID] = strawberry.field(default_factory=list)
    classes: list[Visibility] = strawberry.field(default_factory=list)


@strawberry.type(description=(
    "Whether the caller may read a record, and which policy line decided. For a record the caller may not "
    "see, the same answer as for a record that does not exist (SPEC 3.1)."))
class AccessExplanation:
    record_id: strawberry.ID = strawberry.field(description="The record asked about.")
    allowed: bool = strawberry.field(description="Whether the caller may read it with what this request declared.")
    decided_by: Optional[str] = strawberry.field(description="The policy line that allows it, as written.")
    reasons: list[str] = strawberry.field(description=(
        "The record's class, item and status and, per role, the line that allows it or deny by default; "
        "authorisations and query permits that do not apply, and why."))


async def grant(info: Info, grantee: GranteeInput, scope: AuthorizationScopeInput, purpose: Purpose,
                valid_from: dt.datetime, valid_until: dt.datetime, written_authorization_ref: str) -> AuthorizationType:
    if len(scope.catalogue_items) > 100 or len(scope.classes) > 4:
        raise BadUserInput("scope: at most 100 catalogue items and 4 classes")
    request = resolvers.GrantRequest(
        grantee_user=grantee.user, grantee_department=str(grantee.department) if grantee.department else None,
        scope_items=[str(i) for i in scope.catalogue_items], scope_classes=[VisibilityValue(c.value) for c in scope.classes],
        purpose=PurposeValue(purpose.value), valid_from=valid_from, valid_until=valid_until,
        written_ref=written_authorization_ref,
    )
    return AuthorizationType(row=await resolvers.grant_authorization(info.context, request))


async def revoke(info: Info, id: strawberry.ID) -> AuthorizationType:
    return AuthorizationType(row=await resolvers.revoke_authorization(info.context, id))


async def mine(info: Info) -> list[AuthorizationType]:
    return [AuthorizationType(row=r) for r in await resolvers.my_authorizations(info.context)]


async def explanation(info: Info, record_id: strawberry.ID) -> AccessExplanation:
    ident = parse_id(record_id, "recordId")
    ctx = info.context
    result = await access_resolvers.explain(ctx.engine, ctx.access, ident, ctx.purpose, ctx.today, ctx.now)
    return AccessExplanation(record_id=strawberry.ID(str(result.record_id)), allowed=result.allowed,
                             decided_by=result.decided_by, reasons=result.reasons)
