"""Subjects, departments, catalogue items and the record connection."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from domain.enums import FieldType as FieldTypeValue
from domain.enums import SubjectKind as Kind
from domain.enums import Unit as UnitValue
from domain.masking import mask_person_name, mask_resident_id
from resolvers import records as record_resolvers
from resolvers.loaders import cursor_of
from schema.enums import Category, DeadlineStart, DepartmentKind, FieldType, RecordFamily, RecordStatus, Severity, \
    SubjectKind, SubjectStatus, Unit, UpdateFrequency, Visibility
from resolvers.bounds import DEFAULT_FIRST
from schema.audit import QueryHistoryConnection, QueryHistoryItem, query_history
from schema.relay import AFTER_DESCRIPTION, FIRST_DESCRIPTION, NODE_ID_DESCRIPTION, Node, PageInfo, page_info
from resolvers.node_ids import NodeKind, global_id
from schema.records import CreditRecord, record_object


@strawberry.type(name="Department", description=(
    "部门: a department of the jurisdiction profile: an information provider (信息提供主体, HC-2), the credit "
    "centre, the supervisor or a credit agency."))
class DepartmentType(Node):
    """Built from its reference row; its fields are plain attributes, read without a resolver call
    (strawberry's basic fields: a record list names its provider a thousand times)."""

    row: strawberry.Private[Row]
    id: strawberry.ID = strawberry.field(
        default=None, description=NODE_ID_DESCRIPTION + " Arguments that name a department take its `code`.")
    code: strawberry.ID = strawberry.field(default=None, description=(
        "The department's code, e.g. SCJG: what tokens carry in `department` and the `department` arguments take."))
    name: str = strawberry.field(default=None,
                                 description="The department's official Chinese name, e.g. 环翠区市场监督管理局.")
    kind: DepartmentKind = strawberry.field(
        default=None, description="What the department is; decides whether it may provide records.")

    def __post_init__(self) -> None:
        row = self.row
        self.id = strawberry.ID(global_id(NodeKind.DEPARTMENT, row.code))
        self.code = strawberry.ID(row.code)
        self.name = row.name
        self.kind = DepartmentKind(row.kind)


@strawberry.type(description="A content field a record of this catalogue item carries, as the catalogue file "
                             "declares it; submissions are checked against it.")
class FieldDefinition:
    name: str = strawberry.field(description="The field's key in a record's `content`, e.g. `fineAmount`.")
    label: str = strawberry.field(description="The Chinese label, e.g. 罚款金额(万元): the column heading of the "
                                              "import template.")
    type: FieldType = strawberry.field(description="The type a value must have.")
    required: bool = strawberry.field(description="Whether every record of the item must give it.")
    values: Optional[list[str]] = strawberry.field(default=None, description=(
        "For an `enum` field, the values allowed; null for other types."))
    personal: bool = strawberry.field(default=False, description=(
        "Personal information, masked unless the reader is the person, its grantee or a department (SPEC 3.1)."))
    requires_consent: bool = strawberry.field(default=False, description=(
        "Collected only with the subject's written consent (income, deposits, real estate..., XZ-9(3)): "
        "a submission giving it needs `consentRef`."))
    unit: Optional[Unit] = strawberry.field(default=None, description=(
        "What a number counts (万元, 小时, 人, 月); null for text, dates and unitless numbers."))


@strawberry.type(name="CatalogueItem", description=(
    "目录项 (HC-8, XZ-26): a kind of information the platform records: what a record of it contains, who "
    "provides it, who may read it and for how long it is disclosed. Information outside the catalogue is refused."))
class CatalogueItemType(Node):
    row: strawberry.Private[Row]

    id: strawberry.ID = strawberry.field(
        default=None, description=NODE_ID_DESCRIPTION + " Arguments that name a catalogue item take its `code`.")
    code: strawberry.ID = strawberry.field(
        default=None, description="The item's code, e.g. HC-13-6-PENALTY: regulation, article, then a name.")
    name: str = strawberry.field(default=None, description="The item's Chinese name, as the catalogue writes it.")
    basis: str = strawberry.field(default=None, description=(
        "The article(s) of the regulation the item comes from, e.g. HC-13(6) or XZ-7(12)."))
    category: Category = strawberry.field(default=None, description="信息类别 (HC-9) of its records.")
    family: RecordFamily = strawberry.field(
        default=None, description="The shape of its records' content: the concrete CreditRecord type.")
    visibility: Visibility = strawberry.field(default=None, description=(
        "公开属性 (HC-20, XZ-15) of its records about organisations; persons' records are not PUBLIC unless a law "
        "requires it (SPEC 3.1)."))
    severity: Optional[Severity] = strawberry.field(
        default=None, description="The grade of its bad records (credit repair measures); null for ungraded items.")

    def __post_init__(self) -> None:
        """The plain fields, read without a resolver call (see DepartmentType)."""
        row = self.row
        self.id = strawberry.ID(global_id(NodeKind.CATALOGUE_ITEM, row.code))
        self.code = strawberry.ID(row.code)
        self.name = row.name
        self.basis = row.basis
        self.category = Category(row.category)
        self.family = RecordFamily(row.family)
        self.visibility = Visibility(row.visibility)
        self.severity = Severity(row.severity) if row.severity else None

    @strawberry.field(description="The kinds of subject its records may be about.")
    def subject_kinds(self) -> list[SubjectKind]:
        return [SubjectKind(k) for k in self.row.definition.get("subject_kinds", [])]

    @strawberry.field(description="The content fields its records carry, in the catalogue's order.")
    def fields(self) -> list[FieldDefinition]:
        return [
            FieldDefinition(name=f["name"], label=f.get("label", f["name"]), type=FieldTypeValue(f["type"]),
                            required=bool(f.get("required")), values=f.get("values"),
                            personal=bool(f.get("personal")), requires_consent=bool(f.get("requires_consent")),
                            unit=UnitValue(f["unit"]) if f.get("unit") else None)
            for f in self.row.definition.get("fields", [])
        ]

    def _departments(self, info: Info, key: str) -> list[DepartmentType]:
        known = info.context.reference.departments
        return [DepartmentType(row=known[c]) for c in self.row.definition.get(key, []) if c in known]

    @strawberry.field(description="Departments allowed to submit records of this item.")
    def providers(self, info: Info) -> list[DepartmentType]:
        return self._departments(info, "providers")

    @strawberry.field(description="LIMITED items: the departments it is shared with (XZ-15 class C).")
    def shared_with(self, info: Info) -> list[DepartmentType]:
        return self._departments(info, "shared_with")

    @strawberry.field(description="Submission deadline in working days (工作日, XZ-12), counted from the decision or "
                                  "from the end of the collection period; null if the item has none.")
    def deadline_working_days(self) -> Optional[int]:
        return (self.row.definition.get("submission") or {}).get("deadline_working_days")

    @strawberry.field(description="更新频率 (HC-8): how often records of this item are collected.")
    def update_frequency(self) -> UpdateFrequency:
        submission = self.row.definition.get("submission") or {}
        return UpdateFrequency(submission.get("frequency") or "PER_DECISION")

    @strawberry.field(description="Where the submission deadline (deadlineWorkingDays) runs from (XZ-12(2)): the "
                                  "decision for administrative licensing and penalties, else the end of the "
                                  "collection period (updateFrequency).")
    def deadline_runs_from(self) -> DeadlineStart:
        return DeadlineStart((self.row.definition.get("submission") or {}).get("deadline_from") or "DECISION")

    @strawberry.field(description="How long records of this item are disclosed (HC-19, XZ-20) and, for an "
                                  "administrative penalty, shown to the public (SPEC 3.2), in words, with sources.")
    def disclosure_rule(self) -> str:
        return self.row.definition.get("disclosure_text", "")

    @strawberry.field(description="First day records of the item may be decided on (a Beijing calendar day).")
    def in_force_from(self) -> Optional[dt.date]:
        return self.row.in_force_from

    @strawberry.field(description="Last day the item is in force; null while it has no end.")
    def in_force_until(self) -> Optional[dt.date]:
        return self.row.in_force_until


@strawberry.type(description="One of a subject's records in a page, with its cursor.")
class CreditRecordEdge:
    cursor: str = strawberry.field(description="The record's position: pass it as `after` for the records after it.")
    node: CreditRecord = strawberry.field(description="The record, as the reader may see it (SPEC 3.1).")


@strawberry.type(description="A page of records; `totalCount` counts only what the reader may see.")
class CreditRecordConnection:
    page: strawberry.Private[record_resolvers.RecordPage]  # or resolvers.history.AsOfPage (asOf)

    @strawberry.field(description="The page's records with their cursors, newest decision first.")
    def edges(self) -> list[CreditRecordEdge]:
        as_of = getattr(self.page, "as_of", None)
        return [CreditRecordEdge(cursor=cursor_of(r), node=record_object(r, as_of)) for r in self.page.page.rows]

    @strawberry.field(description="The page's records without cursors (the same as `edges { node }`).")
    def nodes(self) -> list[CreditRecord]:
        as_of = getattr(self.page, "as_of", None)
        return [record_object(r, as_of) for r in self.page.page.rows]

    @strawberry.field(description="Where the page lies: `endCursor` for the next one.")
    def page_info(self) -> PageInfo:
        return page_info([cursor_of(r) for r in self.page.page.rows], self.page.page.has_next, self.page.after)

    @strawberry.field(description="How many records match the arguments that the reader may see, on every page "
                                  "(records); records the reader may not see are not counted (SPEC 3.1).")
    async def total_count(self, info: Info) -> int:
        if getattr(self.page, "as_of", None) is not None:
            return self.page.total
        return await record_resolvers.record_count(info.context, self.page.subject_code, self.page.filter)


@strawberry.federation.type(
    name="Subject", keys=["id", "code"],
    description="信息主体: a natural person or an organisation. A federation entity keyed by `id` (stable, "
                "opaque, never masked) and by `code` (masked for persons unless the reader may see it: "
                "join on `id`).")
class SubjectType(Node):
    row: strawberry.Private[Row]
    as_of: strawberry.Private[Optional[dt.date]] = None  # read with asOf: the subject and records as they stood

    def _personal_visible(self, info: Info) -> bool:
        return self.row.kind != Kind.NATURAL_PERSON.value or info.context.scope.sees_personal_data_of(self.row.code)

    @strawberry.field(description="A stable opaque id: the same for every reader, worker and restart, never "
                                  "revealing the code; the key to join or cache a subject on (SPEC 3.1), and its "
                                  "global id for `node(id)`.")
    def id(self, info: Info) -> strawberry.ID:
        info.context.observed.subjects.add(self.row.code)
        return strawberry.ID(info.context.subject_ids.id_of(self.row.code))

    @strawberry.field(description="Resident ID number or unified social credit code; persons' masked unless the "
                                  "reader is the person, its grantee or a department.")
    def code(self, info: Info) -> strawberry.ID:
        info.context.observed.subjects.add(self.row.code)
        return strawberry.ID(self.row.code if self._personal_visible(info) else mask_resident_id(self.row.code))

    @strawberry.field(description="Natural person or organisation.")
    def kind(self) -> SubjectKind:
        return SubjectKind(self.row.kind)

    @strawberry.field(description="The organisation's registered name, or the person's name, masked (王*明) unless the "
                                  "reader is the person, its grantee or a department.")
    def name(self, info: Info) -> str:
        return self.row.name if self._personal_visible(info) else mask_person_name(self.row.name)

    @strawberry.field(description="Whether the subject still exists; its basic records are disclosed until some years "
                                  "after it ends (HC-19(1)).")
    def status(self) -> SubjectStatus:
        return SubjectStatus(self.row.status)

    @strawberry.field(description="The day the organisation ended or the person died (a Beijing calendar day), if "
                                  "it has.")
    def ended_on(self) -> Optional[dt.date]:
        return self.row.ended_on

    @strawberry.field(description="The subject's records the reader may see, newest decision first; records the "
                                  "reader may not see are left out, not refused (SPEC 3.1).")
    async def records(
        self,
        info: Info,
        category: Annotated[Optional[Category], strawberry.argument(
            description="Only records of this category.")] = None,
        catalogue_item: Annotated[Optional[strawberry.ID], strawberry.argument(
            description="Only records of this catalogue item (its code).")] = None,
        status: Annotated[Optional[RecordStatus], strawberry.argument(description=(
            "Only records with this status as of today (or the subject's `asOf`); null for every status the reader "
            "may see. Readers other "
            "than the subject, its provider and auditors see ACTIVE records only."))] = RecordStatus.ACTIVE,
        first: Annotated[Optional[int], strawberry.argument(description=FIRST_DESCRIPTION)] = None,
        after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> CreditRecordConnection:
        info.context.observed.subjects.add(self.row.code)
        record_filter = record_resolvers.record_filter(category, catalogue_item, status)
        if self.as_of is not None:
            from resolvers.history import record_page_as_of

            return CreditRecordConnection(page=await record_page_as_of(
                info.context, self.row.code, record_filter, first, after, self.as_of))
        page = await record_resolvers.record_page(info.context, self.row.code, record_filter, first, after)
        return CreditRecordConnection(page=page)

    @strawberry.field(description="Running count of logged queries about this subject (XZ-19). "
                                  "The subject itself and auditors.")
    async def query_count(self, info: Info) -> Optional[int]:
        info.context.access.require_field("Subject.queryCount", self.row, info.path.as_list())
        return await info.context.loaders.query_count.load(self.row.code)

    @strawberry.field(description="Who queried this subject, when and why, newest first (at most `first`). "
                                  "The subject itself and auditors.",
                      deprecation_reason="Use queriedBy, a connection with pageInfo; removed in 0.3.0.")
    async def query_history(self, info: Info, first: Annotated[int, strawberry.argument(
            description=FIRST_DESCRIPTION)] = DEFAULT_FIRST) -> Optional[list[QueryHistoryItem]]:
        return [edge.node for edge in (await query_history(info, self.row, first, None)).edges]

    @strawberry.field(description="Who queried this subject, when and why, newest first (XZ-19): what its credit "
                                  "report shows. The subject itself and auditors.")
    async def queried_by(
            self, info: Info,
            first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = DEFAULT_FIRST,
            after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> Optional[QueryHistoryConnection]:
        return await query_history(info, self.row, first, after)

    @classmethod
    async def resolve_reference(cls, info: Info, id: Optional[strawberry.ID] = None,
                                code: Optional[strawberry.ID] = None) -> Optional["SubjectType"]:
        """A router's representation (schema/entities.py): by `id`, else by `code`, as `subject(code)` reads."""
        from resolvers.subjects import subject_by_code, subject_by_id

        row = await (subject_by_id(info.context, id) if id is not None else subject_by_code(info.context, code))
        return cls(row=row) if row is not None else None
