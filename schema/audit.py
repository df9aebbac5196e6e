"""The query log as auditors and subjects read it (HC-23, HC-35, XZ-19)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.enums import Purpose as PurposeValue
from resolvers import query_log
from resolvers.bounds import MAX_ID, parse_id
from resolvers.errors import BadUserInput
from resolvers.subjects import parse_subject_code
from schema.enums import Purpose


@strawberry.type(description="One logged GraphQL operation: who, when, how, what, why (HC-23, XZ-19).")
class QueryLogEntryType:
    row: strawberry.Private[Row]

    @strawberry.field
    def seq(self) -> int:
        return self.row.seq

    @strawberry.field
    def at(self) -> dt.datetime:
        return self.row.at

    @strawberry.field
    def request_id(self) -> str:
        return self.row.request_id

    @strawberry.field
    def user(self) -> Optional[str]:
        return self.row.user

    @strawberry.field(description="The querier's name (HC-23 查询人员姓名), from the token's name claim; "
                                  "null for the public, a subject's own token without one, and entries "
                                  "written before names were logged.")
    def user_name(self) -> Optional[str]:
        return self.row.user_name

    @strawberry.field
    def department(self) -> Optional[str]:
        return self.row.department

    @strawberry.field
    def roles(self) -> list[str]:
        return list(self.row.roles)

    @strawberry.field
    def client(self) -> Optional[str]:
        return self.row.client

    @strawberry.field
    def operation_name(self) -> Optional[str]:
        return self.row.operation_name

    @strawberry.field
    def operation_type(self) -> Optional[str]:
        return self.row.operation_type

    @strawberry.field(description="SHA-256 of the document; the text is stored once per hash.")
    def document_hash(self) -> Optional[str]:
        return self.row.document_hash

    @strawberry.field(description="Variables, personal identifiers masked.")
    def variables(self) -> JSON:
        return self.row.variables

    @strawberry.field
    def purpose(self) -> Optional[str]:
        return self.row.purpose

    @strawberry.field
    def basis(self) -> Optional[str]:
        return self.row.basis

    @strawberry.field
    def authorization_id(self) -> Optional[int]:
        return self.row.authorization_id

    @strawberry.field
    def subjects(self) -> list[str]:
        return list(self.row.subjects)

    @strawberry.field
    def record_ids(self) -> list[int]:
        return list(self.row.record_ids)

    @strawberry.field(description="Refused fields and records, with their paths and the missing rule.")
    def refused(self) -> JSON:
        return self.row.refused

    @strawberry.field(description="OK, PARTIAL, ERROR, REFUSED, UNAUTHENTICATED, BAD_REQUEST or FAILED.")
    def outcome(self) -> str:
        return self.row.outcome

    @strawberry.field
    def duration_ms(self) -> float:
        return self.row.duration_ms

    @strawberry.field(description="Hash of the previous entry: the chain `credit-gateway verify-log` walks.")
    def prev_hash(self) -> str:
        return self.row.prev_hash

    @strawberry.field
    def entry_hash(self) -> str:
        return self.row.entry_hash


@strawberry.type
class QueryLogEdge:
    cursor: str
    node: QueryLogEntryType


@strawberry.type
class QueryLogConnection:
    total_count: int
    edges: list[QueryLogEdge]
    has_next_page: bool
    end_cursor: Optional[str]


@strawberry.input(description="Narrow the query log; every field optional.")
class QueryLogFilter:
    user: Optional[str] = None
    department: Optional[str] = None
    subject: Optional[strawberry.ID] = None
    purpose: Optional[Purpose] = None
    from_: Optional[dt.datetime] = strawberry.field(name="from", default=None)
    to: Optional[dt.datetime] = None
    refused_only: bool = False


@strawberry.type(description="A query about the subject, as the subject sees it in its credit report.")
class QueryHistoryItem:
    at: dt.datetime
    user: Optional[str]
    user_name: Optional[str] = strawberry.field(description=(
        "The querier's name (HC-23 查询人员姓名): shown to readers of the query log (auditors), null for others."))
    department: Optional[str]
    purpose: Optional[str]
    basis: Optional[str]
    operation_name: Optional[str]


async def query_log_field(info: Info, filter: Optional[QueryLogFilter] = None, first: int = 20,
                          after: Optional[str] = None) -> Optional[QueryLogConnection]:
    """Auditors only (policy line `field:Query.queryLog`)."""
    info.context.access.require_field("Query.queryLog", None, info.path.as_list())
    given = filter or QueryLogFilter()
    try:
        cursor = parse_id(after, "after", "query log entry") if after else None
    except BadUserInput:
        raise BadUserInput(f"after: invalid cursor {after[:60]!r}: pass an endCursor returned by this API "
                           f"(a query log sequence number from 1 to {MAX_ID})", argument="after") from None
    log_filter = query_log.LogFilter(
        user=given.user, department=given.department,
        subject=parse_subject_code(given.subject) if given.subject else None,
        purpose=PurposeValue(given.purpose.value) if given.purpose else None,
        date_from=given.from_, date_to=given.to, refused_only=given.refused_only)
    page = await query_log.search(info.context, log_filter, first, cursor)
    edges = [QueryLogEdge(cursor=str(r.seq), node=QueryLogEntryType(row=r)) for r in page.rows]
    return QueryLogConnection(total_count=page.total, edges=edges, has_next_page=page.has_next,
                              end_cursor=edges[-1].cursor if edges else None)
