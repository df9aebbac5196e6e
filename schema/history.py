"""A record's dated events as GraphQL (SPEC 3.4): `CreditRecord.events`, a connection of
`RecordEvent`, readable by the record's provider, the subject itself and auditors
(`resolvers.history`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Any, Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain import enums
from domain.masking import mask_person_name
from resolvers import history
from schema.enums import described
from schema.relay import PageInfo, page_info

if TYPE_CHECKING:
    from schema.types import DepartmentType

RecordEventKind = described(enums.RecordEventKind, "What happened to a record on a day (SPEC 3.4): every step is a "
                                                   "dated event kept with the record, so `asOf` reproduces any day.", {
    "SUBMITTED": "Stored by its provider, through any route: API, spreadsheet, manual entry (HC-16, XZ-12).",
    "CORRECTED": "Content or dates corrected by its provider, with a reason (HC-18); `before`/`after` say what.",
    "ACT_ENDED": "The provider reported the end of an ongoing bad act: its disclosure period runs from it "
                 "(HC-19(3)).",
    "SUBJECT_ENDED": "The subject was deregistered or died, reported by its registrar: basic records' periods "
                     "follow (HC-19(1)).",
    "CANCELLED": "A good record without validity cancelled (取消) by its provider (HC-19(2)).",
    "PUBLICITY_ENDED": "A graded penalty left public view; departments still read it (national credit repair "
                       "measures).",
    "ARCHIVED": "Its disclosure period ended: kept as an archive (转为档案保存, HC-19).",
    "REVOCATION_REPORTED": "The provider reported the decision behind it revoked (HC-30).",
    "REVOKED": "Deleted from the live data; a tombstone keeps its id (HC-30).",
    "REPAIR_CERTIFIED": "The provider certified credit repair (HC-31).",
    "REPAIRED": "Off the query interface after repair (HC-31).",
    "HONOUR_DELETION_REQUESTED": "The subject asked to delete this honour (HC-33).",
    "HONOUR_DELETED": "The provider deleted the honour at the subject's request (HC-33).",
    "RETENTION_ENDED": "Xinzheng: a person's bad information deleted 5 years on (XZ-20).",
    "DEADLINE_MISSED": "A case's deadline passed with its step not taken.",
    "OBJECTION_FILED": "An objection to it was filed online or entered from a written application (HC-29, XZ-22).",
    "OBJECTION_CORRECTED": "Huancui: the centre found its copy differing from the provider's and corrected it "
                           "(HC-29).",
    "OBJECTION_FORWARDED": "The centre forwarded the objection to the provider (HC-29, XZ-23).",
    "OBJECTION_UPHELD": "The provider upheld the objection (HC-29, XZ-23).",
    "OBJECTION_REJECTED": "The provider rejected the objection: the record stands (HC-29, XZ-23).",
    "OBJECTION_RESULT_NOTIFIED": "Xinzheng: the centre notified the applicant of the result in writing (XZ-23).",
    "PERIODS_RECOMPUTED": "The platform's period rules changed (SPEC 3.2, HC-19, XZ-20): its disclosure, publicity "
                          "and retention ends computed again from its own dates; `before`/`after` say what moved.",
    "OBJECTION_WITHDRAWN": "The subject withdrew its objection while it was open.",
    "OBJECTION_DISPUTED": "The subject still disputes the rejection of its objection: the record stays annotated "
                          "(HC-29).",
}, name="RecordEventKind")

_CAMEL = re.compile(r"_([a-z])")


def _shown(values: dict[str, Any], masked: frozenset[str]) -> dict[str, Any]:
    """An event's `before`/`after` as the API names fields (camelCase), personal content masked."""
    shown = {}
    for key, value in (values or {}).items():
        if key == "content" and isinstance(value, dict) and masked:
            value = {k: mask_person_name(str(v)) if k in masked and v is not None else v for k, v in value.items()}
        shown[_CAMEL.sub(lambda m: m.group(1).upper(), key)] = value
    return shown


@strawberry.type(name="RecordEvent", description=(
    "One dated step in a record's life (SPEC 3.4): who took it, on which written document, and what it changed. "
    "The provider, the subject itself and auditors read them."))
class RecordEventType:
    row: strawberry.Private[Any]
    masked: strawberry.Private[frozenset]

    @strawberry.field(description="What happened.")
    def kind(self) -> RecordEventKind:
        return RecordEventKind(self.row.kind)

    @strawberry.field(description="The day the step took effect (a Beijing calendar day): `asOf` on or after it "
                                  "shows it, before it does not.")
    def effective_on(self) -> dt.date:
        return self.row.effective_on

    @strawberry.field(description="When it was recorded (UTC instant).")
    def at(self) -> dt.datetime:
        return self.row.at

    @strawberry.field(description="The department that took the step (the provider, the registrar, the centre); "
                                  "null for a step the date decided.")
    def actor_department(self, info: Info) -> Optional[Annotated["DepartmentType", strawberry.lazy("schema.types")]]:
        from schema.types import DepartmentType

        found = info.context.reference.departments.get(self.row.actor_department or "")
        return DepartmentType(row=found) if found is not None else None

    @strawberry.field(description="The user who took the step, as its token named it; null for a step the date "
                                  "decided.")
    def actor_user(self) -> Optional[str]:
        return self.row.actor_user

    @strawberry.field(description="The written document the step rests on (number or reference, HC-16, HC-18); "
                                  "the document number for a submission; null where none is needed.")
    def document_ref(self) -> Optional[str]:
        return self.row.document_ref

    @strawberry.field(description="The fields the step changed, as they were before it (record fields by their "
                                  "names here, e.g. `disclosureEndsOn`; dates as YYYY-MM-DD; `subjectStatus` for a "
                                  "subject's end). Emptied when the record's content was deleted (HC-30).")
    def before(self) -> JSON:
        return _shown(self.row.before, self.masked)

    @strawberry.field(description="The same fields as the step left them.")
    def after(self) -> JSON:
        return _shown(self.row.after, self.masked)


@strawberry.type(description="An event and its cursor.")
class RecordEventEdge:
    cursor: str = strawberry.field(description="Pass as `after` to read the events after this one.")
    node: RecordEventType = strawberry.field(description="The event.")


@strawberry.type(description="A page of a record's events, oldest first.")
class RecordEventConnection:
    page: strawberry.Private[history.EventPage]
    masked: strawberry.Private[frozenset]

    @strawberry.field(description="The events of the page with their cursors.")
    def edges(self) -> list[RecordEventEdge]:
        return [RecordEventEdge(cursor=history.event_cursor(r), node=RecordEventType(row=r, masked=self.masked))
                for r in self.page.rows]

    @strawberry.field(description="The events of the page.")
    def nodes(self) -> list[RecordEventType]:
        return [RecordEventType(row=r, masked=self.masked) for r in self.page.rows]

    @strawberry.field(description="Where the page is in the list.")
    def page_info(self) -> PageInfo:
        return page_info([history.event_cursor(r) for r in self.page.rows], self.page.has_next, self.page.after)


async def record_events(info: Info, row, first: Optional[int], after: Optional[str],
                        as_of: Optional[dt.date]) -> RecordEventConnection:
    """`CreditRecord.events` (policy field:CreditRecord.events); personal content fields masked as
    `versions` masks them for a reader who may not see the person's personal data."""
    ctx = info.context
    page = await history.record_events(ctx, row, first, after, info.path.as_list(), until=as_of)
    masked: frozenset = frozenset()
    if not ctx.scope.sees_personal_data_of(row.subject_code):
        item = ctx.reference.items.get(row.catalogue_item_code)
        masked = frozenset(f["name"] for f in (item.definition.get("fields", []) if item is not None else [])
                           if f.get("personal"))
    return RecordEventConnection(page=page, masked=masked)
