"""GraphQL for collecting records (SPEC 3.3): submitRecords, correctRecord, lateSubmissions, versions.

The API and manual entry in GraphiQL use the same mutation, so its input types carry the
documentation a person filling them in needs. Fields a record requires are nullable here on
purpose: a batch then reports each missing one against its item, instead of the whole request
failing GraphQL validation. Who may do what is decided here from the token (roles and
department); what a record may contain is decided by `resolvers.collection`.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Optional

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.enums import RecordChange as RecordChangeValue
from domain.enums import SubmissionChannel as ChannelValue
from domain.masking import mask_person_name
from domain.submissions import RecordSubmission
from resolvers import calendar_years, collection, correction, lateness
from domain.problems import Problem, ProblemCode
from resolvers.bounds import id_or_problem
from resolvers.node_ids import NodeKind, global_id
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, Forbidden
from schema.enums import RecordChange, SubmissionChannel, described
from schema.mutation_errors import MutationError, errors_of
from schema.records import CreditRecord, record_object, visible_record
from resolvers.bounds import DEFAULT_FIRST, check_first
from schema.relay import AFTER_DESCRIPTION, FIRST_DESCRIPTION, page_info
from schema.types import CatalogueItemType, DepartmentType, PageInfo

MAX_INPUTS = 1000
SUBMITTER_ROLES = frozenset({"officer", "submitter"})
OVERSEER_ROLES = frozenset({"operator", "auditor"})

SubmissionMode = described(collection.Mode, "What a batch with faulty items does (XZ-12).", {
    "ALL_OR_NOTHING": "Store nothing unless every item is sound: one faulty item leaves the others NOT_STORED.",
    "BEST_EFFORT": "Store exactly the sound items; the faulty ones are REJECTED with their errors.",
}, name="SubmissionMode")
SubmissionStatus = described(collection.Status, "What became of one submitted item (SPEC 3.3).", {
    "STORED": "Stored as a new record.",
    "UNCHANGED": "The identical record was stored already (a retried sync): nothing was written.",
    "REJECTED": "Refused for its faults, each in the outcome's `errors`; nothing of it was stored.",
    "NOT_STORED": "Sound, but not stored because another item of the ALL_OR_NOTHING call was rejected: send it "
                  "again.",
}, name="SubmissionStatus")


@strawberry.input(description=(
    "One credit record (信用记录) as its provider submits it (HC-16). Fields marked Required must be given; "
    "they are nullable, and dates are text (YYYY-MM-DD), so that a batch reports each missing or malformed "
    "value against its item and still stores the sound items. `content` carries the "
    "fields the catalogue item declares (see `catalogue { code fields { name type required } }`)."))
class RecordInput:
    subject_code: Optional[str] = strawberry.field(default=None, description=(
        "Required. The subject's 18-character resident ID number (GB 11643) or unified social credit "
        "code (GB 32100), verified whole: division code, birth date or registration authority, category and "
        "organisation code, and check characters; a code that reads as a resident ID is judged as one only. "
        "Its kind must suit the catalogue item."))
    subject_name: Optional[str] = strawberry.field(default=None, description=(
        "The subject's name (at most 200 characters). Required only when the gateway does not know the "
        "subject yet (it is then created), and then on one input of the call for that subject."))
    catalogue_item: Optional[str] = strawberry.field(default=None, description=(
        "Required. The catalogue item's code, e.g. HC-13-6-PENALTY. It must be in force on decidedOn and "
        "list your department among its providers; information outside the catalogue is refused (HC-8)."))
    document_number: Optional[str] = strawberry.field(default=None, description=(
        "Required. Number of the legally effective document the record rests on (文书号, at most 128 "
        "characters). With your department and the item it identifies the record: resending it is safe."))
    issuing_authority: Optional[str] = strawberry.field(default=None, description=(
        "Required. The authority that issued the document (at most 200 characters)."))
    decided_on: Optional[str] = strawberry.field(default=None, description=(
        "Required. Date of the decision (YYYY-MM-DD), not in the future. The submission deadline runs from "
        "it for licensing and penalty decisions (7 working days, XZ-12(2)), else from the end of the item's "
        "collection period (CatalogueItem.updateFrequency); a penalty's publicity runs from it (SPEC 3.2)."))
    act_ended_on: Optional[str] = strawberry.field(default=None, description=(
        "Day the act or event ended (YYYY-MM-DD), before or after decidedOn but not in the future. A bad "
        "record's disclosure period (5 years) runs from it (HC-19(3)); left out, the act is still going on "
        "(unpaid arrears, an unperformed judgment) and the record stays disclosed until its end is reported."))
    valid_from: Optional[str] = strawberry.field(default=None, description=(
        "Start of the validity, if any (YYYY-MM-DD)."))
    valid_until: Optional[str] = strawberry.field(default=None, description=(
        "End of the validity (YYYY-MM-DD), not before validFrom. A good record is disclosed until it (HC-19(2))."))
    content: Optional[JSON] = strawberry.field(default=None, description=(
        "Required by most items. An object of the item's content fields, e.g. "
        "{\"violation\": \"…\", \"fineAmount\": \"2000.00\"}: required fields present, values of the declared "
        "type, no undeclared field. Prohibited information (religion, genes, fingerprints, blood type, "
        "diseases, race, family origin) is always refused (HC-15, XZ-9)."))
    consent_ref: Optional[str] = strawberry.field(default=None, description=(
        "Reference of the subject's written consent (at most 128 characters): needed for income, deposits, "
        "securities, commercial insurance, real estate and tax amounts (XZ-9(3))."))


@strawberry.input(description=(
    "What a correction changes (HC-18). Omitted fields stay as they are; null clears an optional one. "
    "`content` is merged into the record's content: a field given null is removed."))
class CorrectionInput:
    document_number: Optional[str] = strawberry.field(default=strawberry.UNSET, description=(
        "Number of the legally effective document (文书号, at most 128 characters); it must stay unique for "
        "your department and the item."))
    issuing_authority: Optional[str] = strawberry.field(default=strawberry.UNSET, description=(
        "The authority that issued the document (at most 200 characters)."))
    decided_on: Optional[str] = strawberry.field(default=strawberry.UNSET, description=(
        "Date of the decision (YYYY-MM-DD), not in the future. Changing it counts the submission deadline and a "
        "penalty's publicity again; actEndedOn stays as it is."))
    act_ended_on: Optional[str] = strawberry.field(default=strawberry.UNSET, description=(
        "Day the act or event ended (YYYY-MM-DD), before or after decidedOn but not in the future (HC-19(3))."))
    valid_from: Optional[str] = strawberry.field(default=strawberry.UNSET, description=(
        "Start of the validity (YYYY-MM-DD)."))
    valid_until: Optional[str] = strawberry.field(default=strawberry.UNSET, description=(
        "End of the validity (YYYY-MM-DD), not before validFrom."))
    content: Optional[JSON] = strawberry.field(default=strawberry.UNSET, description=(
        "Content fields to set, merged into the current content; a field given null is removed. The result "
        "is validated against the catalogue item like a submission."))
    consent_ref: Optional[str] = strawberry.field(default=strawberry.UNSET, description=(
        "Reference of the subject's written consent (XZ-9(3))."))


@strawberry.type(description="What became of one input of submitRecords.")
class SubmissionOutcome:
    number: strawberry.Private[Optional[int]]  # the stored record's row, when STORED or UNCHANGED
    index: int = strawberry.field(description="Position of the input in `records`, from 0.")
    status: SubmissionStatus = strawberry.field(description="Whether it was stored, and if not why not.")
    errors: list[MutationError] = strawberry.field(description=(
        "Every fault of this input, when REJECTED; fields as paths from `input`, e.g. "
        "`records[3].content.fineAmount`."))

    @strawberry.field(description="The record as stored, when STORED or UNCHANGED (null otherwise), read as "
                                  "`record(id)` reads it: its provider reads it whole (HC-18). Its `id` is the one "
                                  "correctRecord and `node(id)` take.")
    async def record(self, info: Info) -> Optional[CreditRecord]:
        return await visible_record(info, str(self.number)) if self.number else None

    @strawberry.field(description="The record's number, when STORED or UNCHANGED (0.1.0's id).",
                      deprecation_reason="Use `record { id }`, a global id like every other; removed in 0.3.0.")
    def record_id(self) -> Optional[strawberry.ID]:
        return strawberry.ID(str(self.number)) if self.number else None


@strawberry.type(description="What submitRecords did: counts, and one outcome per input in input order.")
class SubmissionResult:
    stored: int = strawberry.field(description="Inputs stored as new records.")
    unchanged: int = strawberry.field(description="Inputs identical to a record stored before (a retried sync).")
    rejected: int = strawberry.field(description="Inputs refused for their faults (see their outcomes).")
    not_stored: int = strawberry.field(description="Sound inputs not stored because the ALL_OR_NOTHING call had a "
                                                   "rejected input.")
    outcomes: list[SubmissionOutcome] = strawberry.field(description="One per input, in input order.")


@strawberry.input(description="A batch of credit records from one provider department (HC-16, XZ-12).")
class SubmitRecordsInput:
    records: list[RecordInput] = strawberry.field(description=(
        "The records, 1 to 1,000 per call (split a larger batch, or upload a spreadsheet)."))
    mode: SubmissionMode = strawberry.field(default=collection.Mode.BEST_EFFORT, description=(
        "What a batch with faulty records does; BEST_EFFORT unless given."))
    channel: SubmissionChannel = strawberry.field(default=ChannelValue.API, description=(
        "How the records came in: API for systems, MANUAL for entry by hand (BATCH is the spreadsheet upload's)."))


@strawberry.type(description=(
    "The result of submitRecords: what it did, or the errors that refused the whole call. A call that was "
    "accepted has no errors even when some records were rejected: each record's faults are in its outcome."))
class SubmitRecordsPayload:
    result: Optional[SubmissionResult] = strawberry.field(description=(
        "What the call did, input by input; null when the call as a whole was refused."))
    errors: list[MutationError] = strawberry.field(description=(
        "Faults of the call as a whole (no records, too many, a channel it may not use); empty when accepted."))


@strawberry.input(description="A correction of one of your department's records, with its reason (HC-18).")
class CorrectRecordInput:
    id: strawberry.ID = strawberry.field(description="The record's id.")
    changes: CorrectionInput = strawberry.field(description="What to change; what is not given stays.")
    reason: str = strawberry.field(description=(
        "Why the record is corrected (1 to 2,000 characters); kept with the new version."))


@strawberry.type(description="The result of correctRecord: the record as corrected, or the errors.")
class CorrectRecordPayload:
    record: Optional[CreditRecord] = strawberry.field(description=(
        "The record as corrected (its new version); null when refused, and then nothing changed."))
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.type(name="RecordVersion", description=(
    "One version of a record (HC-18): version 1 as submitted, each later one as a correction left it."))
class RecordVersionType:
    row: strawberry.Private[Row]
    masked: strawberry.Private[frozenset]  # personal content fields this reader sees masked

    @strawberry.field(description="The version's number: 1 as submitted, one more per change.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field(description="What made this version.")
    def change(self) -> RecordChange:
        return RecordChangeValue(self.row.change)

    @strawberry.field(description="Why the provider corrected the record (HC-18); null for version 1.")
    def reason(self) -> Optional[str]:
        return self.row.reason

    @strawberry.field(description="The user (token subject) who submitted or changed the record.")
    def changed_by(self) -> str:
        return self.row.changed_by

    @strawberry.field(description="When this version was made (UTC instant).")
    def changed_at(self) -> dt.datetime:
        return self.row.changed_at

    @strawberry.field(description="The document number (文书号) in this version.")
    def document_number(self) -> Optional[str]:
        return self.row.snapshot.get("document_number")

    @strawberry.field(description="The issuing authority in this version.")
    def issuing_authority(self) -> Optional[str]:
        return self.row.snapshot.get("issuing_authority")

    @strawberry.field(description="The decision's date in this version (a Beijing calendar day).")
    def decided_on(self) -> Optional[dt.date]:
        return _day(self.row.snapshot.get("decided_on"))

    @strawberry.field(description="The day the act ended in this version (a Beijing calendar day).")
    def act_ended_on(self) -> Optional[dt.date]:
        return _day(self.row.snapshot.get("act_ended_on"))

    @strawberry.field(description="The start of the validity in this version.")
    def valid_from(self) -> Optional[dt.date]:
        return _day(self.row.snapshot.get("valid_from"))

    @strawberry.field(description="The end of the validity in this version.")
    def valid_until(self) -> Optional[dt.date]:
        return _day(self.row.snapshot.get("valid_until"))

    @strawberry.field(description="The content of this version; personal fields masked as on the record.")
    def content(self) -> Optional[JSON]:
        content = self.row.snapshot.get("content")
        if content is None:
            return None
        return {k: mask_person_name(str(v)) if k in self.masked and v is not None else v for k, v in content.items()}


def _day(value) -> Optional[dt.date]:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


@strawberry.type(description="A record submitted after its catalogue item's deadline (XZ-12), as the credit centre "
                             "reports it to the supervisor (XZ-13).")
class LateSubmission:
    row: strawberry.Private[Row]

    @strawberry.field(description="The record's number (0.1.0's id).",
                      deprecation_reason="Use recordGlobalId (a global id, like every other id); removed in 0.3.0.")
    def record_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(description="The record's global id: `node(id)` refetches it for a reader who may see it "
                                  "(the provider does, HC-18).")
    def record_global_id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.RECORD, self.row.id))

    @strawberry.field(description="The providing department (信息提供主体).")
    def department(self, info: Info) -> DepartmentType:
        return DepartmentType(row=info.context.reference.departments[self.row.provider_code])

    @strawberry.field(description="The providing department's code, as the `department` argument of "
                                  "lateSubmissions takes it.")
    def department_code(self) -> strawberry.ID:
        return strawberry.ID(self.row.provider_code)

    @strawberry.field(description="The record's catalogue item, whose deadline it missed.")
    def catalogue_item(self, info: Info) -> CatalogueItemType:
        return CatalogueItemType(row=info.context.reference.items[self.row.catalogue_item_code])

    @strawberry.field(description="The record's document number (文书号).")
    def document_number(self) -> str:
        return self.row.document_number

    @strawberry.field(description="The decision's date (a Beijing calendar day); the deadline runs from it.")
    def decided_on(self) -> dt.date:
        return self.row.decided_on

    @strawberry.field(description="Last working day the record was due (a Beijing calendar day).")
    def deadline_on(self) -> Optional[dt.date]:
        return self.row.deadline_on

    @strawberry.field(description="True when the count crossed a year whose holiday schedule is not published "
                                  "yet (weekdays less the statutory holidays counted instead; SPEC 3.4).")
    def deadline_provisional(self) -> bool:
        return self.row.deadline_provisional

    @strawberry.field(description="When it was submitted (UTC instant).")
    def submitted_at(self) -> dt.datetime:
        return self.row.submitted_at

    @strawberry.field(description="Working days (工作日, holidays and 调休 counted) after the deadline it came in; at "
                                  "least 1.")
    def late_working_days(self) -> int:
        return self.row.late_working_days

    @strawberry.field(description="How it came in (XZ-12).")
    def channel(self) -> SubmissionChannel:
        return ChannelValue(self.row.channel)


@strawberry.type(description="One late submission in a page, with its cursor.")
class LateSubmissionEdge:
    cursor: str = strawberry.field(description="The submission's position: pass it as `after` for older ones.")
    node: LateSubmission = strawberry.field(description="The late submission.")


@strawberry.type(description="A page of late submissions, newest first.")
class LateSubmissionConnection:
    total_count: int = strawberry.field(description="How many records of the period were submitted late, on every "
                                                    "page (records).")
    edges: list[LateSubmissionEdge] = strawberry.field(description="The page's late submissions, newest first.")
    page_info: PageInfo = strawberry.field(description="Where the page lies: `endCursor` for the next one.")


@strawberry.type(description="One providing department's submissions in a period (Beijing calendar days), and "
                             "how late they were (XZ-12, XZ-13).")
class DepartmentLateness:
    code: strawberry.Private[str]
    submitted: int = strawberry.field(description="Records submitted in the period.")
    late: int = strawberry.field(description="Of those, submitted after the deadline.")
    late_working_days: int = strawberry.field(description="Working days late, summed over the late records.")
    max_late_working_days: int = strawberry.field(description="The most working days any one record was late; 0 "
                                                              "when none was.")

    @strawberry.field(description="The providing department.")
    def department(self, info: Info) -> DepartmentType:
        return DepartmentType(row=info.context.reference.departments[self.code])

    @strawberry.field(description="The department's code, as the `department` argument of lateSubmissions takes it.")
    def department_code(self) -> strawberry.ID:
        return strawberry.ID(self.code)

    @strawberry.field(description="The department's name.",
                      deprecation_reason="Use `department { name }`; removed in the release after 0.2.0.")
    def name(self, info: Info) -> str:
        return info.context.reference.departments[self.code].name


# --------------------------------------------------------------------------------------- who may


def _submitter(ctx: RequestContext) -> tuple[str, str]:
    """(department, user) of a provider department's officer; FORBIDDEN naming what is missing."""
    principal = ctx.principal
    missing = []
    if not principal.department:
        missing.append("a department")
    if not SUBMITTER_ROLES & principal.roles:
        missing.append("the role officer or submitter")
    if principal.is_anonymous or missing:
        raise Forbidden("submitting and correcting records is for information providers: the token needs "
                        + " and ".join(missing or ["a user"]) + " (HC-16, HC-18)", rule="submit")
    return principal.department, principal.user


def _lateness_scope(ctx: RequestContext, department: Optional[str]) -> Optional[str]:
    """The department whose lateness the reader may see; None for every department."""
    principal = ctx.principal
    if principal.department and OVERSEER_ROLES & principal.roles:
        return department
    if principal.department and department in (None, principal.department):
        return principal.department
    asked = f"department {department}" if department else "every department"
    raise Forbidden(f"lateness of {asked} refused: credit-centre operators and auditors see every department's, "
                    "a department sees its own (XZ-13)", rule="lateness")


# ------------------------------------------------------------------------------------- mutations


def _submission(item: RecordInput) -> RecordSubmission:
    return RecordSubmission(
        subject_code=item.subject_code, subject_name=item.subject_name, catalogue_item=item.catalogue_item,
        document_number=item.document_number, issuing_authority=item.issuing_authority,
        decided_on=item.decided_on, act_ended_on=item.act_ended_on, valid_from=item.valid_from,
        valid_until=item.valid_until, content=item.content, consent_ref=item.consent_ref)


async def submit_records(info: Info, input: Annotated[SubmitRecordsInput, strawberry.argument(
        description="The records, and how to submit them.")]) -> SubmitRecordsPayload:
    ctx: RequestContext = info.context
    department, user = _submitter(ctx)
    records, channel = input.records, ChannelValue(input.channel.value)
    if not records:
        return SubmitRecordsPayload(result=None, errors=errors_of([Problem("records", "empty: give at least one "
                                                                                      "record")]))
    if len(records) > MAX_INPUTS:
        return SubmitRecordsPayload(result=None, errors=errors_of([Problem("records", (
            f"{len(records)} records; at most {MAX_INPUTS} per call: split the batch (or upload a spreadsheet)"))]))
    if channel is ChannelValue.BATCH:
        return SubmitRecordsPayload(result=None, errors=errors_of([Problem("channel", (
            "BATCH is the spreadsheet upload's channel; use API for systems, MANUAL for entry by hand"))]))
    outcomes = await collection.submit(
        ctx.engine, profile=ctx.profile,
        calendar=await calendar_years.working_day_calendar(ctx.engine), department=department, user=user,
        channel=channel, submissions=[_submission(i) for i in records], mode=collection.Mode(input.mode.value),
        today=ctx.today, now=ctx.now)
    counts = {s: sum(o.status is s for o in outcomes) for s in collection.Status}
    return SubmitRecordsPayload(errors=[], result=SubmissionResult(
        stored=counts[collection.Status.STORED], unchanged=counts[collection.Status.UNCHANGED],
        rejected=counts[collection.Status.REJECTED], not_stored=counts[collection.Status.NOT_STORED],
        outcomes=[SubmissionOutcome(index=o.index, status=o.status, number=o.record_id,
                                    errors=errors_of(o.problems, f"records[{o.index}]"))
                  for o in outcomes]))


def record_changes(changes: CorrectionInput) -> correction.RecordChanges:
    values = {name: getattr(changes, name) for name in (
        "document_number", "issuing_authority", "decided_on", "act_ended_on", "valid_from", "valid_until",
        "content", "consent_ref")}
    return correction.RecordChanges(**{k: correction.KEEP if v is strawberry.UNSET else v for k, v in values.items()})


async def correct_record(info: Info, input: Annotated[CorrectRecordInput, strawberry.argument(
        description="The record, the changes and the reason.")]) -> CorrectRecordPayload:
    ctx: RequestContext = info.context
    department, user = _submitter(ctx)
    record_id = id_or_problem(input.id, "id")
    if isinstance(record_id, Problem):
        return CorrectRecordPayload(record=None, errors=errors_of([record_id]))
    row, problems = await correction.correct(
        ctx.engine, profile=ctx.profile,
        calendar=await calendar_years.working_day_calendar(ctx.engine), department=department, user=user,
        record_id=record_id, changes=record_changes(input.changes), reason=input.reason, today=ctx.today,
        now=ctx.now)
    for problem in problems:
        if problem.code is ProblemCode.NOT_PROVIDER:  # a refusal by HC-18, listed for supervisors as before
            ctx.observed.refused.append({"message": problem.reason, "path": info.path.as_list(),
                                         "extensions": {"code": "FORBIDDEN", "rule": "HC-18"}})
    return CorrectRecordPayload(record=record_object(row) if row is not None else None, errors=errors_of(problems))


# --------------------------------------------------------------------------------------- queries


PeriodFrom = Annotated[dt.date, strawberry.argument(name="from", description=(
    "First day of the period (a Beijing calendar day, YYYY-MM-DD), counted by the day records were submitted."))]
PeriodTo = Annotated[dt.date, strawberry.argument(description=(
    "Last day of the period, included (a Beijing calendar day, YYYY-MM-DD)."))]


async def late_submissions(
        info: Info, from_: PeriodFrom, to: PeriodTo,
        department: Annotated[Optional[strawberry.ID], strawberry.argument(description=(
            "Only this providing department's submissions (its code); a department's own token sees only its "
            "own."))] = None,
        first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = DEFAULT_FIRST,
        after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
) -> LateSubmissionConnection:
    scope = _lateness_scope(info.context, str(department) if department else None)
    page = await lateness.late_submissions(info.context.engine, scope, from_, to, first, after,
                                           zone=info.context.profile.time_zone)
    edges = [LateSubmissionEdge(cursor=lateness.late_cursor(r), node=LateSubmission(row=r)) for r in page.rows]
    return LateSubmissionConnection(total_count=page.total, edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, has_previous_page=bool(after),
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))


async def late_submission_summary(info: Info, from_: PeriodFrom, to: PeriodTo) -> list[DepartmentLateness]:
    scope = _lateness_scope(info.context, None)
    rows = await lateness.lateness_summary(info.context.engine, from_, to, scope, zone=info.context.profile.time_zone)
    return [DepartmentLateness(code=r.department, submitted=r.submitted, late=r.late,
                               late_working_days=r.late_working_days,
                               max_late_working_days=r.max_late_working_days) for r in rows]


# -------------------------------------------------------------------------------------- versions


@strawberry.type(description="A version in a page of a record's versions, with its cursor.")
class RecordVersionEdge:
    cursor: str = strawberry.field(description="This version's position: pass it as `after` for the versions "
                                               "after it.")
    node: RecordVersionType = strawberry.field(description="The version.")


@strawberry.type(description="A record's versions, oldest first, a page at a time (HC-18).")
class RecordVersionConnection:
    total_count: int = strawberry.field(description="How many versions the record has (read with `asOf`: had "
                                                    "that day), on every page.")
    edges: list[RecordVersionEdge] = strawberry.field(description="This page's versions, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where this page ends and whether more follow.")


def _version_cursor(version: int) -> str:
    return base64.urlsafe_b64encode(f"version:{version}".encode()).decode()


def _after_version(after: str) -> int:
    try:
        kind, number = base64.urlsafe_b64decode(after.encode()).decode().split(":")
        if kind == "version" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise BadUserInput(f"after: invalid cursor {after[:60]!r}: pass an endCursor returned by this API",
                       argument="after")


async def record_version_page(root: CreditRecord, info: Info, first: Optional[int],
                              after: Optional[str]) -> RecordVersionConnection:
    """`CreditRecord.versionHistory`: `versions` as a connection, under the same rule."""
    size = check_first(DEFAULT_FIRST if first is None else first, info.context.max_page_size)
    versions = await record_versions(root, info)
    later = versions if after is None else [v for v in versions if v.row.version > _after_version(after)]
    page = later[:size]
    cursors = [_version_cursor(v.row.version) for v in page]
    return RecordVersionConnection(
        total_count=len(versions), edges=[RecordVersionEdge(cursor=c, node=v) for c, v in zip(cursors, page)],
        page_info=page_info(cursors, len(later) > size, after))


async def record_versions(root: CreditRecord, info: Info) -> list[RecordVersionType]:
    """`CreditRecord.versions`: the provider, the subject and auditors (policy field:CreditRecord.versions);
    read with `asOf`, only those that existed that day (SPEC 3.4)."""
    ctx: RequestContext = info.context
    ctx.access.require_field("CreditRecord.versions", root.row, info.path.as_list())
    rows = correction.versions_of(root.row, await ctx.loaders.record_versions.load(root.row.id))
    if root.as_of is not None:  # read with asOf: the versions that existed that day (its version then, replayed)
        rows = [r for r in rows if r.version <= root.row.version]
    masked: frozenset = frozenset()
    if not ctx.scope.sees_personal_data_of(root.row.subject_code):
        item = ctx.reference.items.get(root.row.catalogue_item_code)
        fields = item.definition.get("fields", []) if item is not None else []
        masked = frozenset(f["name"] for f in fields if f.get("personal"))
    return [RecordVersionType(row=r, masked=masked) for r in rows]
