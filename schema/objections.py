"""Objections (异议) in GraphQL (SPEC 3.4; HC-29, XZ-22..24): filing and each party's step.

Each mutation takes one step of the deployment's objection table (domain/workflows.py) through
resolvers/cases.py and answers the case as it now stands (`CasePayload`).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from domain import enums as domain_enums
from domain.enums import CaseKind
from resolvers import cases as resolvers
from resolvers import objection_outcomes as outcomes
from resolvers.cases import MAX_DOCUMENT, MAX_REASON, text_problem
from schema.cases import CaseParty, CasePayload, payload_of
from schema.collection import CorrectionInput, record_changes
from schema.enums import described

ObjectionGround = described(domain_enums.ObjectionGround, "Why a subject objects to a record (HC-29(1)-(3), XZ-22).", {
    "ERROR_OR_OMISSION": "The record is wrong or incomplete (记载存在错误或者遗漏, HC-29(1); 和事实不符, XZ-22).",
    "PRIVACY_OR_TRADE_SECRET": "It infringes the subject's trade secrets or privacy (HC-29(2)).",
    "PAST_ITS_PERIOD": "Bad information kept past its disclosure period (HC-29(3)).",
})
ObjectionChannel = described(domain_enums.ObjectionChannel, "How an objection reached the centre (XZ-22).", {
    "ONLINE": "Filed online by the subject or its grantee (在线异议提交).",
    "WRITTEN": "A written application (书面异议申请) entered by the credit centre's operator, with its reference.",
})
ObjectionOutcome = described(domain_enums.ObjectionOutcome, "What the centre's comparison found (HC-29).", {
    "DIFFERS": "The platform's copy differs from the provider's: the centre corrects it and notifies the subject; "
               "the case closes (CORRECTED).",
    "SAME": "The copies agree: the objection is forwarded to the provider, which verifies within 15 working days.",
})
ObjectionDecision = described(domain_enums.ObjectionDecision, "The provider's verification (HC-29, XZ-23).", {
    "UPHELD": "The objection is founded (异议成立): the provider corrects or revokes the record.",
    "REJECTED": "The objection is unfounded: the record stands.",
})


@strawberry.input(description="An objection to one record (HC-29, XZ-22).")
class FileObjectionInput:
    record_id: strawberry.ID = strawberry.field(description="The record's id.")
    ground: ObjectionGround = strawberry.field(description="Why (HC-29(1)-(3)).")
    statement: str = strawberry.field(description="What is wrong with the record and why (1 to 2,000 characters); "
                                                  "the centre and the provider read it, the public never.")
    channel: ObjectionChannel = strawberry.field(default=domain_enums.ObjectionChannel.ONLINE, description=(
        "ONLINE (the subject or its grantee) or WRITTEN (the centre's operator, from a written application)."))
    application_reference: Optional[str] = strawberry.field(default=None, description=(
        "The written application's reference (1 to 200 characters); required with WRITTEN."))
    evidence_ids: Optional[list[strawberry.ID]] = strawberry.field(default=None, description=(
        "Evidence (证明材料, HC-29, XZ-22): ids of files you uploaded with `POST /evidence` for this record's "
        "subject and no other objection cites, at most 20. An unknown id, or another's upload, is NOT_FOUND; one "
        "already cited is DUPLICATE; either way nothing is filed."))


@strawberry.input(description="The centre's comparison of its copy with the provider's (Huancui, HC-29).")
class CompareObjectionInput:
    case_id: strawberry.ID = strawberry.field(description="The objection case's id.")
    outcome: ObjectionOutcome = strawberry.field(description="DIFFERS (corrected here) or SAME (forwarded).")
    note: str = strawberry.field(description="What the comparison found (1 to 2,000 characters); the reason of the "
                                             "correction with DIFFERS.")
    correction: Optional[CorrectionInput] = strawberry.field(default=None, description=(
        "Required with DIFFERS, refused with SAME: the provider's copy's values of the fields that differ. The "
        "centre corrects the provider's record from them (a new version, validated like a submission, logged as "
        "the centre's on the provider's data: HC-29); nothing else of the record changes."))


@strawberry.input(description="An upheld objection's revocation: the decision behind the record was revoked "
                              "(XZ-23, HC-30).")
class ObjectionRevocationInput:
    revoked_on: dt.date = strawberry.field(description="The day the decision was revoked; not after today, not "
                                                       "before the decision.")
    document: str = strawberry.field(description="The reference of the written notice and of the revoking decision "
                                                 "(1 to 200 characters).")


@strawberry.input(description="The centre forwards an objection to the record's provider (Xinzheng, XZ-23).")
class ForwardObjectionInput:
    case_id: strawberry.ID = strawberry.field(description="The objection case's id.")


@strawberry.input(description="The provider's verification of an objection (HC-29, XZ-23).")
class DecideObjectionInput:
    case_id: strawberry.ID = strawberry.field(description="The objection case's id.")
    decision: ObjectionDecision = strawberry.field(description="UPHELD or REJECTED.")
    reason: str = strawberry.field(description="Why (1 to 2,000 characters); the subject reads it, and it is the "
                                               "correction's reason.")
    correction: Optional[CorrectionInput] = strawberry.field(default=None, description=(
        "With UPHELD, this or `revocation`: the corrected values (a new version of the record, as correctRecord "
        "makes, in the same transaction as the decision). Refused with REJECTED."))
    revocation: Optional[ObjectionRevocationInput] = strawberry.field(default=None, description=(
        "With UPHELD, this or `correction`: the decision behind the record was revoked; the revocation case opens "
        "at once (the record leaves every query) and the centre completes it (HC-30). Refused with REJECTED."))


@strawberry.input(description="The centre's written notice of the result to the applicant (Xinzheng, XZ-23).")
class NotifyObjectionResultInput:
    case_id: strawberry.ID = strawberry.field(description="The objection case's id.")
    letter_reference: str = strawberry.field(description="The written notice's reference (1 to 200 characters).")


@strawberry.input(description="The subject withdraws its open objection.")
class WithdrawObjectionInput:
    case_id: strawberry.ID = strawberry.field(description="The objection case's id.")


@strawberry.input(description="The subject still disputes the rejection of its objection (HC-29).")
class DisputeObjectionResultInput:
    case_id: strawberry.ID = strawberry.field(description="The rejected objection case's id.")
    statement: str = strawberry.field(description="Why the subject still disputes the record (1 to 2,000 "
                                                  "characters); the centre and the provider read it, the public "
                                                  "never.")


@strawberry.type(description="Objections past their step's day, for one party that must act (XZ-25(7)).")
class OverdueObjections:
    department: str = strawberry.field(description="The department that has not acted: the credit centre (compare "
                                                   "or forward, written notice) or the record's provider (verify).")
    party: CaseParty = strawberry.field(description="CENTRE or PROVIDER.")
    count: int = strawberry.field(description="How many open objections are past their day.")
    oldest_due_on: dt.date = strawberry.field(description="The earliest missed day among them (Asia/Shanghai).")
    case_numbers: list[int] = strawberry.field(description="Their case numbers, oldest due first (at most 100); "
                                                           "`cases(filter: {kind: OBJECTION, overdue: true})` pages "
                                                           "them.")


def _problems(*found) -> list:
    return [p for p in found if p is not None]


async def file_objection(info: Info, input: Annotated[FileObjectionInput, strawberry.argument(
        description="The record, the ground, the statement, the channel.")]) -> CasePayload:
    return payload_of(*await resolvers.open_case(info.context, resolvers.Opening(
        CaseKind.OBJECTION, input.record_id, document=input.application_reference, reason=input.statement,
        ground=domain_enums.ObjectionGround(input.ground.value),
        channel=domain_enums.ObjectionChannel(input.channel.value), evidence_ids=tuple(input.evidence_ids or ()))))


async def compare_objection(info: Info, input: Annotated[CompareObjectionInput, strawberry.argument(
        description="The case, the outcome and the note.")]) -> CasePayload:
    step = "differs" if input.outcome.value == "DIFFERS" else "same"
    outcome = outcomes.Outcome(changes=record_changes(input.correction) if input.correction else None)
    return payload_of(*await resolvers.advance_case(
        info.context, CaseKind.OBJECTION, step, input.case_id, detail={"compare_note": (input.note or "").strip()},
        input_problems=_problems(text_problem(input.note, "note", MAX_REASON, "what the comparison found"),
                                 *outcomes.problems(step, outcome)),
        on_record=partial(outcomes.apply, outcome, input.note or "")))


async def forward_objection(info: Info, input: Annotated[ForwardObjectionInput, strawberry.argument(
        description="The case.")]) -> CasePayload:
    return payload_of(*await resolvers.advance_case(info.context, CaseKind.OBJECTION, "forward", input.case_id))


async def decide_objection(info: Info, input: Annotated[DecideObjectionInput, strawberry.argument(
        description="The case, the decision and why.")]) -> CasePayload:
    step = "uphold" if input.decision.value == "UPHELD" else "reject"
    revocation = input.revocation
    outcome = outcomes.Outcome(changes=record_changes(input.correction) if input.correction else None,
                               revocation_document=revocation.document if revocation else None,
                               revoked_on=revocation.revoked_on if revocation else None)
    return payload_of(*await resolvers.advance_case(
        info.context, CaseKind.OBJECTION, step, input.case_id,
        detail={"decision": input.decision.value, "decision_reason": (input.reason or "").strip()},
        input_problems=_problems(text_problem(input.reason, "reason", MAX_REASON, "why the objection is decided so"),
                                 *outcomes.problems(step, outcome)),
        on_record=partial(outcomes.apply, outcome, input.reason or "")))


async def notify_objection_result(info: Info, input: Annotated[NotifyObjectionResultInput, strawberry.argument(
        description="The case and the letter.")]) -> CasePayload:
    letter = (input.letter_reference or "").strip()
    return payload_of(*await resolvers.advance_case(
        info.context, CaseKind.OBJECTION, ("notify_upheld", "notify_rejected"), input.case_id, document=letter,
        detail={"letter": letter}, input_problems=_problems(text_problem(
            input.letter_reference, "letterReference", MAX_DOCUMENT, "the written notice's reference (XZ-23)"))))


async def withdraw_objection(info: Info, input: Annotated[WithdrawObjectionInput, strawberry.argument(
        description="The case.")]) -> CasePayload:
    return payload_of(*await resolvers.advance_case(info.context, CaseKind.OBJECTION, "withdraw", input.case_id))


async def dispute_objection_result(info: Info, input: Annotated[DisputeObjectionResultInput, strawberry.argument(
        description="The case and why.")]) -> CasePayload:
    return payload_of(*await resolvers.advance_case(
        info.context, CaseKind.OBJECTION, "dispute", input.case_id,
        detail={"dispute_statement": (input.statement or "").strip()},
        input_problems=_problems(text_problem(input.statement, "statement", MAX_REASON,
                                              "why you still dispute the record (HC-29)"))))


async def overdue_objections(info: Info) -> list[OverdueObjections]:
    rows = await resolvers.overdue_objections(info.context)
    return [OverdueObjections(department=r.department, party=CaseParty(r.party), count=r.count,
                              oldest_due_on=r.oldest_due_on, case_numbers=r.case_numbers) for r in rows]
