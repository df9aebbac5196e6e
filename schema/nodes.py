"""`node(id)` and `nodes(ids)`: any object refetched by its global id (Relay object identification).

Each kind is read exactly as its own field reads it, with the same rules, masking and query log
entry: a subject as `subject(id)`, a record as `record(id)` (a refused one noted as a refusal), a
query log entry as `queryLog` (auditors), a query permit as `queryPermits`, an authorisation as
`myAuthorizations` (its subject alone), an import job as `importJob(id)` (its department, and the credit
centre's operators). What the reader may not see is null, as an id that names
nothing is: nobody learns from the answer that it exists; the query log records the refusal.
The ids of one request are read concurrently, so each kind costs one batched statement
(resolvers/loaders.py), however many ids name it.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated, Any, Optional

import strawberry
from strawberry.types import Info

from resolvers import import_jobs
from resolvers import records as record_resolvers
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, Forbidden
from resolvers.node_ids import NodeKind, decode
from resolvers.permits import require_permit_reader
from resolvers.subjects import parse_subject_id, subject_by_id
from schema.audit import QueryLogEntry
from schema.authorizations import AuthorizationType
from schema.imports import ImportJob
from schema.cases import case_node
from schema.evidence import evidence_node
from schema.permits import QueryPermitType
from schema.records import record_object
from schema.relay import Node
from schema.types import CatalogueItemType, DepartmentType, SubjectType


def _refused(ctx: RequestContext, path: list, what: str, rule: str) -> None:
    """A refusal the answer does not show (null, as not found) and the query log does (SPEC 3.1, 3.6)."""
    ctx.observed.refused.append({
        "message": f"{what} refused: no policy line opens it to this reader (deny by default); answered as not found",
        "path": list(path), "extensions": {"code": "FORBIDDEN", "rule": rule}})


def _key(key: str) -> Optional[int]:
    """A stored row's number from a decoded id; None (nothing found) when it cannot be one."""
    return int(key) if key.isascii() and key.isdigit() and len(key) <= 19 and 1 <= int(key) < 2 ** 63 else None


async def _subject(ctx: RequestContext, key: str, path: list) -> Any:
    row = await subject_by_id(ctx, key)
    return SubjectType(row=row) if row is not None else None


async def _record(ctx: RequestContext, key: str, path: list) -> Any:
    if _key(key) is None:
        return None
    row = await record_resolvers.record_by_id(ctx, key, path)
    return record_object(row) if row is not None else None


async def _catalogue_item(ctx: RequestContext, key: str, path: list) -> Any:
    row = ctx.reference.items.get(key)
    return CatalogueItemType(row=row) if row is not None else None


async def _department(ctx: RequestContext, key: str, path: list) -> Any:
    row = ctx.reference.departments.get(key)
    return DepartmentType(row=row) if row is not None else None


async def _query_permit(ctx: RequestContext, key: str, path: list) -> Any:
    try:
        require_permit_reader(ctx)
    except Forbidden:
        _refused(ctx, path, "query permit", "field:Query.queryPermits")
        return None
    ident = _key(key)
    row = await ctx.loaders.query_permit.load(ident) if ident is not None else None
    return QueryPermitType(row=row) if row is not None else None


async def _authorization(ctx: RequestContext, key: str, path: list) -> Any:
    ident = _key(key)
    row = await ctx.loaders.authorization.load(ident) if ident is not None else None
    if row is None:
        return None
    if row.subject_code != ctx.principal.subject_code:  # its subject alone reads it (HC-22)
        _refused(ctx, path, "authorisation", "HC-22: an authorisation is read by the subject that gave it")
        return None
    return AuthorizationType(row=row)


async def _query_log_entry(ctx: RequestContext, key: str, path: list) -> Any:
    if not ctx.access.field_decision("Query.queryLog", None).allowed:
        _refused(ctx, path, "query log entry", "field:Query.queryLog")
        return None
    ident = _key(key)
    row = await ctx.loaders.query_log_entry.load(ident) if ident is not None else None
    return QueryLogEntry(row=row) if row is not None else None


async def _import_job(ctx: RequestContext, key: str, path: list) -> Any:
    scope = import_jobs.readable_departments(ctx.principal, ctx.profile)
    row = await ctx.loaders.import_job.load(key) if scope is not None else None
    if scope is None or (row is not None and not import_jobs.may_read(scope, row)):
        _refused(ctx, path, "import job", "field:Query.importJob")
        return None
    return ImportJob(row=row) if row is not None else None
async def _notification(ctx: RequestContext, key: str, path: list) -> Any:
    from schema.notifications import notification_node

    ident = _key(key)
    try:
        return await notification_node(ctx, ident) if ident is not None else None
    except Forbidden:
        _refused(ctx, path, "notification", "SPEC 3.4: a notification is read by its recipient")
        return None


async def _webhook_part(ctx: RequestContext, key: str, path: list, kind: NodeKind) -> Any:
    from resolvers.webhooks import delivery_row, webhook_row
    from schema.webhooks import WebhookDeliveryType, WebhookType

    ident = _key(key)
    try:
        if kind is NodeKind.WEBHOOK:
            row = await webhook_row(ctx, ident) if ident is not None else None
            return WebhookType(row=row) if row is not None else None
        row = await delivery_row(ctx, ident) if ident is not None else None
        return WebhookDeliveryType(row=row) if row is not None else None
    except Forbidden:
        _refused(ctx, path, kind.value, "a department's webhooks are read by its officers")
        return None


async def _numbered(ctx: RequestContext, key: str, path: list, *, read, what: str, rule: str) -> Any:
    """A row read by number with `read(ctx, ident)` -> (object or None, whether it exists): an existing
    one the reader may not read is null and logged as a refusal."""
    ident = _key(key)
    found, exists = await read(ctx, ident) if ident is not None else (None, False)
    if found is None and exists:
        _refused(ctx, path, what, rule)
    return found


_case = partial(_numbered, read=case_node, what="case",
                rule="SPEC 3.4: a case is read by the centre, auditors, its subject and its provider")
_evidence_file = partial(_numbered, read=evidence_node, what="evidence file",
                         rule="HC-29: evidence is read by the parties to its objection and auditors")


_READERS = {
    NodeKind.SUBJECT: _subject, NodeKind.RECORD: _record, NodeKind.CATALOGUE_ITEM: _catalogue_item,
    NodeKind.DEPARTMENT: _department, NodeKind.QUERY_PERMIT: _query_permit, NodeKind.AUTHORIZATION: _authorization,
    NodeKind.QUERY_LOG_ENTRY: _query_log_entry, NodeKind.IMPORT_JOB: _import_job,
    NodeKind.NOTIFICATION: _notification,
    NodeKind.WEBHOOK: partial(_webhook_part, kind=NodeKind.WEBHOOK),
    NodeKind.WEBHOOK_DELIVERY: partial(_webhook_part, kind=NodeKind.WEBHOOK_DELIVERY),
    NodeKind.CASE: _case,
    NodeKind.EVIDENCE_FILE: _evidence_file,
}


def _decoded(ctx: RequestContext, text: str, argument: str) -> tuple[NodeKind, str]:
    """Every id checked before any is read: a malformed or forged one is the client's error."""
    try:
        kind, key = decode(text)
    except ValueError as exc:
        raise BadUserInput(f"{argument}: {str(text)[:60]!r} is {exc}", argument=argument) from None
    if kind is NodeKind.SUBJECT:
        try:
            parse_subject_id(ctx, key)
        except BadUserInput as error:
            raise BadUserInput(f"{argument}: {error.message}", argument=argument, fault="SUBJECT_ID") from None
    return kind, key


async def node(info: Info, id: Annotated[strawberry.ID, strawberry.argument(
        description="A global id: the `id` of any object that implements Node.")]) -> Optional[Node]:
    kind, key = _decoded(info.context, id, "id")
    return await _READERS[kind](info.context, key, info.path.as_list())


async def nodes(info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(
        description="Global ids, at most 100.")]) -> list[Optional[Node]]:
    ctx: RequestContext = info.context
    if len(ids) > ctx.max_list_codes:
        raise BadUserInput(f"ids has {len(ids)} entries; at most {ctx.max_list_codes} per query", argument="ids")
    decoded = [_decoded(ctx, text, f"ids[{index}]") for index, text in enumerate(ids)]
    path = info.path.as_list()
    return list(await asyncio.gather(*(_READERS[kind](ctx, key, [*path, index])
                                       for index, (kind, key) in enumerate(decoded))))
