"""The domain vocabularies as GraphQL enums (UPPER_CASE values, same names as SPEC.md), each value described.

`described` refuses an enum whose values are not all described, so a value added in `domain.enums`
cannot reach the docs without its meaning.
"""

from __future__ import annotations

import enum

import strawberry

from domain import catalogue, enums


def described(cls: type[enum.Enum], description: str, values: dict[str, str], **options) -> type[enum.Enum]:
    """`cls` as a GraphQL enum whose every value carries the description given under its name."""
    assert set(values) == set(cls.__members__), f"{cls.__name__}: describe exactly {sorted(cls.__members__)}"
    wrapped = strawberry.enum(cls, description=description, **options)
    for value in wrapped.__strawberry_definition__.values:
        value.description = values[next(k for k, m in cls.__members__.items() if m.value == value.value)]
    return wrapped


SubjectKind = described(enums.SubjectKind, "信息主体类别: what kind of subject the information is about (HC-2, XZ-7, XZ-8).", {
    "NATURAL_PERSON": "A natural person (自然人), identified by the 18-character resident ID number (GB 11643).",
    "ORGANISATION": "A legal person or other organisation (法人和其他组织), identified by the unified social "
                    "credit code (统一社会信用代码, GB 32100).",
})
SubjectStatus = described(enums.SubjectStatus, (
    "Whether the subject still exists: BASIC records are disclosed until some years after it ends (HC-19(1))."), {
    "ACTIVE": "The organisation exists, or the person lives.",
    "TERMINATED": "The organisation was deregistered or dissolved (注销); `Subject.endedOn` says when.",
    "DECEASED": "The natural person died; `Subject.endedOn` says when.",
})
Category = described(enums.Category, "信息类别 (HC-9): basic, good or bad (失信) information.", {
    "BASIC": "Basic information (基本信息, HC-10, HC-11): registration, identity, licences and qualifications.",
    "GOOD": "Good information (良好信息, HC-12): commendations, awards, volunteering, charity, good ratings.",
    "BAD": "Bad information (失信信息, HC-13, HC-14): penalties, judgments not performed, arrears, misconduct.",
})
Visibility = described(enums.Visibility, (
    "公开属性 (HC-20, XZ-15): who may read a record without anything else (the policy decides per role)."), {
    "PUBLIC": "Disclosed to society (社会公开; Xinzheng class A): anyone may read it.",
    "AUTHORIZED": "Read by query with the subject's written authorisation only (授权查询).",
    "SHARED": "Shared between departments (部门共享; Xinzheng class B): government departments read it "
              "for a declared purpose.",
    "LIMITED": "Shared with named departments only (有限共享; Xinzheng class C): those the catalogue item lists "
               "in `sharedWith`.",
})
Severity = described(enums.Severity, (
    "Grade of a bad record (轻微 / 一般 / 严重). For administrative penalties the grade sets the minimum and maximum "
    "publicity, given in the profile with its source (SPEC 3.2); it never shortens the disclosure period."), {
    "MINOR": "Minor (轻微) bad information: an administrative penalty of this grade is not published.",
    "GENERAL": "General (一般) bad information: a penalty is public 3 months to 1 year from the decision.",
    "SERIOUS": "Serious (严重) bad information: a penalty is public 1 to 3 years from the decision.",
})
UpdateFrequency = described(catalogue.CollectionPeriod, (
    "更新频率 (HC-8): how often an item's records are collected; a periodic item's records are due 10 working days "
    "after each period ends (XZ-12(2))."), {
    "PER_DECISION": "Each decision as it is made: administrative licensing and penalty decisions, due 7 working days "
                    "after the decision (XZ-12(2)).",
    "MONTH": "Monthly: due 10 working days after the month ends.",
    "QUARTER": "Quarterly: due 10 working days after the quarter ends.",
    "HALF_YEAR": "Half-yearly: due 10 working days after June or December ends.",
    "YEAR": "Yearly: due 10 working days after the year ends.",
}, name="UpdateFrequency")
DeadlineStart = described(catalogue.DeadlineFrom, "When an item's submission deadline (XZ-12(2)) starts running.", {
    "DECISION": "From the day of the decision (administrative licensing and penalties: 7 working days).",
    "PERIOD_END": "From the end of the collection period the decision falls in (other information: 10 working days).",
}, name="DeadlineStart")
RecordStatus = described(enums.RecordStatus, (
    "Lifecycle status of a record (SPEC 3.2, 3.4). Only ACTIVE records are answered to ordinary readers."), {
    "ACTIVE": "Disclosed: within its disclosure period and not withdrawn.",
    "ARCHIVED": "Its disclosure period ended (HC-19, XZ-20): kept, shown to the subject and auditors only.",
    "SUSPENDED": "Withheld from the public because the provider missed the objection deadline (中止, HC-29); "
                 "departments still see it.",
    "REVOKED": "The decision behind it was revoked (HC-30): its content is deleted, a tombstone remains.",
    "REPAIRED": "Credit repair was certified (信用修复, HC-31): no longer shown on queries.",
    "DELETED": "An honour deleted at the subject's request (HC-33).",
})
SubmissionChannel = described(enums.SubmissionChannel, "How a record came in (XZ-12).", {
    "API": "Through the system interface (系统对接): submitRecords or the gateway's API.",
    "BATCH": "By batch upload of a spreadsheet (批量上传, POST /import).",
    "MANUAL": "Entered one by one by hand (逐条录入), e.g. in GraphiQL.",
})
DepartmentKind = described(enums.DepartmentKind, (
    "What a department is, which decides the policy roles its officers may hold and whether it may provide "
    "records (HC-2, HC-6)."), {
    "GOVERNMENT": "An administrative organ (行政机关): provides records.",
    "JUDICIAL": "A court or procuratorate (司法机关): provides records.",
    "PUBLIC_ORGANISATION": "An organisation authorised by law, or a people's organisation (法律法规授权的组织, "
                           "群团组织): provides records.",
    "CREDIT_CENTRE": "The credit centre (信用中心, HC-6): runs the platform; never collects records.",
    "SUPERVISOR": "The supervising department (主管部门, 发展改革部门, HC-6): supervises and audits; never "
                  "collects records.",
    "CREDIT_AGENCY": "A recognised market credit service agency (信用服务机构, HC-28, XZ-15): reads, never provides.",
})
Purpose = described(enums.Purpose, (
    "Why non-public information is read (HC-23, XZ-18); sent in the X-Query-Purpose header and logged."), {
    "LICENSING": "Administrative licensing (行政许可).",
    "PROCUREMENT": "Government procurement (政府采购).",
    "BIDDING": "Tendering and bidding (招标投标).",
    "PUBLIC_RESOURCE_TRADING": "Public resource trading (公共资源交易).",
    "SUBSIDY": "Granting subsidies or funds (财政资金补助).",
    "HIRING": "Recruiting or appointing staff (人员招录、任用).",
    "COMMENDATION": "Commendations and awards (表彰奖励).",
    "SUPERVISION": "Day-to-day supervision and enforcement (日常监管).",
    "JUDICIAL": "Judicial proceedings (司法).",
    "SELF_QUERY": "The subject reading its own information (本人查询).",
    "OTHER": "Another purpose the law allows; name it in X-Query-Basis.",
})
RecordFamily = described(enums.RecordFamily, (
    "The shape of a record's content: each family is a concrete CreditRecord type with typed content fields."), {
    "ORGANISATION_REGISTRATION": "Registration of a legal person or organisation (登记注册): "
                                 "OrganisationRegistrationRecord.",
    "PERSON_IDENTITY": "A natural person's identity and basic information (身份信息): PersonIdentityRecord.",
    "LICENCE": "Licences, qualifications, certifications (行政许可、资格资质): LicenceRecord.",
    "HONOUR": "Commendations, awards, volunteering, charity (表彰奖励、志愿服务、慈善捐赠): HonourRecord.",
    "EVALUATION": "A grade in classified management (等级评价): EvaluationRecord.",
    "PENALTY": "Administrative penalties, coercion, orders, bans, accident findings (行政处罚等): PenaltyRecord.",
    "JUDGMENT": "Effective court judgments and their enforcement (生效判决、执行): JudgmentRecord.",
    "ARREARS": "Taxes, social insurance, housing fund or fees owed (欠缴): ArrearsRecord.",
    "MISCONDUCT": "False materials, perjury, cheating, fraud (虚假材料、作弊、骗取): MisconductRecord.",
    "OTHER": "Any other content: OtherRecord, read through `details`.",
})
RecordChange = described(enums.RecordChange, "What made a version of a record (HC-18).", {
    "CREATED": "Version 1: the record as submitted.",
    "CORRECTED": "The provider corrected the record (correctRecord), giving a reason.",
    "STATUS": "The record's status changed (objection, revocation, repair or deletion).",
})
AnnotationKind = described(enums.AnnotationKind, "Why a record carries an annotation (标注, HC-29).", {
    "OBJECTION_OPEN": "An objection (异议) to the record is under review.",
    "OBJECTION_DISPUTED": "The objection was rejected and the subject still disputes the record.",
    "NOTE": "Another annotation the credit centre made.",
})
FieldType = described(enums.FieldType, (
    "The type of a catalogue item's content field (HC-8: the catalogue says what each record holds). The catalogue "
    "file writes it in lower case (`decimal`); GraphQL answers the upper-case value (`DECIMAL`)."), {
    "STRING": "Short text: at most 200 characters unless the item says otherwise.",
    "TEXT": "Long text: at most 2000 characters unless the item says otherwise.",
    "DATE": "A calendar day, YYYY-MM-DD.",
    "INTEGER": "A whole number; see `unit`.",
    "DECIMAL": "A decimal number, written as text (\"2000.00\") so that no precision is lost; see `unit`.",
    "BOOLEAN": "true or false.",
    "ENUM": "One of the field's `values`.",
})
Unit = described(enums.Unit, "The unit of a numeric content field, as the catalogue gives it.", {
    "TEN_THOUSAND_YUAN": "万元: ten thousand yuan (CNY 10,000). 2.5 means CNY 25,000.",
    "YUAN": "元: yuan (CNY).",
    "HOUR": "小时: hours.",
    "PERSON": "人: persons (a head count).",
    "MONTH": "月: months.",
})
