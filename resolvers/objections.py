"""What is particular to objections (异议; SPEC 3.4, HC-29, XZ-22..24), applied by resolvers/cases.py.

Who files: the subject itself or its grantee for that record, online (XZ-22); or the credit
centre's operator entering a written application (书面异议申请, HC-29) with its reference. Who is
told: the centre of a filing (it acts next), the provider from the forwarding on (it is not a
party before the centre compares), and the subject of every step but the Xinzheng provider's
verification, which reaches the applicant only through the centre's written notice (XZ-23).
While an objection is open its record carries an OBJECTION_OPEN annotation (标注, HC-29), which
every reader sees; the public sees that an objection is pending, not its statement.
"""

from __future__ import annotations

from sqlalchemy import Row, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.enums import AnnotationKind, CaseParty, ObjectionChannel
from domain.problems import Problem
from domain.workflows import Step, Workflow
from resolvers.context import RequestContext
from resolvers.errors import Forbidden
from store.models import Annotation

A = Annotation.__table__

MAX_STATEMENT = 2000
MAX_REFERENCE = 200

_INSERT_ANNOTATION = insert(A)
_CLOSE_ANNOTATIONS = update(A).where(A.c.kind == AnnotationKind.OBJECTION_OPEN.value, A.c.closed_at.is_(None))


def require_filer_kind(ctx: RequestContext, article: str) -> None:
    """FORBIDDEN before anything is read unless the token could file at all."""
    principal = ctx.principal
    if principal.is_anonymous or not (principal.subject_code or principal.user):
        raise Forbidden(f"an objection is filed by the record's subject or its grantee, or entered by the credit "
                        f"centre's operator from a written application ({article})", rule=article)


def filed_as(ctx: RequestContext, record: Row, article: str, centre_operator: bool) -> str:
    """self, grantee or centre: FORBIDDEN for anyone else (the record's provider included)."""
    principal = ctx.principal
    if principal.subject_code and principal.subject_code == record.subject_code:
        return "self"
    right = ctx.scope.right_for(record.subject_code)
    if right is not None and right.role == "grantee" and right.pairs.covers(record.visibility,
                                                                            record.catalogue_item_code):
        return "grantee"
    if centre_operator:
        return "centre"
    raise Forbidden(f"record {record.id}: an objection is filed by the record's subject, or by its grantee under a "
                    "written authorisation covering the record (with its purpose and basis declared), or entered by "
                    f"the credit centre's operator from a written application ({article})", rule=article)


def filing_problems(channel: ObjectionChannel, reference: str | None, filer: str) -> list[Problem]:
    """The channel must fit the filer: the centre enters written applications, with their reference."""
    text = reference.strip() if isinstance(reference, str) else ""
    if filer == "centre":
        if channel is not ObjectionChannel.WRITTEN:
            return [Problem("channel", "channel: the credit centre's operator enters written applications (WRITTEN), "
                                       "with the application's reference; online objections are filed by the "
                                       "subject or its grantee (XZ-22)")]
        if not text or len(text) > MAX_REFERENCE:
            return [Problem("applicationReference", f"applicationReference: 1 to {MAX_REFERENCE} characters, the "
                                                    "written application's reference (HC-29 书面异议申请)")]
    elif channel is ObjectionChannel.WRITTEN:
        return [Problem("channel", "channel: a written application is entered by the credit centre's operator; "
                                   "file online (ONLINE)")]
    return []


def recipients(step: Step, record: Row, centre: str) -> list[tuple[CaseParty, str]]:
    everyone = [(CaseParty.SUBJECT, record.subject_code), (CaseParty.PROVIDER, record.provider_code),
                (CaseParty.CENTRE, centre)]
    skip = {step.actor}
    if step.from_state is None or (step.from_state == "FILED" and step.actor is CaseParty.SUBJECT):
        skip |= {CaseParty.PROVIDER}  # the centre compares (HC-29) or forwards (XZ-23) first
    if step.actor is CaseParty.PROVIDER and step.next_party is CaseParty.CENTRE:
        skip |= {CaseParty.SUBJECT}  # XZ-23: the centre's written notice tells the applicant
    if step.from_state is None and step.actor is CaseParty.SUBJECT:
        skip -= {CaseParty.SUBJECT}  # the subject is told of a filing, whoever entered it
    return [(party, code) for party, code in everyone if party not in skip]


MESSAGES = {
    "OBJECTION_FILED": "an objection to record {record} was filed; the credit centre acts within its deadline "
                       "(case {case}, {article})",
    "OBJECTION_CORRECTED": "the credit centre found its copy of record {record} differing from the provider's and "
                           "corrected it (case {case}, {article})",
    "OBJECTION_FORWARDED": "the objection to record {record} was forwarded to its provider, which verifies it "
                           "within its deadline (case {case}, {article})",
    "OBJECTION_UPHELD": "the provider upheld the objection to record {record} (case {case}, {article})",
    "OBJECTION_REJECTED": "the provider rejected the objection to record {record}: the record stands (case {case}, "
                          "{article})",
    "OBJECTION_WITHDRAWN": "the subject withdrew its objection to record {record} (case {case}, {article})",
    "OBJECTION_DISPUTED": "the subject still disputes record {record} after its objection was rejected: the record "
                          "is annotated (case {case}, HC-29)",
    "OBJECTION_RESULT_NOTIFIED": "the credit centre notified the applicant in writing of the result of the objection "
                                 "to record {record} (case {case}, {article})",
}


async def annotate(connection: AsyncConnection, ctx: RequestContext, workflow: Workflow, record_id: int,
                   case_id: int, disputed: bool = False) -> None:
    """标注 (HC-29): what every reader of the record sees while the objection is open, and for good
    once the subject disputes its rejection (仍有异议的, 予以标注)."""
    text = f"The subject disputes this record; its objection was rejected (case {case_id}, HC-29)." if disputed \
        else f"An objection to this record is under review (case {case_id}, {workflow.article})."
    kind = AnnotationKind.OBJECTION_DISPUTED if disputed else AnnotationKind.OBJECTION_OPEN
    await connection.execute(_INSERT_ANNOTATION, {"record_id": record_id, "objection_id": None, "case_id": case_id, "kind": kind.value,
                                                  "text": text, "created_at": ctx.now})


async def close_annotation(connection: AsyncConnection, ctx: RequestContext, record_id: int) -> None:
    await connection.execute(_CLOSE_ANNOTATIONS.where(A.c.record_id == record_id).values(closed_at=ctx.now))

