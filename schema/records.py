"""`CreditRecord`: the common fields of every record, and one concrete type per record family.

Concrete types expose their family's standard content fields typed (domain.record_families), each
described from the catalogue (schema/content_fields.py); `details` lists every content field of the
record with its catalogue label and unit. Personal fields are masked alike in both.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from domain import disclosure
from domain.enums import AnnotationKind as AnnotationKindValue
from domain.enums import FieldType as FieldTypeValue
from domain.enums import RecordFamily as Family
from domain.enums import Unit as UnitValue
from domain.masking import mask_person_name
from resolvers.node_ids import NodeKind, global_id
from resolvers.records import record_by_id
from schema.content_fields import content_description
from schema.enums import AnnotationKind, Category, FieldType, RecordFamily, RecordStatus, Severity, \
    SubmissionChannel, Unit, Visibility
from schema.relay import AFTER_DESCRIPTION, FIRST_DESCRIPTION, NODE_ID_DESCRIPTION, Node

if TYPE_CHECKING:
    from schema.history import RecordEventConnection
    from schema.types import CatalogueItemType, DepartmentType, SubjectType


@strawberry.type(description="A disputed record's annotation (标注, HC-29), shown with the record while it stands.")
class RecordAnnotation:
    kind: AnnotationKind = strawberry.field(description="Why the record is annotated.")
    text: str = strawberry.field(description="The annotation as the credit centre wrote it, shown to every reader "
                                             "of the record.")
    created_at: dt.datetime = strawberry.field(description="When the annotation was made (UTC instant).")
    case_id: Optional[strawberry.ID] = strawberry.field(default=None, description=(
        "The global id of the objection case it stands for (readable with `node` or in `myCases` by the case's "
        "parties); null for the public, which sees only that an objection is pending (HC-29), and for a NOTE."))


@strawberry.type(description=(
    "One content field of a record, described by the record's catalogue item (so an item added to the catalogue "
    "is read without a schema change). Personal fields (e.g. 学历, 就业单位) are masked unless the reader is the "
    "person, its grantee or a department (SPEC 3.1)."))
class RecordDetail:
    name: str = strawberry.field(description="The field's key in the record's content, e.g. `fineAmount`.")
    label: str = strawberry.field(description="The catalogue's Chinese label, e.g. 罚款金额(万元).")
    type: FieldType = strawberry.field(description="The field's type in the catalogue; `value` is its text.")
    unit: Optional[Unit] = strawberry.field(description=(
        "What a number counts (万元, 小时, 人, 月), from the catalogue; null for text, dates and unitless "
        "numbers (a year)."))
    value: Optional[str] = strawberry.field(description=(
        "The value as text: dates YYYY-MM-DD, decimals exactly as stored (\"2000.00\"), in `unit`; null when the "
        "record leaves the field empty."))


def _catalogue_fields(item_row: Row | None) -> dict[str, dict]:
    if item_row is None:
        return {}
    return {f["name"]: f for f in item_row.definition.get("fields", [])}


def _shows_personal(info: Info, row: Row) -> bool:
    return info.context.scope.sees_personal_data_of(row.subject_code)


def _shown(value: Any, spec: dict, personal_ok: bool) -> Any:
    """A content value as this reader sees it: a personal field's masked unless the reader may see the
    person's personal data (`personal_ok`); the same rule for `details` and the typed fields."""
    if value is not None and spec.get("personal") and not personal_ok:
        return mask_person_name(str(value))
    return value


@strawberry.interface(description=(
    "信用记录: one fact about one subject from one provider, resting on a legally effective document (HC-16). "
    "A reader sees only the records its roles, department, declared purpose and authorisations open (SPEC 3.1): "
    "any other is answered as if it did not exist."))
class CreditRecord(Node):
    row: strawberry.Private[Row]
    as_of: strawberry.Private[Optional[dt.date]] = None  # read with asOf: the row as it stood that day

    def __post_init__(self) -> None:
        """The fields read straight from the row are plain attributes, read without a resolver call
        (strawberry's basic fields: a list of a hundred subjects' records resolves thousands)."""
        row = self.row
        self.id = strawberry.ID(global_id(NodeKind.RECORD, row.id))
        self.category = Category(row.category)
        self.family = RecordFamily(row.family)
        self.visibility = Visibility(row.visibility)
        self.severity = Severity(row.severity) if row.severity else None
        self.document_number = row.document_number
        self.issuing_authority = row.issuing_authority
        self.decided_on = row.decided_on
        self.act_ended_on = row.act_ended_on
        self.valid_from = row.valid_from
        self.valid_until = row.valid_until
        self.disclosure_ends_on = row.disclosure_ends_on
        self.publicity_ends_on = row.publicity_ends_on
        self.retained_until = row.retained_until
        self.channel = SubmissionChannel(row.channel)
        self.submitted_at = row.submitted_at
        self.version = row.version

    def _day(self, info: Info) -> dt.date:
        """The day date-decided statuses are decided for: asOf's, else today."""
        return self.as_of or info.context.today

    id: strawberry.ID = strawberry.field(default=None, description=NODE_ID_DESCRIPTION + " `record(id)`, `correctRecord` and `accessExplanation` "
                                  "take it (and, deprecated until 0.3.0, the record's number 0.1.0 returned).")

    @strawberry.field(description="The subject (信息主体) the record is about (read with `asOf`, as it stood then).")
    async def subject(self, info: Info) -> Annotated["SubjectType", strawberry.lazy("schema.types")]:
        from schema.types import SubjectType

        row = await info.context.loaders.subject.load(self.row.subject_code)
        if self.as_of is not None:
            from resolvers.history import subject_as_of

            return SubjectType(row=await subject_as_of(info.context, row, self.as_of) or row, as_of=self.as_of)
        return SubjectType(row=row)

    @strawberry.field(description="The catalogue item (目录项, HC-8) the record is an instance of: its rules, fields "
                                  "and labels.")
    def catalogue_item(self, info: Info) -> Annotated["CatalogueItemType", strawberry.lazy("schema.types")]:
        from schema.types import CatalogueItemType

        return CatalogueItemType(row=info.context.reference.items[self.row.catalogue_item_code])

    @strawberry.field(description="The department that provided the record (信息提供主体).")
    def provider(self, info: Info) -> Annotated["DepartmentType", strawberry.lazy("schema.types")]:
        from schema.types import DepartmentType

        return DepartmentType(row=info.context.reference.departments[self.row.provider_code])

    category: Category = strawberry.field(default=None, description="信息类别 (HC-9): basic, good or bad; the catalogue item's.")

    family: RecordFamily = strawberry.field(default=None, description="The shape of the content: the concrete type of this record.")

    visibility: Visibility = strawberry.field(default=None, description=(
        "公开属性 (HC-20, XZ-15) of this record: the item's class, or for a natural person the item's class for "
        "persons (persons' records are not PUBLIC unless a law requires it)."))

    severity: Optional[Severity] = strawberry.field(default=None, description="Grade of a bad record (credit repair measures); null for other records.")

    document_number: str = strawberry.field(default=None, description=(
        "Number of the legally effective document the record rests on (文书号, HC-16); with the provider and the "
        "item it identifies the record."))

    issuing_authority: str = strawberry.field(default=None, description="The authority that issued the document (作出决定的机关).")

    decided_on: dt.date = strawberry.field(default=None, description=(
        "Date of the decision the record rests on (a Beijing calendar day); the submission deadline runs from it "
        "(XZ-12)."))

    act_ended_on: Optional[dt.date] = strawberry.field(default=None, description=(
        "Day the act or event ended (a Beijing calendar day): a bad record's disclosure period runs from it "
        "(HC-19(3), XZ-20)."))

    valid_from: Optional[dt.date] = strawberry.field(default=None, description="First day of the validity of a licence, rating or honour, if it has one.")

    valid_until: Optional[dt.date] = strawberry.field(default=None, description="Last day of the validity; a good record is disclosed until it (HC-19(2)).")

    disclosure_ends_on: Optional[dt.date] = strawberry.field(default=None, description=(
        "Last day of disclosure (披露期限, HC-19, XZ-20), a Beijing calendar day, to every reader its class allows; "
        "null while open-ended (a basic record of a subject that still exists, a good record without validity, a "
        "bad record whose act is still going on: HC-19(3) counts 5 years from the day the act ended)."))

    publicity_ends_on: Optional[dt.date] = strawberry.field(default=None, description=(
        "Last day an administrative penalty is shown to the public (行政处罚信息公示: its grade's maximum publicity "
        "from the decision, SPEC 3.2), a Beijing calendar day; after it the public no longer sees the record and "
        "departments still read it until disclosureEndsOn. Null: shown as long as it is disclosed."))

    retained_until: Optional[dt.date] = strawberry.field(default=None, description=(
        "Last day an archived record is kept before it is deleted (保存期限: persons' bad information, 5 years "
        "once archived, XZ-20), a Beijing calendar day; null: kept (HC-19: 转为档案保存)."))

    @strawberry.field(description=(
        "Status as of today (Beijing's day), or as of `asOf` when the record was read with it: an ACTIVE record "
        "past its disclosure period reads ARCHIVED."))
    def status(self, info: Info) -> RecordStatus:
        return RecordStatus(disclosure.status_on(self.row.status, self.row.disclosure_ends_on, self._day(info)))

    @strawberry.field(description="The day the record was archived (its disclosure period had ended), if it is.")
    def archived_on(self, info: Info) -> Optional[dt.date]:
        row = self.row
        return disclosure.archived_on(row.status, row.status_changed_on, row.disclosure_ends_on, self._day(info))

    channel: SubmissionChannel = strawberry.field(default=None, description="How the record came in (XZ-12).")

    submitted_at: dt.datetime = strawberry.field(default=None, description="When the provider submitted the record (UTC instant).")

    @strawberry.field(description="Working days (工作日, holidays and 调休 counted) past the catalogue item's "
                                  "submission deadline (XZ-12); 0 when on time. Protected: the provider, the centre, "
                                  "auditors, officers with a purpose; others get null and a FORBIDDEN error.")
    def late_working_days(self, info: Info) -> Optional[int]:
        info.context.access.require_field("CreditRecord.lateWorkingDays", self.row, info.path.as_list())
        return self.row.late_working_days

    version: int = strawberry.field(default=None, description="The record's current version: 1 as submitted, one more per correction (HC-18).")

    @strawberry.field(description="Every version of the record, oldest first (HC-18): as submitted, then as each "
                                  "correction left it; read with `asOf`, those that existed that day. Protected: the "
                                  "provider, the subject, auditors; others get null and a FORBIDDEN error.",
                      deprecation_reason="A list that grows with every correction: read `versionHistory`, the same "
                                         "versions as a connection (removed in 0.3.0).")
    async def versions(
            self, info: Info) -> Optional[list[Annotated["RecordVersionType", strawberry.lazy("schema.collection")]]]:
        from schema.collection import record_versions

        return await record_versions(self, info)

    @strawberry.field(description="Every version of the record, oldest first, a page at a time (HC-18): as "
                                  "submitted, then as each correction left it; read with `asOf`, those that existed "
                                  "that day. Protected: the provider, the subject, auditors; others get null and a "
                                  "FORBIDDEN error.")
    async def version_history(
            self, info: Info,
            first: Annotated[Optional[int], strawberry.argument(description=FIRST_DESCRIPTION)] = None,
            after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> Optional[Annotated["RecordVersionConnection", strawberry.lazy("schema.collection")]]:
        from schema.collection import record_version_page

        return await record_version_page(self, info, first, after)

    @strawberry.field(description="Open annotations, e.g. an objection under review (HC-29); read with `asOf`, those "
                                  "standing that day.")
    async def annotations(self, info: Info) -> list[RecordAnnotation]:
        if self.as_of is not None:
            from resolvers.history import annotations_on

            rows = await annotations_on(info.context, self.row.id, self.as_of)
        else:
            rows = await info.context.loaders.annotations.load(self.row.id)
        public = info.context.principal.is_anonymous
        return [RecordAnnotation(kind=AnnotationKindValue(a.kind), text=a.text, created_at=a.created_at,
                                 case_id=None if public or a.case_id is None else
                                 strawberry.ID(global_id(NodeKind.CASE, a.case_id))) for a in rows]

    @strawberry.field(description="The record's dated events, oldest first (SPEC 3.4): submission, corrections, "
                                  "the provider's reports, status changes; read with `asOf`, those effective by "
                                  "then. Protected: the provider, the subject, auditors; others get null and a "
                                  "FORBIDDEN error.")
    async def events(
            self, info: Info,
            first: Annotated[Optional[int], strawberry.argument(description=FIRST_DESCRIPTION)] = None,
            after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
    ) -> Optional[Annotated["RecordEventConnection", strawberry.lazy("schema.history")]]:
        from schema.history import record_events

        return await record_events(info, self.row, first, after, self.as_of)

    @strawberry.field(description="Every content field of the record, labelled as in its catalogue item, in the "
                                  "order the record holds them.")
    def details(self, info: Info) -> list[RecordDetail]:
        fields = _catalogue_fields(info.context.reference.items.get(self.row.catalogue_item_code))
        personal_ok = _shows_personal(info, self.row)
        details = []
        for name, value in self.row.content.items():
            spec = fields.get(name, {})
            shown = _shown(value, spec, personal_ok)
            details.append(RecordDetail(
                name=name, label=spec.get("label", name), type=FieldTypeValue(spec.get("type", "string")),
                unit=UnitValue(spec["unit"]) if spec.get("unit") else None,
                value=None if shown is None else str(shown)))
        return details


def _convert(value: Any, kind: type) -> Any:
    if value is None:
        return None
    try:
        if kind is dt.date:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if kind is Decimal:
            return Decimal(str(value))
    except (ValueError, InvalidOperation):
        return None
    return str(value)


def content_field(family: Family, name: str, kind: type, meaning: str):
    """A typed field read from the record's content under `name`, masked as `details` masks it; its
    description is `meaning` and what the shipped catalogues say of the field."""

    def resolve(root: CreditRecord, info: Info) -> Any:
        row = root.row
        value = row.content.get(name)
        if value is not None:
            spec = _catalogue_fields(info.context.reference.items.get(row.catalogue_item_code)).get(name, {})
            if spec.get("personal"):
                value = _shown(value, spec, _shows_personal(info, row))
        return _convert(value, kind)

    resolve.__annotations__ = {"root": CreditRecord, "info": Info, "return": Optional[kind]}
    resolve.__name__ = f"resolve_{name}"
    return strawberry.field(resolver=resolve, description=content_description(family, name, meaning))


F = Family


@strawberry.type(description="Registration of a legal person or other organisation (法人和其他组织登记注册信息, "
                             "HC-10(1), XZ-7(1)).")
class OrganisationRegistrationRecord(CreditRecord):
    legal_representative: Optional[str] = content_field(
        F.ORGANISATION_REGISTRATION, "legalRepresentative", str, "The legal representative or person in charge")
    established_on: Optional[dt.date] = content_field(
        F.ORGANISATION_REGISTRATION, "establishedOn", dt.date, "The day the organisation was established")
    registered_address: Optional[str] = content_field(
        F.ORGANISATION_REGISTRATION, "registeredAddress", str, "The registered address (domicile)")
    business_scope: Optional[str] = content_field(
        F.ORGANISATION_REGISTRATION, "businessScope", str, "The scope of business or activities")


@strawberry.type(description="A natural person's identity and basic information (自然人身份及基本信息, HC-11, "
                             "XZ-8(1)). Personal fields are masked unless the reader is the person, its grantee or "
                             "a department.")
class PersonIdentityRecord(CreditRecord):
    gender: Optional[str] = content_field(F.PERSON_IDENTITY, "gender", str, "Gender (personal: masked as above)")
    education: Optional[str] = content_field(
        F.PERSON_IDENTITY, "education", str, "Highest education (personal: masked as above)")
    employer: Optional[str] = content_field(
        F.PERSON_IDENTITY, "employer", str, "The employer (personal: masked as above)")
    marital_status: Optional[str] = content_field(
        F.PERSON_IDENTITY, "maritalStatus", str, "Marital status (personal: masked as above)")


@strawberry.type(description="Licences, qualifications, certifications and accreditations (行政许可、资格资质、认证认可, "
                             "HC-10(2)(3), HC-11(3), XZ-7(4)).")
class LicenceRecord(CreditRecord):
    licence_name: Optional[str] = content_field(F.LICENCE, "licenceName", str, "The licence or qualification's name")
    licence_number: Optional[str] = content_field(F.LICENCE, "licenceNumber", str, "The licence or certificate number")
    licence_kind: Optional[str] = content_field(F.LICENCE, "licenceKind", str, "The kind of licence")
    scope: Optional[str] = content_field(F.LICENCE, "scope", str, "What the licence permits (its content or scope)")


@strawberry.type(description="Commendations and awards, volunteering, charitable donations (表彰奖励、志愿服务、慈善捐赠, "
                             "HC-12(1)(2), XZ-7(15), XZ-7(16)); the subject may have them deleted (HC-33).")
class HonourRecord(CreditRecord):
    honour_name: Optional[str] = content_field(F.HONOUR, "honourName", str, "The honour's or activity's name")
    honour_kind: Optional[str] = content_field(F.HONOUR, "honourKind", str, (
        "What kind of honour it is: a String whose values each catalogue item fixes (an enum field of the "
        "catalogue), not a GraphQL enum, so that the credit centre can revise the catalogue without a release"))
    awarding_body: Optional[str] = content_field(
        F.HONOUR, "awardingBody", str, "The body that awarded it or organised the activity")
    level: Optional[str] = content_field(F.HONOUR, "level", str, "The honour's or activity's level")


@strawberry.type(description="A grade given in classified management (分类管理中的等级评价, HC-12(3)).")
class EvaluationRecord(CreditRecord):
    rating: Optional[str] = content_field(F.EVALUATION, "rating", str, "The grade given")
    evaluation_scheme: Optional[str] = content_field(
        F.EVALUATION, "evaluationScheme", str, "The evaluation scheme that gave it")
    period: Optional[str] = content_field(F.EVALUATION, "period", str, "The period evaluated")


@strawberry.type(description="Administrative penalties, coercive measures, orders to correct, industry bans and "
                             "accident findings (行政处罚、行政强制、责令改正、行业禁入、责任事故处理, HC-13(2)(6)-(9), "
                             "XZ-7(10)(12)).")
class PenaltyRecord(CreditRecord):
    violation: Optional[str] = content_field(F.PENALTY, "violation", str, "The unlawful act found")
    legal_basis: Optional[str] = content_field(F.PENALTY, "legalBasis", str, "The provisions the penalty rests on")
    penalty_kind: Optional[str] = content_field(F.PENALTY, "penaltyKind", str, "The kind of penalty or measure")
    fine_amount: Optional[Decimal] = content_field(F.PENALTY, "fineAmount", Decimal, "The fine imposed")


@strawberry.type(description="Effective court judgments and rulings and their enforcement, dishonest judgment "
                             "debtors (法院生效判决、裁定及执行信息, 失信被执行人, HC-13(1), XZ-7(7)).")
class JudgmentRecord(CreditRecord):
    court: Optional[str] = content_field(F.JUDGMENT, "court", str, "The court")
    case_number: Optional[str] = content_field(F.JUDGMENT, "caseNumber", str, "The case number")
    obligation: Optional[str] = content_field(
        F.JUDGMENT, "obligation", str, "The obligation the effective legal document fixed")
    performance: Optional[str] = content_field(F.JUDGMENT, "performance", str, "How far it has been performed")


@strawberry.type(description="Taxes, social insurance, housing fund contributions or administrative fees owed "
                             "(欠税、欠缴社保费、公积金、行政事业性收费, HC-13(2)(4), HC-14(1), XZ-7(8)(11)).")
class ArrearsRecord(CreditRecord):
    arrears_kind: Optional[str] = content_field(F.ARREARS, "arrearsKind", str, "What is owed")
    amount_owed: Optional[Decimal] = content_field(F.ARREARS, "amountOwed", Decimal, "The amount owed")
    owed_since: Optional[dt.date] = content_field(F.ARREARS, "owedSince", dt.date, "The day since which it is owed")


@strawberry.type(description="False materials, perjury, exam cheating, forged credentials, social insurance fraud "
                             "and the like (虚假材料、作伪证、考试作弊、学历造假、骗取社保等, HC-13(5), HC-14(2)-(4)).")
class MisconductRecord(CreditRecord):
    conduct: Optional[str] = content_field(F.MISCONDUCT, "conduct", str, "The dishonest conduct")
    finding: Optional[str] = content_field(F.MISCONDUCT, "finding", str, "The conclusion the authority reached")


@strawberry.type(description="A record of a catalogue item that fits no other family; its content is in `details`.")
class OtherRecord(CreditRecord):
    pass


RECORD_TYPES: dict[Family, type[CreditRecord]] = {
    Family.ORGANISATION_REGISTRATION: OrganisationRegistrationRecord,
    Family.PERSON_IDENTITY: PersonIdentityRecord,
    Family.LICENCE: LicenceRecord,
    Family.HONOUR: HonourRecord,
    Family.EVALUATION: EvaluationRecord,
    Family.PENALTY: PenaltyRecord,
    Family.JUDGMENT: JudgmentRecord,
    Family.ARREARS: ArrearsRecord,
    Family.MISCONDUCT: MisconductRecord,
    Family.OTHER: OtherRecord,
}


def record_object(row: Row, as_of: Optional[dt.date] = None) -> CreditRecord:
    """The record's concrete type; `as_of` when `row` is the record as it stood that day (`asOf`)."""
    return RECORD_TYPES.get(Family(row.family), OtherRecord)(row=row, as_of=as_of)


async def visible_record(info: Info, record_id: str) -> Optional[CreditRecord]:
    """The record as `record(id)` answers it: null when it does not exist or the reader may not see it."""
    row = await record_by_id(info.context, record_id, info.path.as_list())
    return record_object(row) if row is not None else None
