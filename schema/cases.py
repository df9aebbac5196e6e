"""Cases in GraphQL (SPEC 3.4): revocation (HC-30), credit repair (HC-31), honour deletion (HC-33).

The mutations take one step of domain/workflows.py each; `cases` lists every case for the credit
centre and auditors, `myCases` a subject's own or a department's (the cases on its records).
"""

from __future__ import annotations

import datetime as dt
import enum
from functools import partial
from typing import Annotated, Optional

import strawberry
from aiodataloader import DataLoader
from sqlalchemy import Row
from strawberry.types import Info

from domain import enums as domain_enums
from domain.workflows import CASE_STATES, STATE_DESCRIPTIONS, is_overdue
from resolvers import cases as resolvers
from resolvers.bounds import DEFAULT_FIRST
from resolvers.context import RequestContext
from resolvers.node_ids import NodeKind, global_id
from resolvers.pages import KeysetPage
from schema.enums import described
from schema.history import RecordEventKind
from schema.mutation_errors import MutationError, errors_of
from schema.records import CreditRecord, visible_record
from schema.relay import AFTER_DESCRIPTION, FIRST_DESCRIPTION, NODE_ID_DESCRIPTION, Node, PageInfo, page_info
from schema.types import DepartmentType, SubjectType

CaseKind = described(domain_enums.CaseKind, "What a case is about (SPEC 3.4).", {
    "REVOCATION": "The decision behind a bad record was revoked: the record is deleted within 3 working days of "
                  "the provider's written notice (HC-30).",
    "REPAIR": "Credit repair: on the provider's written certificate the record leaves the query interface (HC-31).",
    "HONOUR_DELETION": "The subject asked to delete an award, volunteer or charity record; the provider deletes it "
                       "within 5 working days (HC-33).",
    "OBJECTION": "An objection to a record: the centre compares (HC-29) or forwards (XZ-23) within 3 working days, "
                 "the provider verifies within 15 (fileObjection and the steps after it).",
})
CaseParty = described(domain_enums.CaseParty, "Who acts on a case.", {
    "SUBJECT": "The information subject.",
    "PROVIDER": "The record's provider department.",
    "CENTRE": "The credit centre (信用中心).",
    "NONE": "Nobody: the case is closed.",
})
CaseState = strawberry.enum(enum.Enum("CaseState", {s: s for s in CASE_STATES}),
                            description="Where a case stands (domain/workflows.py).")
for _value in CaseState.__strawberry_definition__.values:
    _value.description = STATE_DESCRIPTIONS[_value.value]


def _loaders(ctx: RequestContext) -> dict[str, DataLoader]:
    """This request's case loaders (steps, tombstones): one statement per page, not one per case."""
    found = vars(ctx).get("_case_loaders")
    if found is None:
        found = {"steps": DataLoader(partial(resolvers.case_steps, ctx)),
                 "tombstones": DataLoader(partial(resolvers.tombstones, ctx)),
                 "cases": DataLoader(partial(resolvers.cases_by_id, ctx))}
        vars(ctx)["_case_loaders"] = found
    return found


@strawberry.type(description="One dated step of a case: the event it wrote on the record (SPEC 3.4).")
class CaseStep:
    row: strawberry.Private[Row]

    @strawberry.field(description="What happened.")
    def kind(self) -> RecordEventKind:
        return domain_enums.RecordEventKind(self.row.kind)

    @strawberry.field(description="The jurisdiction day (Asia/Shanghai) it took effect.")
    def effective_on(self) -> dt.date:
        return self.row.effective_on

    @strawberry.field(description="When it was recorded (UTC instant).")
    def at(self) -> dt.datetime:
        return self.row.at

    @strawberry.field(description="The department that took it (null for the subject).")
    def department(self) -> Optional[str]:
        return self.row.actor_department or None

    @strawberry.field(description="The written document it rests on (notice, certificate), if any.")
    def document(self) -> Optional[str]:
        return self.row.document_ref


@strawberry.type(description=(
    "What stays of a record deleted from the live tables (revocation HC-30, honour deletion HC-33): enough for "
    "logs naming its id to stay readable, no content."))
class RecordTombstone:
    row: strawberry.Private[Row]

    @strawberry.field(description="The deleted record's global id, as logs and earlier answers name it.")
    def record_id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.RECORD, self.row.record_id))

    @strawberry.field(description="The deleted record's number (what the query log's record ids hold).")
    def record_number(self) -> int:
        return self.row.record_id

    @strawberry.field(description="Its provider department's code.")
    def provider_code(self) -> str:
        return self.row.provider_code

    @strawberry.field(description="Its catalogue item's code.")
    def catalogue_item_code(self) -> str:
        return self.row.catalogue_item_code

    @strawberry.field(description="The number of the document the record rested on.")
    def document_number(self) -> str:
        return self.row.document_number

    @strawberry.field(description="Why it was deleted: REVOKED, HONOUR_DELETED or RETENTION_ENDED.")
    def reason(self) -> RecordEventKind:
        return domain_enums.RecordEventKind(self.row.reason)

    @strawberry.field(description="The revocation's or the request's reference.")
    def reference(self) -> Optional[str]:
        return self.row.reference

    @strawberry.field(description="The jurisdiction day it was deleted.")
    def deleted_on(self) -> dt.date:
        return self.row.effective_on


@strawberry.type(name="Case", description=(
    "A revocation, credit repair or honour deletion on one record (SPEC 3.4): its state, who acts next and by "
    "when, in Chinese working days (provisional where the year's holidays are not published yet)."))
class CaseType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " completeRevocation and deleteHonour take it as `caseId`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.CASE, self.row.id))

    @strawberry.field(description="The case's number: a credit-centre operator names it in X-Query-Basis as "
                                  "`case:<number>` to read the subject's records while the case is open (SPEC 3.1).")
    def number(self) -> int:
        return self.row.id

    @strawberry.field(description="What the case is about.")
    def kind(self) -> CaseKind:
        return domain_enums.CaseKind(self.row.kind)

    @strawberry.field(description="Where it stands.")
    def state(self) -> CaseState:
        return CaseState(self.row.state)

    @strawberry.field(description="Who must act next; NONE when closed.")
    def next_party(self) -> CaseParty:
        return domain_enums.CaseParty(self.row.next_party)

    @strawberry.field(description="The last day (Asia/Shanghai) for the next party's step, counted in working days "
                                  "from the day the case was opened (start day not counted); null without deadline.")
    def due_on(self) -> Optional[dt.date]:
        return self.row.due_on

    @strawberry.field(description="Whether `dueOn` crossed a year whose holiday schedule is not published yet "
                                  "(counted from the statutory holidays; SPEC 3.4).")
    def due_provisional(self) -> bool:
        return bool(self.row.due_provisional)

    @strawberry.field(description="Whether the case is open and its `dueOn` has passed (listed for the centre).")
    def overdue(self, info: Info) -> bool:
        return is_overdue(self.row.due_on, self.row.closed_at is not None, info.context.today)

    @strawberry.field(description="The written notice or certificate the case rests on (HC-30, HC-31).")
    def document(self) -> Optional[str]:
        return self.row.document_ref

    @strawberry.field(description="The subject's reason (honour deletion, HC-33) or an objection's statement "
                                  "(HC-29, XZ-22).")
    def reason(self) -> Optional[str]:
        return self.row.reason

    @strawberry.field(description="An objection's ground (HC-29(1)-(3)); null for other kinds.")
    def objection_ground(self) -> Optional[Annotated["ObjectionGround", strawberry.lazy("schema.objections")]]:
        value = (self.row.detail or {}).get("ground")
        return domain_enums.ObjectionGround(value) if value else None

    @strawberry.field(description="How an objection reached the centre (XZ-22); null for other kinds.")
    def objection_channel(self) -> Optional[Annotated["ObjectionChannel", strawberry.lazy("schema.objections")]]:
        value = (self.row.detail or {}).get("channel")
        return domain_enums.ObjectionChannel(value) if value else None

    @strawberry.field(description="An objection's result as the provider gave it (HC-29, XZ-23): the decision's "
                                  "reason; null until decided.")
    def decision_reason(self) -> Optional[str]:
        return (self.row.detail or {}).get("decision_reason")

    @strawberry.field(description="The day the decision was revoked, as the provider reported it (HC-30).")
    def revoked_on(self) -> Optional[dt.date]:
        value = (self.row.detail or {}).get("revoked_on")
        return dt.date.fromisoformat(value) if value else None

    @strawberry.field(description="The record, as `record(id)` would answer it to the reader; null once deleted "
                                  "(see `tombstone`) or when the reader may not see it.")
    async def record(self, info: Info) -> Optional[CreditRecord]:
        return await visible_record(info, str(self.row.record_id))

    @strawberry.field(description="What stays of the record once deleted (revocation, honour deletion); null "
                                  "while it is stored.")
    async def tombstone(self, info: Info) -> Optional[RecordTombstone]:
        row = await _loaders(info.context)["tombstones"].load(self.row.record_id)
        return RecordTombstone(row=row) if row is not None else None

    @strawberry.field(description="The record's subject (its code masked as the reader's rights say).")
    async def subject(self, info: Info) -> Optional[SubjectType]:
        row = await info.context.loaders.subject.load(self.row.subject_code)
        return SubjectType(row=row) if row is not None else None

    @strawberry.field(description="The record's provider department.")
    def provider(self, info: Info) -> Optional[DepartmentType]:
        row = info.context.reference.departments.get(self.row.provider_code)
        return DepartmentType(row=row) if row is not None else None

    @strawberry.field(description="The day (Asia/Shanghai) the case was opened.")
    def opened_on(self) -> dt.date:
        return self.row.opened_on

    @strawberry.field(description="When the case was opened (UTC instant).")
    def opened_at(self) -> dt.datetime:
        return self.row.opened_at

    @strawberry.field(description="When the case was closed (UTC instant); null while open.")
    def closed_at(self) -> Optional[dt.datetime]:
        return self.row.closed_at

    @strawberry.field(description="Its steps, oldest first: the dated events it wrote on the record.")
    async def steps(self, info: Info) -> list[CaseStep]:
        return [CaseStep(row=r) for r in await _loaders(info.context)["steps"].load(self.row.id)]

    @strawberry.field(description="An objection's evidence files (fileObjection's `evidenceIds`) that the reader may "
                                  "read: the subject, the filer, the credit centre, the record's provider and "
                                  "auditors; empty for other kinds.")
    async def evidence(self, info: Info) -> list[Annotated["EvidenceFileType", strawberry.lazy("schema.evidence")]]:
        from schema.evidence import evidence_of_case

        return await evidence_of_case(info.context, self.row)


async def case_node(ctx: RequestContext, ident: int) -> tuple[Optional["CaseType"], bool]:
    """`node(id)` for a case, and whether it exists: null when it does not or the reader may not read it
    (the same answer; the caller logs the refusal)."""
    row = await _loaders(ctx)["cases"].load(ident)
    if row is None:
        return None, False
    return (CaseType(row=row) if resolvers.may_read_case(ctx, row) else None), True


# ------------------------------------------------------------------------------------ mutations


@strawberry.type(description="The result of a case step: the case as it now stands, or the errors.")
class CasePayload:
    case: Optional[CaseType] = strawberry.field(description="The case after the step; null when refused.")
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.input(description="The provider's written notice that the decision behind a bad record was revoked "
                              "(HC-30).")
class ReportRevocationInput:
    record_id: strawberry.ID = strawberry.field(description="The record's id.")
    revoked_on: dt.date = strawberry.field(description="The day the decision was revoked (by the organ, on "
                                                       "reconsideration or by a court); not after today.")
    document: str = strawberry.field(description="The reference of the written notice to the centre and of the "
                                                 "revoking decision (1 to 200 characters).")


@strawberry.input(description="The centre deletes a record whose revocation was reported (HC-30).")
class CompleteRevocationInput:
    case_id: strawberry.ID = strawberry.field(description="The revocation case's id.")


@strawberry.input(description="The provider's written certificate of credit repair (HC-31).")
class CertifyRepairInput:
    record_id: strawberry.ID = strawberry.field(description="The bad record's id.")
    document: str = strawberry.field(description="The reference of the written certificate (1 to 200 characters).")


@strawberry.input(description="The subject asks to delete one of its award, volunteer or charity records (HC-33).")
class RequestHonourDeletionInput:
    record_id: strawberry.ID = strawberry.field(description="The record's id.")
    reason: str = strawberry.field(description="Why (1 to 2,000 characters); the provider reads it.")


@strawberry.input(description="The provider deletes an honour the subject asked to delete (HC-33).")
class DeleteHonourInput:
    case_id: strawberry.ID = strawberry.field(description="The honour deletion case's id.")


def payload_of(case: Row | None, problems) -> CasePayload:
    return CasePayload(case=CaseType(row=case) if case is not None else None, errors=errors_of(problems))


async def report_revocation(info: Info, input: Annotated[ReportRevocationInput, strawberry.argument(
        description="The record, the day and the notice.")]) -> CasePayload:
    return payload_of(*await resolvers.open_case(info.context, resolvers.Opening(
        domain_enums.CaseKind.REVOCATION, input.record_id, document=input.document, revoked_on=input.revoked_on)))


async def complete_revocation(info: Info, input: Annotated[CompleteRevocationInput, strawberry.argument(
        description="The case.")]) -> CasePayload:
    return payload_of(*await resolvers.advance_case(info.context, domain_enums.CaseKind.REVOCATION, "complete",
                                                  input.case_id))


async def certify_repair(info: Info, input: Annotated[CertifyRepairInput, strawberry.argument(
        description="The record and the certificate.")]) -> CasePayload:
    return payload_of(*await resolvers.open_case(info.context, resolvers.Opening(
        domain_enums.CaseKind.REPAIR, input.record_id, document=input.document)))


async def request_honour_deletion(info: Info, input: Annotated[RequestHonourDeletionInput, strawberry.argument(
        description="The record and why.")]) -> CasePayload:
    return payload_of(*await resolvers.open_case(info.context, resolvers.Opening(
        domain_enums.CaseKind.HONOUR_DELETION, input.record_id, reason=input.reason)))


async def delete_honour(info: Info, input: Annotated[DeleteHonourInput, strawberry.argument(
        description="The case.")]) -> CasePayload:
    return payload_of(*await resolvers.advance_case(info.context, domain_enums.CaseKind.HONOUR_DELETION, "delete",
                                                  input.case_id))


# ------------------------------------------------------------------------------------ queries


@strawberry.type(description="One case in a page, with its cursor.")
class CaseEdge:
    cursor: str = strawberry.field(description="The case's position: pass it as `after` for older ones.")
    node: CaseType = strawberry.field(description="The case.")


@strawberry.type(description="A page of cases, newest first.")
class CaseConnection:
    total_count: int = strawberry.field(description="How many cases match the filter.")
    edges: list[CaseEdge] = strawberry.field(description="The page's cases, newest first.")
    page_info: PageInfo = strawberry.field(description="Where the page lies: `endCursor` for the next one.")


@strawberry.input(description="Which cases to list; every condition given must hold.")
class CaseFilter:
    kind: Optional[CaseKind] = strawberry.field(default=None, description="Only cases of this kind.")
    state: Optional[CaseState] = strawberry.field(default=None, description="Only cases in this state.")
    overdue: Optional[bool] = strawberry.field(default=None, description=(
        "true: only open cases past their `dueOn` (for the centre's follow-up); false: only the others."))
    subject_code: Optional[strawberry.ID] = strawberry.field(default=None, description=(
        "Only cases of this subject (its full code)."))
    provider_code: Optional[strawberry.ID] = strawberry.field(default=None, description=(
        "Only cases on records of this provider department (its code)."))


def _connection(page: KeysetPage, after: Optional[str]) -> CaseConnection:
    edges = [CaseEdge(cursor=str(r.id), node=CaseType(row=r)) for r in page.rows]
    return CaseConnection(total_count=page.total or 0, edges=edges,
                          page_info=page_info([e.cursor for e in edges], page.has_next, after))


async def cases(info: Info,
                filter: Annotated[Optional[CaseFilter], strawberry.argument(
                    description="Which cases; all when omitted.")] = None,
                first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = DEFAULT_FIRST,
                after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
                ) -> CaseConnection:
    given = filter or CaseFilter()
    case_filter = resolvers.CaseFilter(
        kind=domain_enums.CaseKind(given.kind.value) if given.kind else None,
        state=given.state.value if given.state else None, overdue=given.overdue,
        subject_code=str(given.subject_code) if given.subject_code else None,
        provider_code=str(given.provider_code) if given.provider_code else None)
    return _connection(await resolvers.case_page(info.context, case_filter, first, after), after)


async def my_cases(info: Info,
                   first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = DEFAULT_FIRST,
                   after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
                   ) -> CaseConnection:
    return _connection(await resolvers.my_case_page(info.context, first, after), after)

