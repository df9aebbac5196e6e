"""`CreditRecord`: the common fields of every record, and one concrete type per record family.

Concrete types expose their family's standard content fields typed (domain.record_families);
`details` lists every content field of the record with its catalogue label.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from domain import disclosure
from domain.enums import RecordFamily as Family
from domain.masking import mask_person_name
from resolvers.node_ids import NodeKind, global_id
from schema.relay import NODE_ID_DESCRIPTION, Node
from schema.enums import Category, RecordFamily, RecordStatus, Severity, SubmissionChannel, Visibility

if TYPE_CHECKING:
    from schema.types import CatalogueItemType, DepartmentType, SubjectType


@strawberry.type(description="A disputed record's annotation (标注, HC-29), shown while it stands.")
class RecordAnnotation:
    kind: str
    text: str
    created_at: dt.datetime


@strawberry.type(description="One content field of a record, with its catalogue label.")
class RecordDetail:
    name: str
    label: str
    type: str
    value: Optional[str]


def _catalogue_fields(item_row: Row | None) -> dict[str, dict]:
    if item_row is None:
        return {}
    return {f["name"]: f for f in item_row.definition.get("fields", [])}


def _shows_personal(info: Info, row: Row) -> bool:
    return info.context.scope.sees_personal_data_of(row.subject_code)


@strawberry.interface(description="信用记录: one fact about one subject from one provider, on a legal document (HC-16).")
class CreditRecord(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " `record(id)`, `correctRecord` and `accessExplanation` "
                                  "take it (and, deprecated until 0.3.0, the record's number 0.1.0 returned).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.RECORD, self.row.id))

    @strawberry.field
    async def subject(self, info: Info) -> Annotated["SubjectType", strawberry.lazy("schema.types")]:
        from schema.types import SubjectType

        return SubjectType(row=await info.context.loaders.subject.load(self.row.subject_code))

    @strawberry.field
    def catalogue_item(self, info: Info) -> Annotated["CatalogueItemType", strawberry.lazy("schema.types")]:
        from schema.types import CatalogueItemType

        return CatalogueItemType(row=info.context.reference.items[self.row.catalogue_item_code])

    @strawberry.field(description="The department that provided the record (信息提供主体).")
    def provider(self, info: Info) -> Annotated["DepartmentType", strawberry.lazy("schema.types")]:
        from schema.types import DepartmentType

        return DepartmentType(row=info.context.reference.departments[self.row.provider_code])

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

    @strawberry.field(description="Number of the legally effective document (文书号).")
    def document_number(self) -> str:
        return self.row.document_number

    @strawberry.field
    def issuing_authority(self) -> str:
        return self.row.issuing_authority

    @strawberry.field(description="Date of the decision the record rests on.")
    def decided_on(self) -> dt.date:
        return self.row.decided_on

    @strawberry.field(description="Day the act or event ended (bad records' period runs from it).")
    def act_ended_on(self) -> Optional[dt.date]:
        return self.row.act_ended_on

    @strawberry.field
    def valid_from(self) -> Optional[dt.date]:
        return self.row.valid_from

    @strawberry.field
    def valid_until(self) -> Optional[dt.date]:
        return self.row.valid_until

    @strawberry.field(description="Last day of disclosure (HC-19, XZ-20); null while open-ended.")
    def disclosure_ends_on(self) -> Optional[dt.date]:
        return self.row.disclosure_ends_on

    @strawberry.field(description="Status as of today: an ACTIVE record past its period reads ARCHIVED.")
    def status(self, info: Info) -> RecordStatus:
        return RecordStatus(disclosure.status_on(self.row.status, self.row.disclosure_ends_on, info.context.today))

    @strawberry.field(description="The day the record was archived (its period had ended), if it is.")
    def archived_on(self, info: Info) -> Optional[dt.date]:
        row = self.row
        return disclosure.archived_on(row.status, row.status_changed_on, row.disclosure_ends_on, info.context.today)

    @strawberry.field
    def channel(self) -> SubmissionChannel:
        return SubmissionChannel(self.row.channel)

    @strawberry.field
    def submitted_at(self) -> dt.datetime:
        return self.row.submitted_at

    @strawberry.field(description="Working days past the catalogue item's submission deadline (XZ-12). "
                                  "Protected: the provider, the centre, auditors, officers with a purpose.")
    def late_working_days(self, info: Info) -> Optional[int]:
        info.context.access.require_field("CreditRecord.lateWorkingDays", self.row, info.path.as_list())
        return self.row.late_working_days

    @strawberry.field
    def version(self) -> int:
        return self.row.version

    @strawberry.field(description="Every version of the record, oldest first (HC-18): as submitted, then as each "
                                  "correction left it. Protected: the provider, the subject, auditors.")
    async def versions(
            self, info: Info) -> Optional[list[Annotated["RecordVersionType", strawberry.lazy("schema.collection")]]]:
        from schema.collection import record_versions

        return await record_versions(self, info)

    @strawberry.field(description="Open annotations, e.g. an objection under review (HC-29).")
    async def annotations(self, info: Info) -> list[RecordAnnotation]:
        rows = await info.context.loaders.annotations.load(self.row.id)
        return [RecordAnnotation(kind=a.kind, text=a.text, created_at=a.created_at) for a in rows]

    @strawberry.field(description="Every content field, labelled as in the catalogue.")
    def details(self, info: Info) -> list[RecordDetail]:
        item = info.context.reference.items.get(self.row.catalogue_item_code)
        fields = _catalogue_fields(item)
        personal_ok = _shows_personal(info, self.row)
        details = []
        for name, value in self.row.content.items():
            spec = fields.get(name, {})
            text = None if value is None else str(value)
            if spec.get("personal") and not personal_ok and text is not None:
                text = mask_person_name(text)
            details.append(RecordDetail(name=name, label=spec.get("label", name), type=spec.get("type", "string"),
                                        value=text))
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


def content_field(name: str, kind: type, description: str):
    """A typed field read from the record's content under `name`."""

    def resolve(root: CreditRecord) -> Any:
        return _convert(root.row.content.get(name), kind)

    resolve.__annotations__ = {"root": CreditRecord, "return": Optional[kind]}
    resolve.__name__ = f"resolve_{name}"
    return strawberry.field(resolver=resolve, description=description)


@strawberry.type(description="法人和其他组织登记注册信息 (HC-10(1), XZ-7(1)).")
class OrganisationRegistrationRecord(CreditRecord):
    legal_representative: Optional[str] = content_field("legalRepresentative", str, "法定代表人或负责人")
    established_on: Optional[dt.date] = content_field("establishedOn", dt.date, "成立日期")
    registered_address: Optional[str] = content_field("registeredAddress", str, "住所")
    business_scope: Optional[str] = content_field("businessScope", str, "经营范围")


@strawberry.type(description="自然人身份及基本信息 (HC-11, XZ-8(1)).")
class PersonIdentityRecord(CreditRecord):
    gender: Optional[str] = content_field("gender", str, "性别")
    education: Optional[str] = content_field("education", str, "学历")
    employer: Optional[str] = content_field("employer", str, "就业单位")
    marital_status: Optional[str] = content_field("maritalStatus", str, "婚姻状况")


@strawberry.type(description="行政许可、资格资质、认证认可 (HC-10(2)(3), HC-11(3), XZ-7(4)).")
class LicenceRecord(CreditRecord):
    licence_name: Optional[str] = content_field("licenceName", str, "许可/资质名称")
    licence_number: Optional[str] = content_field("licenceNumber", str, "许可证编号")
    licence_kind: Optional[str] = content_field("licenceKind", str, "许可类别")
    scope: Optional[str] = content_field("scope", str, "许可内容/范围")


@strawberry.type(description="表彰奖励、志愿服务、慈善捐赠 (HC-12(1)(2), HC-33, XZ-7(15)).")
class HonourRecord(CreditRecord):
    honour_name: Optional[str] = content_field("honourName", str, "荣誉/活动名称")
    honour_kind: Optional[str] = content_field("honourKind", str, "AWARD / VOLUNTEER / CHARITY")
    awarding_body: Optional[str] = content_field("awardingBody", str, "授予/组织单位")
    level: Optional[str] = content_field("level", str, "级别")


@strawberry.type(description="分类管理中的等级评价 (HC-12(3)).")
class EvaluationRecord(CreditRecord):
    rating: Optional[str] = content_field("rating", str, "评价等级")
    evaluation_scheme: Optional[str] = content_field("evaluationScheme", str, "评价体系")
    period: Optional[str] = content_field("period", str, "评价期间")


@strawberry.type(description="行政处罚、行政强制、责令改正、行业禁入、责任事故处理 (HC-13(6)-(9), XZ-7(10)(12)).")
class PenaltyRecord(CreditRecord):
    violation: Optional[str] = content_field("violation", str, "违法行为")
    legal_basis: Optional[str] = content_field("legalBasis", str, "处罚依据")
    penalty_kind: Optional[str] = content_field("penaltyKind", str, "处罚类别")
    fine_amount: Optional[Decimal] = content_field("fineAmount", Decimal, "罚款金额")


@strawberry.type(description="法院生效判决、裁定及执行信息, 失信被执行 (HC-13(1), XZ-7(7)).")
class JudgmentRecord(CreditRecord):
    court: Optional[str] = content_field("court", str, "法院")
    case_number: Optional[str] = content_field("caseNumber", str, "案号")
    obligation: Optional[str] = content_field("obligation", str, "生效法律文书确定的义务")
    performance: Optional[str] = content_field("performance", str, "履行情况")


@strawberry.type(description="欠税、欠缴社保费、公积金、行政事业性收费 (HC-13(2)(4), HC-14(1), XZ-7(8)(11)).")
class ArrearsRecord(CreditRecord):
    arrears_kind: Optional[str] = content_field("arrearsKind", str, "欠缴类别")
    amount_owed: Optional[Decimal] = content_field("amountOwed", Decimal, "欠缴金额")
    owed_since: Optional[dt.date] = content_field("owedSince", dt.date, "欠缴起始日期")


@strawberry.type(description="虚假材料、作伪证、考试作弊、学历造假、骗取社保等 (HC-13(5), HC-14(2)-(4)).")
class MisconductRecord(CreditRecord):
    conduct: Optional[str] = content_field("conduct", str, "失信行为")
    finding: Optional[str] = content_field("finding", str, "认定结论")


@strawberry.type(description="A record of a catalogue item that fits no other family; see `details`.")
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


def record_object(row: Row) -> CreditRecord:
    return RECORD_TYPES.get(Family(row.family), OtherRecord)(row=row)
