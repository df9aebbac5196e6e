"""What an objection's step does to its record, in the step's own transaction (HC-29, XZ-23).

- Huancui DIFFERS (HC-29): the platform's copy differs from the provider's, and the centre
  corrects it *from the provider's copy*: a correction of the provider's data (validated against
  the item like any submission, versioned, logged), taken by the centre on the provider's
  record, with the comparison's note as its reason. The centre edits nothing else: the fields a
  correction may change (CorrectionInput), never the subject, item or provider.
- UPHELD (HC-29, XZ-23 异议成立): the provider corrects the record (a correction, as
  correctRecord) or, when the decision behind it was revoked, reports the revocation (the
  revocation case of HC-30 opens in the same transaction; the centre completes it).
- SAME and REJECTED leave the record as it is.

Every check runs before anything is written: a refused outcome refuses the step, which then
changes nothing (resolvers/cases.advance_case calls `apply` before its own writes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.problems import Problem, ProblemCode
from domain.workflows import Step
from resolvers import correction
from resolvers.calendar_years import working_day_calendar
from resolvers.cases import centre_code, report_revocation_in
from resolvers.context import RequestContext


@dataclass(frozen=True)
class Outcome:
    """A step's change to the record: `changes` (a correction) or a revocation's notice."""

    changes: correction.RecordChanges | None = None
    revocation_document: str | None = None
    revoked_on: dt.date | None = None

    @property
    def revokes(self) -> bool:
        return self.revocation_document is not None or self.revoked_on is not None


def problems(step_name: str, outcome: Outcome) -> list[Problem]:
    """Which steps take which change: DIFFERS a correction, UPHELD a correction or a revocation."""
    corrects, revokes = outcome.changes is not None, outcome.revokes
    if step_name == "differs" and not corrects:
        return [Problem("correction", "correction: DIFFERS corrects the platform's copy from the provider's: give the "
                                      "provider's values of the fields that differ (HC-29)")]
    if step_name == "uphold" and corrects == revokes:
        return [Problem("correction", "correction or revocation (one of them): an upheld objection corrects the "
                                      "record or, its decision revoked, revokes it (HC-29, XZ-23)")]
    if step_name not in ("differs", "uphold") and (corrects or revokes):
        field = "correction" if corrects else "revocation"
        return [Problem(field, f"{field}: only DIFFERS (the centre) or UPHELD (the provider) changes the record; "
                               "SAME and REJECTED leave it as it is (HC-29, XZ-23)")]
    return []


_CORRECTION_FIELDS = {"changes": "correction", "reason": None, "id": "caseId"}


def _placed(problem: Problem, reason_field: str) -> Problem:
    head, _, rest = (problem.field or "").partition(".")
    field = _CORRECTION_FIELDS.get(head, head) or reason_field
    return Problem(f"{field}.{rest}" if rest else field, problem.reason, problem.code)


async def apply(outcome: Outcome, reason: str, ctx: RequestContext, connection: AsyncConnection, step: Step,
                case: Row, record: Row) -> list[Problem]:
    """Change the record as the step's outcome says; every fault, and nothing written, if refused
    (advance_case's `on_record`, with `outcome` and the step's `reason` bound)."""
    if (outcome.changes is not None or outcome.revokes) and getattr(record, "deleted", False):
        return [Problem("caseId", f"case {case.id}: record {record.id} was deleted ({record.status}); nothing of it "
                                  "can be corrected or revoked any more: the objection closes without a change "
                                  "(SAME or REJECTED) or by its withdrawal", ProblemCode.ALREADY_REVOKED)]
    if outcome.changes is not None:
        acting = centre_code(ctx) if step.name == "differs" else None
        reason_field = "note" if step.name == "differs" else "reason"
        text = f"objection case {case.id} ({step.article}): {reason.strip()}"
        _, found = await correction.correct_in(
            connection, profile=ctx.profile, calendar=await working_day_calendar(ctx.engine),
            department=record.provider_code, user=ctx.principal.user, record_id=record.id, changes=outcome.changes,
            reason=text[:correction.MAX_REASON], today=ctx.today, now=ctx.now, acting_department=acting,
            case_id=case.id)
        return [_placed(p, reason_field) for p in found]
    if outcome.revokes:
        return await report_revocation_in(ctx, connection, record, outcome.revocation_document, outcome.revoked_on)
    return []
