"""The provider's date events as mutations (SPEC 3.2; HC-18, HC-19): `reportActEnded`,
`reportSubjectEnded`, `cancelRecord`. Each takes one input and returns a payload with `errors`
(README, Mutations); `resolvers.provider_events` holds the rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from domain.problems import Problem, ProblemCode
from resolvers import provider_events
from resolvers.bounds import id_or_problem
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput, Forbidden
from resolvers.subjects import parse_subject_code
from schema.mutation_errors import MutationError, errors_of
from schema.records import CreditRecord, record_object
from schema.types import SubjectType

PROVIDER_ROLES = frozenset({"officer", "submitter"})
DOCUMENT_DESCRIPTION = ("The number or reference of the written document the step rests on (1 to 200 characters, "
                        "HC-18), e.g. 环市监注销〔2026〕12号; kept with the record's event.")


def _provider_officer(ctx: RequestContext) -> provider_events.Actor:
    """A provider department's officer; others (the public, a subject, a token without a department
    or role) are FORBIDDEN naming what is missing. Which department may act is the step's rule."""
    principal = ctx.principal
    missing = []
    if not principal.department:
        missing.append("a department")
    if not PROVIDER_ROLES & principal.roles:
        missing.append("the role officer or submitter")
    if principal.is_anonymous or missing:
        raise Forbidden("reporting a record's or subject's events is for the provider department (HC-18): the token "
                        "needs " + " and ".join(missing or ["a user"]), rule="provider-event")
    return provider_events.Actor(principal.department, principal.user)


def _errors(info: Info, problems: list[Problem]) -> list[MutationError]:
    """Payload errors; a refusal by HC-18 is also logged as a refusal (FORBIDDEN) for supervisors."""
    for problem in problems:
        if problem.code is ProblemCode.NOT_PROVIDER:
            info.context.observed.refused.append({"message": problem.reason, "path": info.path.as_list(),
                                                  "extensions": {"code": "FORBIDDEN", "rule": "HC-18"}})
    return errors_of(problems)


@strawberry.input(description="The end of the ongoing act behind one of your department's bad records (HC-19(3)).")
class ReportActEndedInput:
    record_id: strawberry.ID = strawberry.field(description="The bad record's id; its act has no end recorded yet.")
    ended_on: dt.date = strawberry.field(description="The day the act ended (a Beijing calendar day), not after "
                                                     "today: the record's disclosure period runs from it.")
    document: str = strawberry.field(description=DOCUMENT_DESCRIPTION)


@strawberry.type(description="The result of reportActEnded: the record with its periods recomputed, or the errors.")
class ReportActEndedPayload:
    record: Optional[CreditRecord] = strawberry.field(description="The record as it now is; null when refused, and "
                                                                  "then nothing changed.")
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.input(description="The cancellation (取消) of one of your department's good records without validity "
                              "(HC-19(2)).")
class CancelRecordInput:
    record_id: strawberry.ID = strawberry.field(description="The good record's id; it has no validity end.")
    cancelled_on: dt.date = strawberry.field(description="The day it is cancelled (a Beijing calendar day), from its "
                                                         "decision to today: its last day of disclosure.")
    document: str = strawberry.field(description=DOCUMENT_DESCRIPTION)


@strawberry.type(description="The result of cancelRecord: the record with its disclosure end, or the errors.")
class CancelRecordPayload:
    record: Optional[CreditRecord] = strawberry.field(description="The record as it now is; null when refused, and "
                                                                  "then nothing changed.")
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.input(description="A subject's end, reported by the department that registered it (HC-19(1)).")
class ReportSubjectEndedInput:
    code: strawberry.ID = strawberry.field(description="The subject's full code (18 characters).")
    ended_on: dt.date = strawberry.field(description="The day the organisation was deregistered or the person died "
                                                     "(a Beijing calendar day), not after today.")
    document: str = strawberry.field(description=DOCUMENT_DESCRIPTION)


@strawberry.type(description="The result of reportSubjectEnded: the subject as it now is, or the errors.")
class ReportSubjectEndedPayload:
    subject: Optional[SubjectType] = strawberry.field(description="The subject (status TERMINATED or DECEASED); null "
                                                                  "when refused, and then nothing changed.")
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


async def _record_step(info: Info, record_id: strawberry.ID, step, payload, **arguments):
    """Run a record step (`resolvers.provider_events`) for the calling provider; its payload."""
    ctx: RequestContext = info.context
    actor = _provider_officer(ctx)
    ident = id_or_problem(record_id, "recordId")
    if isinstance(ident, Problem):
        return payload(record=None, errors=errors_of([ident]))
    row, problems = await step(ctx.engine, profile=ctx.profile, actor=actor, record_id=ident, today=ctx.today,
                               now=ctx.now, **arguments)
    return payload(record=record_object(row) if row is not None else None, errors=_errors(info, problems))


async def report_act_ended(info: Info, input: Annotated[ReportActEndedInput, strawberry.argument(
        description="The record, the day its act ended and the document.")]) -> ReportActEndedPayload:
    return await _record_step(info, input.record_id, provider_events.report_act_ended, ReportActEndedPayload,
                              ended_on=input.ended_on, document=input.document)


async def cancel_record(info: Info, input: Annotated[CancelRecordInput, strawberry.argument(
        description="The record, the day it is cancelled and the document.")]) -> CancelRecordPayload:
    return await _record_step(info, input.record_id, provider_events.cancel_record, CancelRecordPayload,
                              cancelled_on=input.cancelled_on, document=input.document)


async def report_subject_ended(info: Info, input: Annotated[ReportSubjectEndedInput, strawberry.argument(
        description="The subject, the day it ended and the document.")]) -> ReportSubjectEndedPayload:
    ctx: RequestContext = info.context
    actor = _provider_officer(ctx)
    try:
        code = parse_subject_code(input.code)
    except BadUserInput as exc:
        return ReportSubjectEndedPayload(subject=None, errors=errors_of([Problem("code", exc.message)]))
    row, problems = await provider_events.report_subject_ended(
        ctx.engine, profile=ctx.profile, actor=actor, code=code, ended_on=input.ended_on, document=input.document,
        today=ctx.today, now=ctx.now)
    ctx.observed.subjects.add(code)
    return ReportSubjectEndedPayload(subject=SubjectType(row=row) if row is not None else None,
                                     errors=_errors(info, problems))
