"""Revocation, credit repair, honour deletion and objection cases (SPEC 3.4; HC-29..33, XZ-22..24).

Each mutation applies one step of domain/workflows.py: who may take it, the state it leads to,
the deadline of the next party. A step is one transaction: the case row, the record's status
change (if any), the record's dated event naming the case, a notification to everyone it concerns
and a submission-log entry (HC-35). A caller the step's table does not name is refused with
FORBIDDEN before anything is read or written; a fault of the input is a payload error and
changes nothing. What is particular to objections (who files, who is told, the annotation) is
in resolvers/objections.py; their table is the profile's (domain/workflows.objection_workflow).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row, and_, bindparam, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.disclosure import is_archived, repairable_from
from domain.enums import (CaseKind, CaseParty, Category, DepartmentKind, ObjectionChannel, ObjectionGround,
                          RecordEventKind, RecordFamily, RecordStatus)
from domain.problems import Problem, ProblemCode
from domain.workflows import WORKFLOWS, Step, Workflow, is_open, objection_workflow, workflow_of
from resolvers import evidence, objections
from resolvers.bounds import id_or_problem
from resolvers.node_ids import record_named
from resolvers.calendar_years import working_day_calendar
from resolvers.context import RequestContext
from resolvers.errors import Forbidden
from resolvers.pages import KeysetPage, newest_first
from store.chain import append_submission_log
from store.models import Case, Record, RecordEvent, RecordTombstone
from store.notifications import notify
from store.record_deletion import delete_record_content
from store.record_events import append_event, changed_fields

C = Case.__table__
R = Record.__table__
E = RecordEvent.__table__
T = RecordTombstone.__table__

MAX_DOCUMENT = 200  # RecordEvent.document_ref, Case.document_ref
MAX_REASON = 2000

_RECORD = select(R.c.id, R.c.subject_code, R.c.provider_code, R.c.catalogue_item_code, R.c.category, R.c.family,
                 R.c.visibility, R.c.status, R.c.status_changed_on, R.c.decided_on, R.c.act_ended_on,
                 R.c.disclosure_ends_on,
                 R.c.document_number).where(R.c.id == bindparam("record_id"))
_RECORD_LOCKED = _RECORD.with_for_update()
# XZ-24: an open objection stops no other case, and no other case stops an objection
_OPEN_CASE = select(C.c.id, C.c.kind).where(C.c.record_id == bindparam("record_id"), C.c.closed_at.is_(None),
                                            C.c.kind != CaseKind.OBJECTION.value)
_OPEN_OBJECTION = select(C.c.id, C.c.kind).where(C.c.record_id == bindparam("record_id"), C.c.closed_at.is_(None),
                                                 C.c.kind == CaseKind.OBJECTION.value)
_CASE = select(C).where(C.c.id == bindparam("case_id"))
_CASE_LOCKED = _CASE.with_for_update()
_INSERT_CASE = insert(C).returning(C.c.id)
_SET_STATUS = update(R).where(R.c.id == bindparam("record_id"))
_STEPS = select(E.c.id, E.c.case_id, E.c.record_id, E.c.kind, E.c.effective_on, E.c.at, E.c.actor_user,
                E.c.actor_department, E.c.document_ref).where(E.c.case_id.in_(bindparam("case_ids", expanding=True))
                                                            ).order_by(E.c.case_id, E.c.id)
_TOMBSTONES = select(T).where(T.c.record_id.in_(bindparam("record_ids", expanding=True)))
# What a step that changes nothing of its record needs of one deleted since the case opened (an
# upheld Xinzheng objection whose revocation the centre completed before its written notice, XZ-23;
# an open objection on a record revoked meanwhile, which SAME, REJECTED or withdrawal still closes)
_TOMBSTONE = select(T.c.record_id.label("id"), T.c.subject_code, T.c.provider_code, T.c.reason.label("status"),
                    literal(True).label("deleted")).where(T.c.record_id == bindparam("record_id"))


# ------------------------------------------------------------------------------------ who acts


def workflow_for(ctx: RequestContext, kind: CaseKind) -> Workflow:
    """The table of `kind`: objections follow the deployment's profile (HC-29 or XZ-23)."""
    return workflow_of(kind, ctx.profile.code, ctx.profile.objection)


def centre_code(ctx: RequestContext) -> str:
    """The credit centre's department code (the recipient of CENTRE notifications)."""
    return next((code for code, d in ctx.profile.departments.items() if d.kind is DepartmentKind.CREDIT_CENTRE),
                "CENTRE")


def _is_centre_operator(ctx: RequestContext) -> bool:
    return evidence.is_centre_operator(ctx.principal, ctx.profile)


def require_caller(ctx: RequestContext, step: Step) -> None:
    """FORBIDDEN unless the token is of the party the step's table names (before any reading)."""
    principal, who = ctx.principal, None
    if step.actor is CaseParty.PROVIDER:
        if not (principal.department and principal.user and step.roles & principal.roles):
            who = "the record's provider department (a token with its department and the role officer or submitter)"
    elif step.actor is CaseParty.CENTRE:
        if not _is_centre_operator(ctx):
            who = "the credit centre's operators (role operator of the CREDIT_CENTRE department)"
    elif not principal.subject_code:
        who = "the subject itself (a token carrying its verified subject code)"
    if who:
        raise Forbidden(f"{step.kind.value.lower()} step {step.name!r} is taken by {who} only ({step.article})",
                        rule=step.article)


def _require_party_of(ctx: RequestContext, step: Step, record: Row) -> None:
    """FORBIDDEN when the caller is of the right kind but not this record's provider or subject."""
    principal = ctx.principal
    if step.actor is CaseParty.PROVIDER and record.provider_code != principal.department:
        raise Forbidden(f"record {record.id} was provided by another department: only its provider takes the "
                        f"{step.kind.value.lower()} step {step.name!r} ({step.article}, HC-18)", rule=step.article)
    if step.actor is CaseParty.SUBJECT and record.subject_code != principal.subject_code:
        raise Forbidden(f"record {record.id} is not one of your records: only its subject asks for its deletion "
                        f"({step.article})", rule=step.article)


# ------------------------------------------------------------------------------------ input


def text_problem(value: str | None, field: str, maximum: int, what: str) -> Problem | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > maximum:
        return Problem(field, f"{field}: 1 to {maximum} characters, {what}")
    return None


@dataclass(frozen=True)
class Opening:
    """What opens a case: the record, the written document (provider steps; an objection's written
    application), the subject's reason (an objection's statement), the day the decision was revoked
    (revocation), an objection's ground, channel and evidence files."""

    kind: CaseKind
    record_id: object
    document: str | None = None
    reason: str | None = None
    revoked_on: dt.date | None = None
    ground: ObjectionGround | None = None
    channel: ObjectionChannel = ObjectionChannel.ONLINE
    evidence_ids: tuple = ()  # an objection's evidence files (resolvers/evidence.py)


def _input_problems(opening: Opening, today: dt.date) -> tuple[int | None, list[Problem]]:
    problems: list[Problem] = []
    record_id = id_or_problem(opening.record_id, "recordId")
    if isinstance(record_id, Problem):
        problems.append(record_id)
        record_id = None
    if opening.kind is CaseKind.HONOUR_DELETION:
        problem = text_problem(opening.reason, "reason", MAX_REASON, "why you ask to delete it (HC-33)")
    elif opening.kind is CaseKind.OBJECTION:
        problem = text_problem(opening.reason, "statement", objections.MAX_STATEMENT,
                               "what is wrong with the record and why (HC-29, XZ-22)")
    else:
        problem = text_problem(opening.document, "document", MAX_DOCUMENT,
                               "the reference of the written notice or certificate the step rests on "
                               f"({WORKFLOWS[opening.kind].article})")
    problems += [problem] if problem else []
    if opening.revoked_on is not None and opening.revoked_on > today:
        problems.append(Problem("revokedOn", f"revokedOn: {opening.revoked_on.isoformat()} is after today "
                                             f"({today.isoformat()}): report a revocation once it has been decided"))
    return record_id, problems


def _record_problems(ctx: RequestContext, opening: Opening, record: Row) -> list[Problem]:
    """The business rules of each kind (SPEC 3.4); every fault found at once."""
    kind, status, today = opening.kind, record.status, ctx.today
    gone = {RecordStatus.REVOKED.value, RecordStatus.DELETED.value}
    if status in gone:
        return [Problem("recordId", f"record {record.id} is {status}: nothing more can happen to it",
                        ProblemCode.ALREADY_REVOKED)]
    problems: list[Problem] = []
    if kind is CaseKind.REVOCATION:
        if record.category != Category.BAD.value:
            problems.append(Problem("recordId", f"record {record.id} is {record.category}: a revocation deletes "
                                                "bad (失信) information whose decision was revoked (HC-30)"))
        if opening.revoked_on is not None and opening.revoked_on < record.decided_on:
            problems.append(Problem("revokedOn", f"revokedOn: {opening.revoked_on.isoformat()} is before the "
                                                 f"decision it revokes ({record.decided_on.isoformat()})"))
    elif kind is CaseKind.REPAIR:
        problems += _repair_problems(ctx, record, today)
    elif kind is CaseKind.OBJECTION:
        pass  # any stored record may be objected to, on any of the grounds (HC-29(1)-(3))
    elif record.family != RecordFamily.HONOUR.value or record.category != Category.GOOD.value:
        problems.append(Problem("recordId", f"record {record.id} is not an award, volunteer or charity record: "
                                            "a subject asks to delete those only (HC-33)"))
    return problems


def _repair_problems(ctx: RequestContext, record: Row, today: dt.date) -> list[Problem]:
    if record.category != Category.BAD.value:
        return [Problem("recordId", f"record {record.id} is {record.category}: credit repair concerns bad (失信) "
                                    "information (HC-31)")]
    if record.status != RecordStatus.ACTIVE.value or is_archived(record.disclosure_ends_on, today):
        return [Problem("recordId", f"record {record.id} is no longer within its query period (it is "
                                    f"{'ARCHIVED' if record.status == 'ACTIVE' else record.status}): repair applies "
                                    "to bad information still queried (在失信信息查询期限内, HC-31)")]
    item = ctx.profile.items.get(record.catalogue_item_code)
    earliest = repairable_from(item, decided_on=record.decided_on, act_ended_on=record.act_ended_on) \
        if item is not None else None
    if earliest is not None and today < earliest:
        return [Problem("recordId", f"record {record.id} cannot be repaired before {earliest.isoformat()}: its "
                                    f"item {item.code} has a minimum publicity period of "
                                    f"{item.publicity_months.min_months} months (SPEC 3.2, national credit repair "
                                    "measures)")]
    return []


# ------------------------------------------------------------------------------------ steps


async def _record_row(connection: AsyncConnection, record_id: int) -> Row | None:
    statement = _RECORD_LOCKED if connection.dialect.name == "postgresql" else _RECORD
    return (await connection.execute(statement, {"record_id": record_id})).one_or_none()


async def open_case(ctx: RequestContext, opening: Opening) -> tuple[Row | None, list[Problem]]:
    """The opening step of `opening.kind`'s workflow: the case as stored, or None and every fault."""
    workflow = workflow_for(ctx, opening.kind)
    step = workflow.opening
    objection = opening.kind is CaseKind.OBJECTION
    if objection:
        objections.require_filer_kind(ctx, workflow.article)
    else:
        require_caller(ctx, step)
    record_id, problems = _input_problems(opening, ctx.today)
    if record_id is None:
        return None, problems
    calendar = await working_day_calendar(ctx.engine)
    async with ctx.engine.begin() as connection:
        record = await _record_row(connection, record_id)
        if record is None:
            return None, problems + [Problem("recordId", f"no {record_named(record_id)}", ProblemCode.NOT_FOUND)]
        detail = {"revoked_on": opening.revoked_on.isoformat()} if opening.revoked_on else {}
        if objection:
            filer = objections.filed_as(ctx, record, workflow.article, _is_centre_operator(ctx))
            problems += objections.filing_problems(opening.channel, opening.document, filer)
            cited, evidence_problems = await evidence.citing_problems(connection, ctx, list(opening.evidence_ids),
                                                                      record.subject_code)
            problems += evidence_problems
            detail = {"ground": opening.ground.value, "channel": opening.channel.value, "filed_as": filer}
        else:
            _require_party_of(ctx, step, record)
        problems += _record_problems(ctx, opening, record)
        gone = any(p.code is ProblemCode.ALREADY_REVOKED for p in problems)
        taken = None if gone else (await connection.execute(_OPEN_OBJECTION if objection else _OPEN_CASE,
                                                            {"record_id": record_id})).first()
        if taken is not None:
            problems.append(_taken(taken, record_id))
        if problems:
            return None, problems
        case_id = await _insert_case(ctx, connection, workflow, opening, record, detail, calendar)
        if objection:
            await evidence.cite(connection, ctx, case_id, cited)
        case = (await connection.execute(_CASE, {"case_id": case_id})).one()
    return case, []


def _taken(taken: Row, record_id: int) -> Problem:
    return Problem("recordId", f"case {taken.id} ({taken.kind}) is already open on record {record_id}: it must "
                               "close first", ProblemCode.DUPLICATE)


async def _insert_case(ctx: RequestContext, connection: AsyncConnection, workflow: Workflow, opening: Opening,
                       record: Row, detail: dict, calendar) -> int:
    """The opening step once every check has passed: the case row and what the step does."""
    step = workflow.opening
    due = calendar.add_working_days(ctx.today, step.deadline_working_days) \
        if step.deadline_working_days is not None else None
    document = opening.document.strip() if opening.document else None
    case_id = (await connection.execute(_INSERT_CASE, {
        "kind": opening.kind.value, "record_id": record.id, "subject_code": record.subject_code,
        "provider_code": record.provider_code, "state": step.to_state, "next_party": step.next_party.value,
        "opened_on": ctx.today, "opened_at": ctx.now, "opened_by": ctx.principal.user,
        "due_on": due.due if due else None, "due_provisional": due.provisional if due else False,
        "document_ref": document, "reason": opening.reason.strip() if opening.reason else None,
        "detail": detail, "closed_at": ctx.now if step.closes else None, "updated_at": ctx.now})).scalar_one()
    await _apply(ctx, connection, workflow, step, case_id, record, document, {"revoked_on": opening.revoked_on})
    if opening.kind is CaseKind.OBJECTION:
        await objections.annotate(connection, ctx, workflow, record.id, case_id)
    return case_id


async def report_revocation_in(ctx: RequestContext, connection: AsyncConnection, record: Row,
                               document: str | None, revoked_on: dt.date | None) -> list[Problem]:
    """The provider's revocation report (HC-30) in the caller's transaction, the record already read
    and locked (an upheld objection revokes: XZ-23); faults named under `revocation`."""
    opening = Opening(CaseKind.REVOCATION, record.id, document=document, revoked_on=revoked_on)
    _, problems = _input_problems(opening, ctx.today)
    if revoked_on is None:
        problems.append(Problem("revokedOn", "revokedOn: the day the decision was revoked (HC-30)"))
    problems += _record_problems(ctx, opening, record)
    taken = (await connection.execute(_OPEN_CASE, {"record_id": record.id})).first()
    if taken is not None and not problems:
        problems.append(_taken(taken, record.id))
    if problems:
        return [Problem("revocation" if p.field == "recordId" else f"revocation.{p.field}", p.reason, p.code)
                for p in problems]
    detail = {"revoked_on": revoked_on.isoformat()}
    await _insert_case(ctx, connection, WORKFLOWS[CaseKind.REVOCATION], opening, record, detail,
                       await working_day_calendar(ctx.engine))
    return []


async def advance_case(ctx: RequestContext, kind: CaseKind, step_names: str | tuple[str, ...], case_id: object,
                       *, detail: dict | None = None, document: str | None = None,
                       input_problems: list[Problem] = (), on_record=None) -> tuple[Row | None, list[Problem]]:
    """A later step (complete a revocation, delete an honour, an objection's steps) on case
    `case_id`: of `step_names` (steps of one actor), the one that starts from the case's state.
    `detail` is added to the case's; `document` is the step's own (a letter's reference);
    `input_problems` are the input's faults, answered once the caller is known to be the step's
    (its provider's, for a provider's step);
    `on_record(ctx, connection, step, case, record)` changes the record with the step (an
    objection's correction or revocation: resolvers/objection_outcomes.py), its faults refusing
    the step before anything else is written."""
    workflow = workflow_for(ctx, kind)
    names = (step_names,) if isinstance(step_names, str) else step_names
    candidates = [s for s in workflow.steps if s.name in names]
    if not candidates:
        return None, [Problem(None, f"the {kind.value.lower()} workflow of this deployment ({workflow.article}) has "
                                    f"no step {' or '.join(names)}: its steps are "
                                    f"{', '.join(s.name for s in workflow.steps)}")]
    step = candidates[0]
    require_caller(ctx, step)
    ident = id_or_problem(case_id, "caseId", "case")
    if isinstance(ident, Problem):
        return None, [ident, *input_problems]
    async with ctx.engine.begin() as connection:
        statement = _CASE_LOCKED if connection.dialect.name == "postgresql" else _CASE
        case = (await connection.execute(statement, {"case_id": ident})).one_or_none()
        if case is None or case.kind != kind.value:
            return None, [Problem("caseId", f"no {kind.value.lower()} case {ident}", ProblemCode.NOT_FOUND)]
        if step.actor is CaseParty.PROVIDER and case.provider_code != ctx.principal.department:
            raise Forbidden(f"case {ident} concerns a record of another department: only its provider takes the "
                            f"step {step.name!r} ({step.article})", rule=step.article)
        if step.actor is CaseParty.SUBJECT and case.subject_code != ctx.principal.subject_code:
            raise Forbidden(f"case {ident} concerns another subject's record: only its subject takes the step "
                            f"{step.name!r} ({step.article})", rule=step.article)
        if input_problems:
            return None, list(input_problems)
        step = next((s for s in candidates if s.from_state == case.state), None)
        if step is None:
            step = candidates[0]
            code = ProblemCode.ALREADY_REVOKED if not is_open(kind, case.state) else ProblemCode.INVALID
            states = " or ".join(dict.fromkeys(s.from_state for s in candidates))
            return case, [Problem("caseId", f"case {ident} is {case.state}: the step {step.name!r} applies to a "
                                            f"{states} case", code)]
        record = await _record_row(connection, case.record_id)
        if record is None:  # deleted since the case opened: a step that changes nothing goes on its tombstone
            record = (await connection.execute(_TOMBSTONE, {"record_id": case.record_id})).one_or_none()
        if record is None:
            return case, [Problem("caseId", f"case {ident}: record {case.record_id} is no longer stored",
                                  ProblemCode.NOT_FOUND)]
        if on_record is not None:
            refused = await on_record(ctx, connection, step, case, record)
            if refused:
                return case, refused
        values = dict(state=step.to_state, next_party=step.next_party.value, updated_at=ctx.now,
                      closed_at=(case.closed_at or ctx.now) if step.closes else None)
        if step.deadline_working_days is not None:  # the next party's day, from today (start day not counted)
            due = (await working_day_calendar(ctx.engine)).add_working_days(ctx.today, step.deadline_working_days)
            values.update(due_on=due.due, due_provisional=due.provisional)
        if detail:
            values["detail"] = {**(case.detail or {}), **detail}
        await connection.execute(update(C).where(C.c.id == ident).values(**values))
        await _apply(ctx, connection, workflow, step, ident, record, document or case.document_ref, {})
        if kind is CaseKind.OBJECTION and step.closes:
            await objections.close_annotation(connection, ctx, record.id)
        if step.event is RecordEventKind.OBJECTION_DISPUTED:
            await objections.annotate(connection, ctx, workflow, record.id, ident, disputed=True)
        case = (await connection.execute(_CASE, {"case_id": ident})).one()
    return case, []


async def _apply(ctx: RequestContext, connection: AsyncConnection, workflow: Workflow, step: Step, case_id: int,
                 record: Row, document: str | None, detail: dict) -> None:
    """What a step does to its record, its event(s), notifications and the submission log."""
    user, department = ctx.principal.user, ctx.principal.department
    before, after = {}, {}
    status = _STATUS_AFTER.get(step.event)
    if status is not None and record.status != status.value:
        # every column the step changes, so that `asOf` before the step shows the record as it was
        before, after = changed_fields(record._mapping, {"status": status.value, "status_changed_on": ctx.today},
                                       _STATUS_COLUMNS)
        if detail.get("revoked_on"):
            after["revokedOn"] = detail["revoked_on"].isoformat()
        await connection.execute(_SET_STATUS, {"record_id": record.id, "status": status.value,
                                               "status_changed_on": ctx.today, "updated_at": ctx.now})
    event = dict(record_id=record.id, subject_code=record.subject_code, effective_on=ctx.today, actor_user=user,
                 actor_department=department, document_ref=document, case_id=case_id)
    if step.event in _DELETES:
        await delete_record_content(connection, record_id=record.id, reason=step.event,
                                              reference=document, effective_on=ctx.today, deleted_by=user)
        await append_event(connection, kind=step.event, **event)  # after the scrub: a step with no content
    elif step.also_closes is not None:
        await append_event(connection, kind=step.event, **event)
        await append_event(connection, kind=step.also_closes, before=before, after=after, **event)
    else:
        await append_event(connection, kind=step.event, before=before, after=after, **event)
    who = objections.recipients(step, record, centre_code(ctx)) if step.kind is CaseKind.OBJECTION \
        else _recipients(ctx, step, record)
    for party, recipient in who:
        await notify(connection, party=party, recipient=recipient, kind=step.event.value,
                     subject_code=record.subject_code, record_id=record.id, case_id=case_id,
                     message=_message(workflow, step, case_id, record))
    await append_submission_log(connection, user=user, department=department or None,
                                action=f"CASE_{step.kind.value}_{step.name.upper()}", channel="API", detail={
                                    "case_id": case_id, "record_id": record.id, "state": step.to_state,
                                    "document": document, "article": step.article})


_STATUS_AFTER = {RecordEventKind.REVOCATION_REPORTED: RecordStatus.REVOKED,
                 RecordEventKind.REPAIR_CERTIFIED: RecordStatus.REPAIRED}
_DELETES = {RecordEventKind.REVOKED, RecordEventKind.HONOUR_DELETED}
_STATUS_COLUMNS = ("status", "status_changed_on")  # what _SET_STATUS changes (besides updated_at)
_MESSAGES = {
    RecordEventKind.REVOCATION_REPORTED: "the provider reported the decision behind record {record} revoked; the "
                                         "credit centre deletes it within 3 working days (case {case}, HC-30)",
    RecordEventKind.REVOKED: "record {record} was deleted from the platform's database: its decision was revoked "
                             "(case {case}, HC-30)",
    RecordEventKind.REPAIR_CERTIFIED: "the provider certified credit repair of record {record}: it is off the query "
                                      "interface (case {case}, HC-31)",
    RecordEventKind.HONOUR_DELETION_REQUESTED: "the subject asked to delete record {record}; its provider deletes "
                                               "it within 5 working days (case {case}, HC-33)",
    RecordEventKind.HONOUR_DELETED: "record {record} was deleted at the subject's request (case {case}, HC-33)",
}


def _message(workflow: Workflow, step: Step, case_id: int, record: Row) -> str:
    """No content: a notification is a live table, and a revoked record's content must leave them."""
    template = _MESSAGES.get(step.event) or objections.MESSAGES[step.event.value]
    return template.format(record=record.id, case=case_id, article=step.article or workflow.article)


def _recipients(ctx: RequestContext, step: Step, record: Row) -> list[tuple[CaseParty, str]]:
    """Everyone a step concerns, but the party that took it (SPEC 3.4: subject, provider, centre)."""
    everyone = [(CaseParty.SUBJECT, record.subject_code), (CaseParty.PROVIDER, record.provider_code),
                (CaseParty.CENTRE, centre_code(ctx))]
    return [(party, recipient) for party, recipient in everyone if party is not step.actor]


# ------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class CaseFilter:
    kind: CaseKind | None = None
    state: str | None = None
    overdue: bool | None = None
    subject_code: str | None = None
    provider_code: str | None = None


def require_case_reader(ctx: RequestContext) -> None:
    """`cases` is for the credit centre's operators and for auditors (XZ-25(7): missed deadlines)."""
    principal = ctx.principal
    if not (_is_centre_operator(ctx) or ("auditor" in principal.roles and principal.department)):
        raise Forbidden("cases lists every case for the credit centre's operators and for auditors; a subject or a "
                        "department reads its own with myCases", rule="field:Query.cases")


def _filter_clauses(case_filter: CaseFilter, today: dt.date) -> list:
    clauses = []
    if case_filter.kind is not None:
        clauses.append(C.c.kind == case_filter.kind.value)
    if case_filter.state is not None:
        clauses.append(C.c.state == case_filter.state)
    if case_filter.subject_code is not None:
        clauses.append(C.c.subject_code == case_filter.subject_code)
    if case_filter.provider_code is not None:
        clauses.append(C.c.provider_code == case_filter.provider_code)
    overdue = and_(C.c.closed_at.is_(None), C.c.due_on < today)
    if case_filter.overdue is True:
        clauses.append(overdue)
    elif case_filter.overdue is False:
        clauses.append(~overdue)
    return clauses


_OVERDUE_OBJECTIONS = select(C.c.id, C.c.next_party, C.c.provider_code, C.c.due_on).where(
    C.c.kind == CaseKind.OBJECTION.value, C.c.closed_at.is_(None), C.c.due_on < bindparam("today")
).order_by(C.c.due_on, C.c.id)
MAX_OVERDUE_LISTED = 100


@dataclass(frozen=True)
class OverdueGroup:
    department: str
    party: str
    count: int
    oldest_due_on: dt.date
    case_numbers: list[int]


async def overdue_objections(ctx: RequestContext) -> list[OverdueGroup]:
    """Open objections past their day, grouped by the department that must act (XZ-25(7)): one
    statement, for the centre's operators and auditors (as `cases`)."""
    require_case_reader(ctx)
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(_OVERDUE_OBJECTIONS, {"today": ctx.today})).all()
    centre, groups = centre_code(ctx), {}
    for row in rows:
        department = centre if row.next_party == CaseParty.CENTRE.value else row.provider_code
        groups.setdefault((department, row.next_party), []).append(row)
    found = [OverdueGroup(department, party, len(cases), cases[0].due_on,
                          [c.id for c in cases[:MAX_OVERDUE_LISTED]]) for (department, party), cases in groups.items()]
    return sorted(found, key=lambda g: (-g.count, g.oldest_due_on, g.department))


async def case_page(ctx: RequestContext, case_filter: CaseFilter, first: int, after: str | None) -> KeysetPage:
    require_case_reader(ctx)
    return await newest_first(ctx, C, C.c.id, _filter_clauses(case_filter, ctx.today), first, after, "case number",
                              count=True)


async def my_case_page(ctx: RequestContext, first: int, after: str | None) -> KeysetPage:
    """A subject's cases, or the cases on a department's records (it is their provider)."""
    principal = ctx.principal
    if principal.subject_code:
        clause = C.c.subject_code == principal.subject_code
    elif principal.department and principal.user:
        clause = C.c.provider_code == principal.department
    else:
        raise Forbidden("myCases lists the caller's own cases: a token carrying a subject code, or a department's",
                        rule="field:Query.myCases")
    return await newest_first(ctx, C, C.c.id, [clause], first, after, "case number", count=True)


async def case_steps(ctx: RequestContext, case_ids: list[int]) -> list[list[Row]]:
    """Each case's events, oldest first, in one statement (a dataloader's batch function)."""
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(_STEPS, {"case_ids": sorted(set(case_ids))})).all()
    by_case: dict[int, list[Row]] = {}
    for row in rows:
        by_case.setdefault(row.case_id, []).append(row)
    return [by_case.get(i, []) for i in case_ids]


async def tombstones(ctx: RequestContext, record_ids: list[int]) -> list[Row | None]:
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(_TOMBSTONES, {"record_ids": sorted(set(record_ids))})).all()
    found = {row.record_id: row for row in rows}
    return [found.get(i) for i in record_ids]


def may_read_case(ctx: RequestContext, case: Row) -> bool:
    """The centre and auditors read every case; a subject its own; a department those on its records."""
    principal = ctx.principal
    return (_is_centre_operator(ctx) or ("auditor" in principal.roles and bool(principal.department))
            or (principal.subject_code is not None and principal.subject_code == case.subject_code)
            or (bool(principal.department) and principal.user is not None
                and principal.department == case.provider_code))


async def cases_by_id(ctx: RequestContext, case_ids: list[int]) -> list[Row | None]:
    async with ctx.engine.connect() as connection:
        rows = (await connection.execute(select(C).where(C.c.id.in_(sorted(set(case_ids)))))).all()
    found = {row.id: row for row in rows}
    return [found.get(i) for i in case_ids]


async def open_case_subject(connection: AsyncConnection, case_id: int) -> Row | None:
    """The open case a basis names (SPEC 3.1: an operator reads the records of its subject)."""
    return (await connection.execute(select(C.c.id, C.c.subject_code, C.c.kind).where(
        C.c.id == case_id, C.c.closed_at.is_(None)))).first()
