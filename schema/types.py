"""Subjects, departments, catalogue items and the record connection."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from domain.enums import SubjectKind as Kind
from domain.masking import mask_person_name, mask_resident_id
from resolvers import records as record_resolvers
from resolvers.loaders import cursor_of
from schema.enums import Category, DepartmentKind, RecordFamily, RecordStatus, Severity, SubjectKind, SubjectStatus, \
    Visibility
from resolvers.bounds import DEFAULT_FIRST
from schema.audit import QueryHistoryConnection, QueryHistoryItem, query_history
from schema.relay import AFTER_DESCRIPTION, FIRST_DESCRIPTION, NODE_ID_DESCRIPTION, Node, PageInfo, page_info
from resolvers.node_ids import NodeKind, global_id
from schema.records import CreditRecord, record_object


@strawberry.type(name="Department", description="部门 / 信息提供主体.")
class DepartmentType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " Arguments that name a department take its `code`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.DEPARTMENT, self.row.code))

    @strawberry.field
    def code(self) -> strawberry.ID:
        return strawberry.ID(self.row.code)

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def kind(self) -> DepartmentKind:
        return DepartmentKind(self.row.kind)


@strawberry.type(description="A content field a record of this catalogue item carries.")
class FieldDefinition:
    name: str
    label: str
    type: str
    required: bool
    values: Optional[list[str]] = None
    personal: bool = False
    requires_consent: bool = False


@strawberry.type(name="CatalogueItem", description="目录项 (HC-8, XZ-26): what may be recorded, by whom, seen by whom.")
class CatalogueItemType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " Arguments that name a catalogue item take its `code`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.CATALOGUE_ITEM, self.row.code))

    @strawberry.field
    def code(self) -> strawberry.ID:
        return strawberry.ID(self.row.code)

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="The article of the regulation the item comes from.")
    def basis(self) -> str:
        return self.row.basis

    @strawberry.field
    def category(self) -> Category:
        return Category(self.row.category)

    @strawberry.field
    def family(self) -> RecordFamily:
        return RecordFamily(self.row.family)

    @strawberry.field
    def visibility(self) -> Visibility:
        return Visibility(self.row.visibility)

    @strawberry.field
    def severity(self) -> Optional[Severity]:
        return Severity(self.row.severity) if self.row.severity else None

    @strawberry.field
    def subject_kinds(self) -> list[SubjectKind]:
        return [SubjectKind(k) for k in self.row.definition.get("subject_kinds", [])]

    @strawberry.field
    def fields(self) -> list[FieldDefinition]:
        return [
            FieldDefinition(name=f["name"], label=f.get("label", f["name"]), type=f["type"],
                            required=bool(f.get("required")), values=f.get("values"),
                            personal=bool(f.get("personal")), requires_consent=bool(f.get("requires_consent")))
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

    @strawberry.field(description="Submission deadline in working days (XZ-12), if the item has one.")
    def deadline_working_days(self) -> Optional[int]:
        return (self.row.definition.get("submission") or {}).get("deadline_working_days")

    @strawberry.field(description="How long records of this item are disclosed (HC-19, XZ-20), in words.")
    def disclosure_rule(self) -> str:
        return self.row.definition.get("disclosure_text", "")

    @strawberry.field
    def in_force_from(self) -> Optional[dt.date]:
        return self.row.in_force_from

    @strawberry.field
    def in_force_until(self) -> Optional[dt.date]:
        return self.row.in_force_until


@strawberry.type
class CreditRecordEdge:
    cursor: str
    node: CreditRecord


@strawberry.type(description="A page of records; `totalCount` counts only what the reader may see.")
class CreditRecordConnection:
    page: strawberry.Private[record_resolvers.RecordPage]

    @strawberry.field
    def edges(self) -> list[CreditRecordEdge]:
        return [CreditRecordEdge(cursor=cursor_of(r), node=record_object(r)) for r in self.page.page.rows]

    @strawberry.field
    def nodes(self) -> list[CreditRecord]:
        return [record_object(r) for r in self.page.page.rows]

    @strawberry.field
    def page_info(self) -> PageInfo:
        return page_info([cursor_of(r) for r in self.page.page.rows], self.page.page.has_next, self.page.after)

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        return await record_resolvers.record_count(info.context, self.page.subject_code, self.page.filter)


@strawberry.federation.type(
    name="Subject", keys=["id", "code"],
    description="信息主体: a natural person or an organisation. A federation entity keyed by `id` (stable, "
                "opaque, never masked) and by `code` (masked for persons unless the reader may see it: "
                "join on `id`).")
class SubjectType(Node):
    row: strawberry.Private[Row]

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

    @strawberry.field
    def kind(self) -> SubjectKind:
        return SubjectKind(self.row.kind)

    @strawberry.field
    def name(self, info: Info) -> str:
        return self.row.name if self._personal_visible(info) else mask_person_name(self.row.name)

    @strawberry.field
    def status(self) -> SubjectStatus:
        return SubjectStatus(self.row.status)

    @strawberry.field(description="The day the organisation ended or the person died, if it has.")
    def ended_on(self) -> Optional[dt.date]:
        return self.row.ended_on

    @strawberry.field(description="The subject's records the reader may see, newest decision first.")
    async def records(
        self,
        info: Info,
        category: Optional[Category] = None,
        catalogue_item: Optional[strawberry.ID] = None,
        status: Optional[RecordStatus] = RecordStatus.ACTIVE,
        first: Optional[int] = None,
        after: Optional[str] = None,
    ) -> CreditRecordConnection:
        info.context.observed.subjects.add(self.row.code)
        record_filter = record_resolvers.record_filter(category, catalogue_item, status)
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
