"""The closed vocabularies of SPEC 2 and 3, shared by the store, the policies and the schema."""

from __future__ import annotations

import enum


class SubjectKind(str, enum.Enum):
    """信息主体: a natural person (resident ID) or a legal person / other organisation (USCC)."""

    NATURAL_PERSON = "NATURAL_PERSON"
    ORGANISATION = "ORGANISATION"


class SubjectStatus(str, enum.Enum):
    """Whether the subject still exists: BASIC records are disclosed until it ends (HC-19(1))."""

    ACTIVE = "ACTIVE"
    TERMINATED = "TERMINATED"  # organisation deregistered / dissolved
    DECEASED = "DECEASED"  # natural person


class Category(str, enum.Enum):
    """HC-9: basic, good and bad (失信) information."""

    BASIC = "BASIC"
    GOOD = "GOOD"
    BAD = "BAD"


class Visibility(str, enum.Enum):
    """公开属性 (HC-20, XZ-15): who may read a record without anything else."""

    PUBLIC = "PUBLIC"  # 社会公开, XZ class A
    AUTHORIZED = "AUTHORIZED"  # 授权查询: only with the subject's written authorisation
    SHARED = "SHARED"  # 部门共享, XZ class B
    LIMITED = "LIMITED"  # 有限共享, XZ class C: only the departments listed for the item


class Severity(str, enum.Enum):
    """Grades of bad records under the national credit repair measures."""

    MINOR = "MINOR"
    GENERAL = "GENERAL"
    SERIOUS = "SERIOUS"


class RecordStatus(str, enum.Enum):
    """Lifecycle of a record (SPEC 3.2, 3.4). Only ACTIVE records are answered to ordinary readers."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"  # disclosure period ended (HC-19): kept, shown to the subject and auditors
    SUSPENDED = "SUSPENDED"  # provider missed the objection deadline (HC-29)
    REVOKED = "REVOKED"  # the decision behind it was revoked (HC-30)
    REPAIRED = "REPAIRED"  # credit repair certified (HC-31)
    DELETED = "DELETED"  # honour deleted at the subject's request (HC-33)


class SubmissionChannel(str, enum.Enum):
    """XZ-12: the three ways records come in."""

    API = "API"  # 系统对接
    BATCH = "BATCH"  # 批量上传
    MANUAL = "MANUAL"  # 逐条录入


class DepartmentKind(str, enum.Enum):
    """What a department is, which decides the policy roles its officers may hold."""

    GOVERNMENT = "GOVERNMENT"  # administrative organ
    JUDICIAL = "JUDICIAL"  # court, procuratorate
    PUBLIC_ORGANISATION = "PUBLIC_ORGANISATION"  # 法律法规授权的组织, 群团组织
    CREDIT_CENTRE = "CREDIT_CENTRE"  # 信用中心, platform operator
    SUPERVISOR = "SUPERVISOR"  # 主管部门 (发改), supervises and audits
    CREDIT_AGENCY = "CREDIT_AGENCY"  # recognised market credit service agency (XZ-15)


class Purpose(str, enum.Enum):
    """Why a non-public read happens (HC-23, XZ-18); travels in X-Query-Purpose."""

    LICENSING = "LICENSING"
    PROCUREMENT = "PROCUREMENT"
    BIDDING = "BIDDING"
    PUBLIC_RESOURCE_TRADING = "PUBLIC_RESOURCE_TRADING"
    SUBSIDY = "SUBSIDY"
    HIRING = "HIRING"
    COMMENDATION = "COMMENDATION"
    SUPERVISION = "SUPERVISION"
    JUDICIAL = "JUDICIAL"
    SELF_QUERY = "SELF_QUERY"
    OTHER = "OTHER"


class RecordFamily(str, enum.Enum):
    """The shape of a record's content; each family is a concrete GraphQL type."""

    ORGANISATION_REGISTRATION = "ORGANISATION_REGISTRATION"
    PERSON_IDENTITY = "PERSON_IDENTITY"
    LICENCE = "LICENCE"
    HONOUR = "HONOUR"
    EVALUATION = "EVALUATION"
    PENALTY = "PENALTY"
    JUDGMENT = "JUDGMENT"
    ARREARS = "ARREARS"
    MISCONDUCT = "MISCONDUCT"
    OTHER = "OTHER"


class RecordChange(str, enum.Enum):
    """What made a record version (HC-18): every change keeps the previous state as a version."""

    CREATED = "CREATED"  # version 1, as submitted
    CORRECTED = "CORRECTED"  # the provider corrected it (correctRecord)
    STATUS = "STATUS"  # its status changed (objection, revocation, repair, deletion)


class ObjectionGround(str, enum.Enum):
    """Why a subject objects to a record (HC-29(1)-(3); XZ-22: 和事实不符 is the first)."""

    ERROR_OR_OMISSION = "ERROR_OR_OMISSION"  # 记载存在错误或者遗漏
    PRIVACY_OR_TRADE_SECRET = "PRIVACY_OR_TRADE_SECRET"  # 侵犯其商业秘密、个人隐私
    PAST_ITS_PERIOD = "PAST_ITS_PERIOD"  # 失信信息超过披露期限仍未删除


class ObjectionChannel(str, enum.Enum):
    """How an objection reached the centre (XZ-22: 书面异议申请或者在线异议提交)."""

    ONLINE = "ONLINE"  # filed through the API by the subject or its grantee
    WRITTEN = "WRITTEN"  # a written application, entered by a centre operator with its reference


class ObjectionOutcome(str, enum.Enum):
    """What the centre's comparison found (HC-29): the platform's copy against the provider's."""

    DIFFERS = "DIFFERS"  # 确有不一致: the centre corrects from the provider's copy
    SAME = "SAME"  # 一致: forwarded to the provider


class ObjectionDecision(str, enum.Enum):
    """The provider's verification (HC-29, XZ-23)."""

    UPHELD = "UPHELD"  # 异议成立: corrected (or revoked)
    REJECTED = "REJECTED"  # 异议不成立: the record stands


class AnnotationKind(str, enum.Enum):
    """Why a record carries an annotation (标注, HC-29)."""

    OBJECTION_OPEN = "OBJECTION_OPEN"  # an objection is under review
    OBJECTION_DISPUTED = "OBJECTION_DISPUTED"  # the objection was rejected and the subject still disputes it
    NOTE = "NOTE"  # a note by the credit centre


class FieldType(str, enum.Enum):
    """The type of a catalogue item's content field, as the catalogue file writes it (lower case)."""

    STRING = "string"
    TEXT = "text"
    DATE = "date"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    ENUM = "enum"


class Unit(str, enum.Enum):
    """The unit of a numeric content field, as the catalogue file writes it (and its labels show it)."""

    TEN_THOUSAND_YUAN = "万元"
    YUAN = "元"
    HOUR = "小时"
    PERSON = "人"
    MONTH = "月"


class RecordEventKind(str, enum.Enum):
    """What happened to a record on a day (SPEC 3.4: every step is a dated event, so `asOf` can
    reproduce any past day). Events are kept with the record; revocation scrubs their content."""

    SUBMITTED = "SUBMITTED"  # stored by its provider (HC-16)
    CORRECTED = "CORRECTED"  # content or dates corrected by its provider (HC-18)
    ACT_ENDED = "ACT_ENDED"  # the provider reported the end of an ongoing act: the BAD period starts (HC-19(3))
    SUBJECT_ENDED = "SUBJECT_ENDED"  # the subject was deregistered or died: the BASIC period follows (HC-19(1))
    CANCELLED = "CANCELLED"  # a GOOD record without validity cancelled by its provider (HC-19(2))
    PUBLICITY_ENDED = "PUBLICITY_ENDED"  # a graded penalty left public view (national repair measures)
    ARCHIVED = "ARCHIVED"  # its disclosure period ended (HC-19, 转为档案保存)
    REVOCATION_REPORTED = "REVOCATION_REPORTED"  # the provider reported the decision revoked (HC-30)
    REVOKED = "REVOKED"  # content deleted from live tables, tombstone kept (HC-30)
    REPAIR_CERTIFIED = "REPAIR_CERTIFIED"  # the provider certified credit repair (HC-31)
    REPAIRED = "REPAIRED"  # off the query interface (HC-31)
    HONOUR_DELETION_REQUESTED = "HONOUR_DELETION_REQUESTED"  # the subject asked (HC-33)
    HONOUR_DELETED = "HONOUR_DELETED"  # the provider deleted it (HC-33)
    RETENTION_ENDED = "RETENTION_ENDED"  # Xinzheng: a person's bad information deleted 5 years on (XZ-20)
    DEADLINE_MISSED = "DEADLINE_MISSED"  # a case's deadline passed with its step not taken
    OBJECTION_FILED = "OBJECTION_FILED"  # the subject (or its grantee, or the centre from a letter) objected (HC-29, XZ-22)
    OBJECTION_CORRECTED = "OBJECTION_CORRECTED"  # Huancui: the copies differed, the centre corrected (HC-29)
    OBJECTION_FORWARDED = "OBJECTION_FORWARDED"  # the centre forwarded it to the provider (HC-29, XZ-23)
    OBJECTION_UPHELD = "OBJECTION_UPHELD"  # the provider found the objection founded (HC-29, XZ-23)
    OBJECTION_REJECTED = "OBJECTION_REJECTED"  # the provider found the record right (HC-29, XZ-23)
    OBJECTION_RESULT_NOTIFIED = "OBJECTION_RESULT_NOTIFIED"  # Xinzheng: the centre's letter to the applicant (XZ-23)
    PERIODS_RECOMPUTED = "PERIODS_RECOMPUTED"  # the period rules changed: its periods computed again (SPEC 3.2)
    OBJECTION_WITHDRAWN = "OBJECTION_WITHDRAWN"  # the subject withdrew its open objection
    OBJECTION_DISPUTED = "OBJECTION_DISPUTED"  # the subject still disputes the rejection: annotated for good (HC-29)


class CaseKind(str, enum.Enum):
    """The workflows that open a case on a record (SPEC 3.1: an operator's `case` basis names one)."""

    REVOCATION = "REVOCATION"  # HC-30
    REPAIR = "REPAIR"  # HC-31
    HONOUR_DELETION = "HONOUR_DELETION"  # HC-33
    OBJECTION = "OBJECTION"  # HC-29, XZ-22..24 (issue 16)


class CaseParty(str, enum.Enum):
    """Who must act next on a case, and to whom a notification goes."""

    SUBJECT = "SUBJECT"  # the information subject (or its grantee)
    PROVIDER = "PROVIDER"  # the record's provider department
    CENTRE = "CENTRE"  # the credit centre (信用中心)
    NONE = "NONE"  # nobody: the case is closed
