"""The query log as auditors and subjects read it (HC-23, HC-35, XZ-19).

Entries are evidence: an old entry must always read, so a stored value outside today's
enums (a purpose or operation type since retired) reads as null, never as an error.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Annotated, Optional

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.enums import Purpose as PurposeValue
from resolvers import query_log
from resolvers.node_ids import NodeKind, global_id
from resolvers.subjects import parse_subject_code
from schema.enums import Purpose
from schema.relay import AFTER_DESCRIPTION, FIRST_DESCRIPTION, NODE_ID_DESCRIPTION, Node, PageInfo, page_info

if TYPE_CHECKING:
    from schema.types import DepartmentType

DepartmentLink = Annotated["DepartmentType", strawberry.lazy("schema.types")]


@strawberry.enum(description="How the gateway answered a logged request (gateway/query_log.py, outcome_of).")
class QueryOutcome(enum.Enum):
    OK = strawberry.enum_value("OK", description="Answered in full, without errors.")
    PARTIAL = strawberry.enum_value("PARTIAL", description="Answered with data and some errors (e.g. bad input in "
                                                           "one field).")
    ERROR = strawberry.enum_value("ERROR", description="Errors and no data: e.g. the document's own mistakes or "
                                                       "bad input.")
    REFUSED = strawberry.enum_value("REFUSED", description="A field or record was refused (FORBIDDEN, "
                                                           "PURPOSE_REQUIRED): see `refused`; what supervisors "
                                                           "list with `refusedOnly`.")
    UNAUTHENTICATED = strawberry.enum_value("UNAUTHENTICATED", description="The token was missing, invalid or "
                                                                           "expired (HTTP 401): also a refusal.")
    BAD_REQUEST = strawberry.enum_value("BAD_REQUEST", description="The request itself was malformed (HTTP 4xx, "
                                                                   "no data): e.g. a bad header or body.")
    FAILED = strawberry.enum_value("FAILED", description="The gateway failed to answer (HTTP 5xx), or the entry's "
                                                         "content could not be logged in full.")
    DISCONNECTED = strawberry.enum_value("DISCONNECTED", description="The operation ran, but the client went away "
                                                                     "before its answer was sent.")


@strawberry.enum(description="The kind of a GraphQL operation.")
class OperationType(enum.Enum):
    QUERY = strawberry.enum_value("query", description="A read.")
    MUTATION = strawberry.enum_value("mutation", description="A change (submissions, corrections, grants, "
                                                             "permits).")
    SUBSCRIPTION = strawberry.enum_value("subscription", description="A subscription (none are served yet).")


def _enum_or_none(kind: type[enum.Enum], value: Optional[str]):
    """A stored text as the enum's member; null for a value the enum no longer has (module docstring)."""
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


def _department(info: Info, code: Optional[str]):
    from schema.types import DepartmentType

    row = info.context.reference.departments.get(code) if code else None
    return DepartmentType(row=row) if row is not None else None


@strawberry.type(description="One logged GraphQL operation: who, when, how, what, why (HC-23, XZ-19). Read by "
                             "auditors (`queryLog`, `node(id)`).")
class QueryLogEntry(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION)
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.QUERY_LOG_ENTRY, self.row.seq))

    @strawberry.field(description="The entry's sequence number in the chain: increasing, without gaps; the "
                                  "connection's cursor.")
    def seq(self) -> int:
        return self.row.seq

    @strawberry.field(description="When the request arrived (an instant, UTC).")
    def at(self) -> dt.datetime:
        return self.row.at

    @strawberry.field(description="The request's id (header X-Request-Id, or the gateway's), to find it in the "
                                  "service's own logs.")
    def request_id(self) -> str:
        return self.row.request_id

    @strawberry.field(description="The querier (token `sub`); null for the public.")
    def user(self) -> Optional[str]:
        return self.row.user

    @strawberry.field(description="The querier's name (HC-23 查询人员姓名), from the token's name claim; "
                                  "null for the public, a subject's own token without one, and entries "
                                  "written before names were logged.")
    def user_name(self) -> Optional[str]:
        return self.row.user_name

    @strawberry.field(description="The querier's department (token `dept`); null for the public and subjects, "
                                  "and for a code no longer in the registry (see `departmentCode`).")
    def department(self, info: Info) -> Optional[DepartmentLink]:
        return _department(info, self.row.department)

    @strawberry.field(description="The querier's department code as logged, what `QueryLogFilter.department` "
                                  "matches; null for the public and subjects.")
    def department_code(self) -> Optional[strawberry.ID]:
        return strawberry.ID(self.row.department) if self.row.department is not None else None

    @strawberry.field(description="The roles the token claimed, as logged (officer, submitter, agency, operator, "
                                  "auditor; a token may claim others, which grant nothing), sorted.")
    def roles(self) -> list[str]:
        return list(self.row.roles)

    @strawberry.field(description="The network address the request came from, as the gateway saw it.")
    def client(self) -> Optional[str]:
        return self.row.client

    @strawberry.field(description="The operation's name: the request's `operationName`, else the document's "
                                  "first operation's; null when it has none.")
    def operation_name(self) -> Optional[str]:
        return self.row.operation_name

    @strawberry.field(description="Query or mutation; null when the document did not parse.")
    def operation_type(self) -> Optional[OperationType]:
        return _enum_or_none(OperationType, self.row.operation_type)

    @strawberry.field(description="SHA-256 of the document; the text is stored once per hash.")
    def document_hash(self) -> Optional[str]:
        return self.row.document_hash

    @strawberry.field(description="Variables, personal identifiers masked.")
    def variables(self) -> JSON:
        return self.row.variables

    @strawberry.field(description="The purpose the request declared (X-Query-Purpose, HC-23, XZ-18); null when "
                                  "none was (an unknown purpose is refused before it is logged as one).")
    def purpose(self) -> Optional[Purpose]:
        return _enum_or_none(PurposeValue, self.row.purpose)

    @strawberry.field(description="The basis the request declared (X-Query-Basis): a case, file or query permit "
                                  "number; null when none was.")
    def basis(self) -> Optional[str]:
        return self.row.basis

    @strawberry.field(description="The number of the subject's authorisation (HC-22) the request read under, if "
                                  "any.", deprecation_reason="Use authorizationGlobalId (a global id, like "
                                                             "every other id); removed in 0.3.0.")
    def authorization_id(self) -> Optional[int]:
        return self.row.authorization_id

    @strawberry.field(description="The global id of the subject's authorisation (HC-22) the request read under, "
                                  "if any (the subject alone may refetch it).")
    def authorization_global_id(self) -> Optional[strawberry.ID]:
        ident = self.row.authorization_id
        return strawberry.ID(global_id(NodeKind.AUTHORIZATION, ident)) if ident is not None else None

    @strawberry.field(description="The subjects the answer was about (codes, as logged), sorted.")
    def subjects(self) -> list[str]:
        return list(self.row.subjects)

    @strawberry.field(description="The numbers of the records the answer carried, sorted.",
                      deprecation_reason="Use recordGlobalIds (global ids, like every other id); removed in 0.3.0.")
    def record_ids(self) -> list[int]:
        return list(self.row.record_ids)

    @strawberry.field(description="The global ids of the records the answer carried, in record number order: "
                                  "`nodes(ids)` refetches those the reader may see.")
    def record_global_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(global_id(NodeKind.RECORD, r)) for r in self.row.record_ids]

    @strawberry.field(description="Refused fields and records, with their paths and the missing rule.")
    def refused(self) -> JSON:
        return self.row.refused

    @strawberry.field(description="How the gateway answered.")
    def outcome(self) -> QueryOutcome:
        return QueryOutcome(self.row.outcome)

    @strawberry.field(description="How long the gateway took to answer, in milliseconds.")
    def duration_ms(self) -> float:
        return self.row.duration_ms

    @strawberry.field(description="Hash of the previous entry: the chain `credit-gateway verify-log` walks.")
    def prev_hash(self) -> str:
        return self.row.prev_hash

    @strawberry.field(description="SHA-256 of this entry's content and `prevHash`: altering any entry breaks the "
                                  "chain from there on.")
    def entry_hash(self) -> str:
        return self.row.entry_hash


@strawberry.type(description="One query log entry in a page, with its cursor.")
class QueryLogEdge:
    cursor: str = strawberry.field(description="The entry's position: pass it as `after` for the entries older "
                                               "than it.")
    node: QueryLogEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the query log, newest first.")
class QueryLogConnection:
    total_count: int = strawberry.field(description="How many entries match the filter, on every page.")
    edges: list[QueryLogEdge] = strawberry.field(description="The page's entries, newest first.")
    page_info: PageInfo = strawberry.field(description="Where the page lies: `endCursor` for the next one.")
    has_next_page: bool = strawberry.field(description="Whether older entries follow.",
                                           deprecation_reason="Use pageInfo.hasNextPage; removed in 0.3.0.")
    end_cursor: Optional[str] = strawberry.field(description="The last entry's cursor.",
                                                 deprecation_reason="Use pageInfo.endCursor; removed in 0.3.0.")


@strawberry.input(description="Narrow the query log; every field optional, the given ones all apply.")
class QueryLogFilter:
    user: Optional[str] = strawberry.field(default=None, description="Only this querier's entries (token `sub`).")
    department: Optional[str] = strawberry.field(default=None, description=(
        "Only entries of queriers of this department (its code, as `QueryLogEntry.departmentCode`)."))
    subject: Optional[strawberry.ID] = strawberry.field(default=None, description=(
        "Only entries whose answer was about this subject (its full code)."))
    purpose: Optional[Purpose] = strawberry.field(default=None, description="Only entries that declared this "
                                                                            "purpose.")
    from_: Optional[dt.datetime] = strawberry.field(name="from", default=None, description=(
        "Only entries at or after this instant (with its offset)."))
    to: Optional[dt.datetime] = strawberry.field(default=None, description="Only entries before this instant "
                                                                           "(exclusive).")
    refused_only: bool = strawberry.field(default=False, description=(
        "Only refusals (outcome REFUSED or UNAUTHENTICATED), as supervisors review them (SPEC 3.6)."))


@strawberry.type(description="A query about the subject, as the subject sees it in its credit report (XZ-19).")
class QueryHistoryItem:
    row: strawberry.Private[Row]
    shows_names: strawberry.Private[bool]

    @strawberry.field(description="When the query arrived (an instant, UTC).")
    def at(self) -> dt.datetime:
        return self.row.at

    @strawberry.field(description="The querier (token `sub`); null for the public.")
    def user(self) -> Optional[str]:
        return self.row.user

    @strawberry.field(description="The querier's name (HC-23 查询人员姓名): shown to readers of the query log "
                                  "(auditors), null for others.")
    def user_name(self) -> Optional[str]:
        return self.row.user_name if self.shows_names else None

    @strawberry.field(description="The querier's department; null for the public and subjects.")
    def department(self, info: Info) -> Optional[DepartmentLink]:
        return _department(info, self.row.department)

    @strawberry.field(description="The purpose the query declared (HC-23, XZ-18); null when none was.")
    def purpose(self) -> Optional[Purpose]:
        return _enum_or_none(PurposeValue, self.row.purpose)

    @strawberry.field(description="The basis the query declared (a case, file or query permit number); null when "
                                  "none was.")
    def basis(self) -> Optional[str]:
        return self.row.basis

    @strawberry.field(description="The operation's name, if it had one.")
    def operation_name(self) -> Optional[str]:
        return self.row.operation_name


@strawberry.type(description="One query of a subject's history in a page, with its cursor.")
class QueryHistoryEdge:
    cursor: str = strawberry.field(description="The query's position: pass it as `after` for older ones.")
    node: QueryHistoryItem = strawberry.field(description="The query.")


@strawberry.type(description="A page of a subject's query history, newest first (XZ-19).")
class QueryHistoryConnection:
    subject_code: strawberry.Private[str]
    edges: list[QueryHistoryEdge] = strawberry.field(description="The page's queries, newest first.")
    page_info: PageInfo = strawberry.field(description="Where the page lies: `endCursor` for the next one.")

    @strawberry.field(description="How many logged queries touched the subject: `Subject.queryCount`.")
    async def total_count(self, info: Info) -> int:
        return await info.context.loaders.query_count.load(self.subject_code)


def history_items(info: Info, rows: list[Row]) -> list[QueryHistoryItem]:
    """Names are the log's (HC-23): whoever may read the query log sees them here, no one else."""
    names = info.context.access.field_decision("Query.queryLog", None).allowed
    return [QueryHistoryItem(row=r, shows_names=names) for r in rows]


async def query_history(info: Info, subject: Row, first: int, after: Optional[str]) -> QueryHistoryConnection:
    """The subject itself and auditors (policy line `field:Subject.queryHistory`)."""
    info.context.access.require_field("Subject.queryHistory", subject, info.path.as_list())
    subject_code = subject.code
    page = await query_log.history(info.context, subject_code, first, after)
    edges = [QueryHistoryEdge(cursor=str(item.row.seq), node=item) for item in history_items(info, page.rows)]
    return QueryHistoryConnection(subject_code=subject_code, edges=edges,
                                  page_info=page_info([e.cursor for e in edges], page.has_next, after))


async def query_log_field(
        info: Info,
        filter: Annotated[Optional[QueryLogFilter], strawberry.argument(description="Which entries; all when "
                                                                                    "omitted.")] = None,
        first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = 20,
        after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
) -> Optional[QueryLogConnection]:
    """Auditors only (policy line `field:Query.queryLog`)."""
    info.context.access.require_field("Query.queryLog", None, info.path.as_list())
    given = filter or QueryLogFilter()
    log_filter = query_log.LogFilter(
        user=given.user, department=given.department,
        subject=parse_subject_code(given.subject) if given.subject else None,
        purpose=PurposeValue(given.purpose.value) if given.purpose else None,
        date_from=given.from_, date_to=given.to, refused_only=given.refused_only)
    page = await query_log.search(info.context, log_filter, first, after)
    edges = [QueryLogEdge(cursor=str(r.seq), node=QueryLogEntry(row=r)) for r in page.rows]
    info_ = page_info([e.cursor for e in edges], page.has_next, after)
    return QueryLogConnection(total_count=page.total, edges=edges, page_info=info_, has_next_page=info_.has_next_page,
                              end_cursor=info_.end_cursor)
