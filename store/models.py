"""Tables for everything SPEC.md describes, so later workflows add rows, not columns.

Enumerated columns hold the `domain.enums` values as short strings (portable between SQLite and
PostgreSQL, readable in a psql session). Content that differs per catalogue item is JSON,
validated against the item before it is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.clock import utc_now
from store.instants import UTCDateTime

# BIGINT on PostgreSQL; INTEGER on SQLite so that it is the rowid alias and autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")


_now = utc_now  # every instant is stored in UTC (store.instants)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Department(Base):
    """部门 / 信息提供主体: submits records and queries them (SPEC 2)."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))


class Subject(Base):
    """信息主体: identified by a resident ID number or a unified social credit code (HC-7)."""

    __tablename__ = "subjects"
    # substring search by name (issue 14, goal 4; migration 0010): pg_trgm serves `name LIKE '%x%'`;
    # SQLite has an FTS5 trigram table instead (store/subject_search.py)
    __table_args__ = (Index("ix_subjects_name_trgm", "name", postgresql_using="gin",
                            postgresql_ops={"name": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),)

    code: Mapped[str] = mapped_column(String(18), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    # The day the organisation ended or the person died: BASIC disclosure runs from it (HC-19(1)).
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class CatalogueItem(Base):
    """目录项 (HC-8, XZ-26): loaded from the profile's catalogue file by init-db.

    The columns queries filter on are columns; the rest of the definition (fields, submission
    and disclosure rules) is kept whole in `definition`, as the catalogue file states it.
    """

    __tablename__ = "catalogue_items"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    profile: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(8))
    family: Mapped[str] = mapped_column(String(32))
    visibility: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str | None] = mapped_column(String(16))
    in_force_from: Mapped[dt.date | None] = mapped_column(Date)
    in_force_until: Mapped[dt.date | None] = mapped_column(Date)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class Record(Base):
    """信用记录: one fact about one subject from one provider under one catalogue item (HC-16).

    `visibility` is the item's class as it applies to this subject (natural persons' records
    are not PUBLIC unless a law requires it); it is stored so that access filters are plain SQL.
    """

    __tablename__ = "records"
    __table_args__ = (
        # A daily incremental sync may resend a record: this makes the resend idempotent.
        UniqueConstraint("provider_code", "catalogue_item_code", "document_number", name="uq_record_document"),
        Index("ix_records_subject_listing", "subject_code", "status", "decided_on"),
        Index("ix_records_provider_submitted", "provider_code", "submitted_at"),
        # SQLite: never give a deleted record's id again, its tombstone keeps naming it (HC-30; 0009).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"))
    catalogue_item_code: Mapped[str] = mapped_column(ForeignKey("catalogue_items.code"), index=True)
    provider_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    category: Mapped[str] = mapped_column(String(8))
    family: Mapped[str] = mapped_column(String(32))
    visibility: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str | None] = mapped_column(String(16))

    # The legally effective document the record rests on (HC-16).
    document_number: Mapped[str] = mapped_column(String(128))
    issuing_authority: Mapped[str] = mapped_column(String(200))
    decided_on: Mapped[dt.date] = mapped_column(Date)

    # What the disclosure period runs from (HC-19, XZ-20).
    act_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    disclosure_ends_on: Mapped[dt.date | None] = mapped_column(Date)

    # Lifecycle (domain.enums.RecordStatus) and the day it last changed (archive date, etc.).
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    status_changed_on: Mapped[dt.date | None] = mapped_column(Date)

    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Reference to the subject's written consent, for consent-only content (HC-15, XZ-9(3)).
    consent_ref: Mapped[str | None] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Collection (XZ-12, XZ-13): how and when it came in, and how late.
    channel: Mapped[str] = mapped_column(String(8))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    submitted_by: Mapped[str] = mapped_column(String(128))
    deadline_on: Mapped[dt.date | None] = mapped_column(Date)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    late_working_days: Mapped[int] = mapped_column(Integer, default=0)

    # Last day a graded penalty is shown to the public (national repair measures; SPEC 3.2): PUBLIC
    # display only, departments read it until `disclosure_ends_on`. None: no separate publicity end.
    publicity_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    # Last day an archived record is kept before it is deleted (Xinzheng, persons' bad information,
    # XZ-20). None: kept without a deletion date.
    retained_until: Mapped[dt.date | None] = mapped_column(Date)

    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now, onupdate=_now)


class RecordVersion(Base):
    """Every change keeps the previous version (HC-18): a full snapshot per version."""

    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("record_id", "version", name="uq_record_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(16))  # CREATED / CORRECTED / STATUS
    reason: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class Objection(Base):
    """异议 (HC-29, XZ-22..24): a subject disputes a record; deadlines come from the profile."""

    __tablename__ = "objections"
    # SQLite: an objection deleted with its record keeps its id (cases and logs name it; 0009).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    ground: Mapped[str] = mapped_column(String(32))  # ERROR_OR_OMISSION / PRIVACY_OR_TRADE_SECRET / PAST_PERIOD
    statement: Mapped[str] = mapped_column(Text)
    evidence_ref: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="FILED")
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    centre_due_on: Mapped[dt.date | None] = mapped_column(Date)
    provider_due_on: Mapped[dt.date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Annotation(Base):
    """标注: what a query shows beside a disputed record (HC-29)."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    objection_id: Mapped[int | None] = mapped_column(ForeignKey("objections.id"))
    case_id: Mapped[int | None] = mapped_column(BigInteger)  # the objection case it stands for (0012)
    kind: Mapped[str] = mapped_column(String(32))  # OBJECTION_OPEN / OBJECTION_DISPUTED / NOTE
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Authorization(Base):
    """书面授权 (HC-22, XZ-18): a subject lets a named grantee read its non-public records."""

    __tablename__ = "authorizations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_code: Mapped[str] = mapped_column(ForeignKey("subjects.code"), index=True)
    grantee_user: Mapped[str | None] = mapped_column(String(128), index=True)
    grantee_department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), index=True)
    scope_items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    scope_classes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    written_ref: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class QueryPermit(Base):
    """查询申请 / 正式函件 (HC-23, XZ-18): a department's approved written application to query
    SHARED information (Huancui), or its official letter for a class C query (Xinzheng), as the
    credit centre registered it. A query's basis names its number (SPEC 2, Query permit)."""

    __tablename__ = "query_permits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(128), unique=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    scope_classes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    scope_items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    document_ref: Mapped[str] = mapped_column(String(200))
    registered_by: Mapped[str] = mapped_column(String(128))
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(128))
    revocation_reason: Mapped[str | None] = mapped_column(String(500))


class QueryDocument(Base):
    """A GraphQL document stored once per hash, so log entries stay small."""

    __tablename__ = "query_documents"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class QueryLogEntry(Base):
    """查询日志 (HC-23, HC-35, XZ-19): one entry per resolved operation, hash-chained."""

    __tablename__ = "query_log"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    request_id: Mapped[str] = mapped_column(String(64))
    user: Mapped[str | None] = mapped_column(String(128), index=True)
    user_name: Mapped[str | None] = mapped_column(String(128))  # 查询人员姓名 (HC-23), the token's name claim
    department: Mapped[str | None] = mapped_column(String(32), index=True)
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    client: Mapped[str | None] = mapped_column(String(64))
    operation_name: Mapped[str | None] = mapped_column(String(128))
    operation_type: Mapped[str | None] = mapped_column(String(16))
    document_hash: Mapped[str | None] = mapped_column(String(64))
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    purpose: Mapped[str | None] = mapped_column(String(32), index=True)
    basis: Mapped[str | None] = mapped_column(String(128))
    authorization_id: Mapped[int | None] = mapped_column(BigInteger)
    subjects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    record_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    refused: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(16))
    duration_ms: Mapped[float] = mapped_column()
    # Added by revision 0011, hashed when set (store.chain.OPTIONAL_HASHED_FIELDS): the calls made to
    # federated sources for this request (issue 18) and the creditCheck receipts it issued (issue 17).
    remote_calls: Mapped[list[Any] | None] = mapped_column(JSON)
    receipts: Mapped[list[Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class QueryLogSubject(Base):
    """Which subjects an entry touched, for per-subject counts and histories (XZ-19)."""

    __tablename__ = "query_log_subjects"

    seq: Mapped[int] = mapped_column(ForeignKey("query_log.seq"), primary_key=True)
    subject_code: Mapped[str] = mapped_column(String(18), primary_key=True, index=True)


class SubmissionLogEntry(Base):
    """归集日志 (HC-35): every write, chained like the query log."""

    __tablename__ = "submission_log"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    user: Mapped[str | None] = mapped_column(String(128))
    department: Mapped[str | None] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(32))  # SUBMIT / CORRECT / AUTHORIZE / REVOKE / POLICY ...
    channel: Mapped[str | None] = mapped_column(String(8))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class PolicyRule(Base):
    """Casbin policy lines when policies are kept in the database (several workers)."""

    __tablename__ = "casbin_rule"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ptype: Mapped[str] = mapped_column(String(8))
    v0: Mapped[str | None] = mapped_column(String(128))
    v1: Mapped[str | None] = mapped_column(String(128))
    v2: Mapped[str | None] = mapped_column(String(128))
    v3: Mapped[str | None] = mapped_column(String(128))
    v4: Mapped[str | None] = mapped_column(String(128))
    v5: Mapped[str | None] = mapped_column(String(128))


class CalendarYear(Base):
    """An operator-added year of the official holiday schedule (SPEC 3.4, last point)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(256))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class Setting(Base):
    """Deployment facts fixed at init-db (the jurisdiction profile), checked at start."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


__all__ = [
    "Base", "Department", "Subject", "CatalogueItem", "Record", "RecordVersion", "Objection",
    "Annotation", "Authorization", "QueryDocument", "QueryLogEntry", "QueryLogSubject",
    "SubmissionLogEntry", "PolicyRule", "CalendarYear", "Setting", "ImportJob", "RecordEvent",
    "RecordTombstone", "Case", "Notification", "WebhookSubscription", "WebhookDelivery",
]


class ImportJob(Base):
    """A spreadsheet sent to `POST /import`, imported in the background (issue 14): who sent what,
    where the job is, and what it stored. The counts are exact once the job has ended: the chunks
    it committed are the submission-log entries tagged with its `public_id` (`ingest.import_jobs`)."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # the id clients see (unguessable)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    user: Mapped[str | None] = mapped_column(String(128))
    catalogue_item: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(200))  # as sent, for messages and the report's name
    folder: Mapped[str] = mapped_column(Text)  # where the file and its error report are kept
    today: Mapped[dt.date] = mapped_column(Date)  # the day it was sent: lateness is counted from it
    state: Mapped[str] = mapped_column(String(16), index=True)  # QUEUED / RUNNING / SUCCEEDED / FAILED
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    not_stored: Mapped[int] = mapped_column(Integer, default=0)
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str | None] = mapped_column(String(128))  # the serving process running it (host:pid:token)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RecordEvent(Base):
    """A dated step in a record's life (SPEC 3.4; `domain.enums.RecordEventKind`).

    `effective_on` is the jurisdiction day the step takes effect (what `asOf` compares with);
    `at` is the UTC instant it was recorded. `before` and `after` hold only the fields the step
    changed (status, dates, content), so replaying a record's events reproduces any past day.
    `record_id` is not a foreign key: events outlive a revoked record's row (its tombstone), with
    their content scrubbed.
    """

    __tablename__ = "record_events"
    __table_args__ = (Index("ix_record_events_record", "record_id", "effective_on", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(BigInteger)
    subject_code: Mapped[str] = mapped_column(String(18), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    actor_user: Mapped[str | None] = mapped_column(String(128))
    actor_department: Mapped[str | None] = mapped_column(String(32))
    document_ref: Mapped[str | None] = mapped_column(String(200))  # the written document the step rests on
    case_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RecordTombstone(Base):
    """What stays of a record deleted from the live tables (HC-30 revocation, HC-33 honour deletion,
    XZ-20 end of retention): enough for logs naming its id to stay readable, no content."""

    __tablename__ = "record_tombstones"

    record_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subject_code: Mapped[str] = mapped_column(String(18), index=True)
    provider_code: Mapped[str] = mapped_column(String(32))
    catalogue_item_code: Mapped[str] = mapped_column(String(64))
    document_number: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(32))  # RecordEventKind: REVOKED / HONOUR_DELETED / RETENTION_ENDED
    reference: Mapped[str | None] = mapped_column(String(200))  # the revocation's or request's document
    effective_on: Mapped[dt.date] = mapped_column(Date)  # the day it was revoked / deleted
    deleted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    deleted_by: Mapped[str | None] = mapped_column(String(128))


class Case(Base):
    """A workflow on one record (revocation, repair, honour deletion; objections in issue 16): its
    state, who acts next and by when, in working days (`domain.workflows` holds the rules)."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_open", "state", "due_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # CaseKind
    record_id: Mapped[int] = mapped_column(BigInteger, index=True)
    subject_code: Mapped[str] = mapped_column(String(18), index=True)
    provider_code: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(32))
    next_party: Mapped[str] = mapped_column(String(16))  # CaseParty
    opened_on: Mapped[dt.date] = mapped_column(Date)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    opened_by: Mapped[str | None] = mapped_column(String(128))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    document_ref: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now, onupdate=_now)


class Notification(Base):
    """A message to whom a step concerns (SPEC 3.4): a subject, a department, or the centre."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient", "recipient_party", "recipient", "read_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recipient_party: Mapped[str] = mapped_column(String(16))  # CaseParty: SUBJECT / PROVIDER / CENTRE
    recipient: Mapped[str] = mapped_column(String(32))  # subject code, department code, or the centre's code
    kind: Mapped[str] = mapped_column(String(32))  # RecordEventKind or a case step
    subject_code: Mapped[str | None] = mapped_column(String(18))
    record_id: Mapped[int | None] = mapped_column(BigInteger)
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class WebhookSubscription(Base):
    """A department's URL for its notifications, bodies signed with HMAC-SHA256 under `secret`."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    created_by: Mapped[str | None] = mapped_column(String(128))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One notification owed to one webhook: attempts, backoff, outcome (the delivery log)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "notification_id", name="uq_webhook_delivery"),
                      Index("ix_webhook_deliveries_due", "state", "next_attempt_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    state: Mapped[str] = mapped_column(String(16))  # PENDING / DELIVERED / FAILED
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)  # HTTP status of the last attempt
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class EvidenceFile(Base):
    """证明材料 (HC-29, XZ-22): a file a subject uploads for an objection (`POST /evidence`). The
    content lives in the evidence folder under its SHA-256; the row says who uploaded it, what it is
    and which objection case cites it, so that only the case's parties and auditors may read it."""

    __tablename__ = "evidence_files"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(String(128))
    uploaded_for: Mapped[str | None] = mapped_column(String(18))  # the subject the uploader acts for
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    # 0011 pointed at the older `objections` table, no longer written: objections are cases (0013)
    objection_id: Mapped[int | None] = mapped_column(ForeignKey("objections.id"), index=True)
    # the objection case that cites it (fileObjection's evidenceIds); null until then
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", name="fk_evidence_files_case_id"), index=True)


class CreditCheckReceipt(Base):
    """回执 (issue 17): where a creditCheck answer's receipt is kept. The answer's hash itself is in
    the chained query-log entry (`query_log.receipts`); this row only finds that entry by receipt id,
    so an insider who edits it cannot make a different answer verify."""

    __tablename__ = "credit_check_receipts"

    receipt_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    log_seq: Mapped[int] = mapped_column(BigInteger, index=True)  # the query-log entry that holds the hash
    subject_code: Mapped[str] = mapped_column(String(18), index=True)
    answer_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class FederatedSource(Base):
    """A department's live GraphQL source admitted to extend Subject (issue 18). `current_version`
    names the admitted SDL the served schema uses; removal sets `removed_at` (history is kept)."""

    __tablename__ = "federated_sources"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    department_code: Mapped[str | None] = mapped_column(String(32))
    signing_key: Mapped[str] = mapped_column(String(128))  # HMAC key of calls to the source, made at admission
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    admitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    admitted_by: Mapped[str | None] = mapped_column(String(128))
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class FederatedSourceVersion(Base):
    """One admitted SDL of a source, kept whole, with the binding of each remote field to the
    catalogue item whose class and share list govern it (issue 18)."""

    __tablename__ = "federated_source_versions"

    source_name: Mapped[str] = mapped_column(ForeignKey("federated_sources.name"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    sdl: Mapped[str] = mapped_column(Text)
    sdl_hash: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # remote field name -> catalogue item code
    admitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    admitted_by: Mapped[str | None] = mapped_column(String(128))
