"""The case workflows after collection, as transition tables (SPEC 3.4; HC-30, HC-31, HC-33).

Each CaseKind is a table of steps: the state a step starts from (None: the step opens the case),
the state it leads to, who takes it (a CaseParty and the token roles that may act for it), the
record event it writes, who acts next and within how many working days (counted from the day of
the step, the start day not counted: domain/working_days.py), and the article. Resolvers look a
step up here and apply it; they never re-encode states, actors or deadlines.

Choices the articles leave to the platform, and why:
- Revocation (HC-30): the provider tells the centre in writing; the centre deletes the record
  from the database within 3 working days of receiving the notice. The record leaves every query
  at the report (status REVOKED: the decision behind it no longer exists, so no reader may rely on
  it), and its content leaves the live tables when the centre's operator completes the case.
- Credit repair (HC-31): the provider certifies repair in writing; the centre removes the record
  from the query interface within 3 working days of receiving the certificate. The centre has
  nothing to decide (应当), and removing it from the interface loses nothing (the subject and
  auditors still see it, marked REPAIRED), so the platform does it at once: certification opens
  and closes the case on the same day, its 3-working-day deadline met by construction.
- Honour deletion (HC-33): the subject asks; the centre notifies the provider at once (及时通知:
  the notice is written in the request's own transaction, to the centre and to the provider),
  and the provider deletes within 5 working days of the request. An open case past its day is
  overdue and listed for the centre (`cases(filter: {overdue: true})`).
- Objection (HC-29; XZ-22, XZ-23): the two profiles differ in form, not only in numbers, so the
  table is the profile's (`objection_workflow`), its deadlines from the profile's `objection`
  numbers. Huancui: the centre compares the copies within 3 working days (DIFFERS: it corrects
  and the case closes; SAME: forwarded), the provider verifies within 15 and the centre notifies
  the subject "promptly" (及时): the notice is written in the provider's own step, so the case
  closes with it. Xinzheng: the centre forwards within 3, the provider verifies within 15, and
  the centre's written notice to the applicant (its letter's reference) within 2 working days of
  receiving the result closes the case. The subject files online; the centre's operator enters a
  written application (书面异议申请) on its behalf, with the application's reference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.catalogue import ObjectionDeadlines
from domain.enums import CaseKind, CaseParty, RecordEventKind

PROVIDER_ROLES = frozenset({"officer", "submitter"})  # a provider department's staff (HC-16, HC-18)
CENTRE_ROLES = frozenset({"operator"})  # the credit centre's operators (HC-6)
SUBJECT_ROLES = frozenset()  # the subject acts through a token carrying its verified `subject` code


@dataclass(frozen=True)
class Step:
    """One transition of a workflow."""

    name: str
    kind: CaseKind
    from_state: str | None  # None: this step opens the case
    to_state: str
    actor: CaseParty
    roles: frozenset[str]
    event: RecordEventKind
    next_party: CaseParty  # NONE: the step closes the case
    deadline_working_days: int | None  # for the next party, from the day of this step
    article: str
    also_closes: RecordEventKind | None = None  # a second event the same step writes (repair: REPAIRED)

    @property
    def closes(self) -> bool:
        return self.next_party is CaseParty.NONE


@dataclass(frozen=True)
class Workflow:
    kind: CaseKind
    article: str
    steps: tuple[Step, ...]

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def opening(self) -> Step:
        return next(s for s in self.steps if s.from_state is None)

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.to_state for s in self.steps))

    @property
    def closed_states(self) -> frozenset[str]:
        return frozenset(s.to_state for s in self.steps if s.closes)

    def deadline_step(self, state: str) -> Step | None:
        """The step that led to `state` and set the next party's day (None if no day runs in it)."""
        return next((s for s in self.steps if s.to_state == state and s.deadline_working_days is not None), None)


REVOCATION = Workflow(CaseKind.REVOCATION, "HC-30", (
    Step("report", CaseKind.REVOCATION, None, "REPORTED", CaseParty.PROVIDER, PROVIDER_ROLES,
         RecordEventKind.REVOCATION_REPORTED, CaseParty.CENTRE, 3, "HC-30"),
    Step("complete", CaseKind.REVOCATION, "REPORTED", "REVOKED", CaseParty.CENTRE, CENTRE_ROLES,
         RecordEventKind.REVOKED, CaseParty.NONE, None, "HC-30"),
))

REPAIR = Workflow(CaseKind.REPAIR, "HC-31", (
    Step("certify", CaseKind.REPAIR, None, "REPAIRED", CaseParty.PROVIDER, PROVIDER_ROLES,
         RecordEventKind.REPAIR_CERTIFIED, CaseParty.NONE, 3, "HC-31", also_closes=RecordEventKind.REPAIRED),
))

HONOUR_DELETION = Workflow(CaseKind.HONOUR_DELETION, "HC-33", (
    Step("request", CaseKind.HONOUR_DELETION, None, "REQUESTED", CaseParty.SUBJECT, SUBJECT_ROLES,
         RecordEventKind.HONOUR_DELETION_REQUESTED, CaseParty.PROVIDER, 5, "HC-33"),
    Step("delete", CaseKind.HONOUR_DELETION, "REQUESTED", "DELETED", CaseParty.PROVIDER, PROVIDER_ROLES,
         RecordEventKind.HONOUR_DELETED, CaseParty.NONE, None, "HC-33"),
))

WORKFLOWS: dict[CaseKind, Workflow] = {w.kind: w for w in (REVOCATION, REPAIR, HONOUR_DELETION)}


def _objection_step(name: str, from_state: str | None, to_state: str, actor: CaseParty, event: RecordEventKind,
                    next_party: CaseParty, days: int | None, article: str) -> Step:
    roles = {CaseParty.SUBJECT: SUBJECT_ROLES, CaseParty.CENTRE: CENTRE_ROLES, CaseParty.PROVIDER: PROVIDER_ROLES}
    return Step(name, CaseKind.OBJECTION, from_state, to_state, actor, roles[actor], event, next_party, days, article)


def _subject_steps(open_states: tuple[str, ...], article: str) -> tuple[Step, ...]:
    """The subject's own steps, both profiles: withdrawing an open objection (from any open state),
    and disputing a rejection, which keeps the record annotated (HC-29: 仍有异议的, 予以标注)."""
    S, N, K = CaseParty.SUBJECT, CaseParty.NONE, RecordEventKind
    return (*(_objection_step("withdraw", state, "WITHDRAWN", S, K.OBJECTION_WITHDRAWN, N, None, article)
              for state in open_states),
            _objection_step("dispute", "REJECTED", "DISPUTED", S, K.OBJECTION_DISPUTED, N, None, "HC-29"))


def _huancui_objection(days: ObjectionDeadlines) -> Workflow:
    """HC-29: compare within `centre_compare`, the provider verifies within `provider_verify`."""
    S, C, P, N, K = CaseParty.SUBJECT, CaseParty.CENTRE, CaseParty.PROVIDER, CaseParty.NONE, RecordEventKind
    return Workflow(CaseKind.OBJECTION, "HC-29", (
        _objection_step("file", None, "FILED", S, K.OBJECTION_FILED, C, days.centre_compare, "HC-29"),
        _objection_step("differs", "FILED", "CORRECTED", C, K.OBJECTION_CORRECTED, N, None, "HC-29"),
        _objection_step("same", "FILED", "FORWARDED", C, K.OBJECTION_FORWARDED, P, days.provider_verify, "HC-29"),
        _objection_step("uphold", "FORWARDED", "UPHELD", P, K.OBJECTION_UPHELD, N, None, "HC-29"),
        _objection_step("reject", "FORWARDED", "REJECTED", P, K.OBJECTION_REJECTED, N, None, "HC-29"),
        *_subject_steps(("FILED", "FORWARDED"), "HC-29"),
    ))


def _xinzheng_objection(days: ObjectionDeadlines) -> Workflow:
    """XZ-23: forward within `centre_compare`, verify within `provider_verify`, the written notice
    within `notify_applicant` working days of the result."""
    S, C, P, N, K = CaseParty.SUBJECT, CaseParty.CENTRE, CaseParty.PROVIDER, CaseParty.NONE, RecordEventKind
    notify = days.notify_applicant
    return Workflow(CaseKind.OBJECTION, "XZ-23", (
        _objection_step("file", None, "FILED", S, K.OBJECTION_FILED, C, days.centre_compare, "XZ-22, XZ-23"),
        _objection_step("forward", "FILED", "FORWARDED", C, K.OBJECTION_FORWARDED, P, days.provider_verify, "XZ-23"),
        _objection_step("uphold", "FORWARDED", "VERIFIED_UPHELD", P, K.OBJECTION_UPHELD, C, notify, "XZ-23"),
        _objection_step("reject", "FORWARDED", "VERIFIED_REJECTED", P, K.OBJECTION_REJECTED, C, notify, "XZ-23"),
        _objection_step("notify_upheld", "VERIFIED_UPHELD", "UPHELD", C, K.OBJECTION_RESULT_NOTIFIED, N, None,
                        "XZ-23"),
        _objection_step("notify_rejected", "VERIFIED_REJECTED", "REJECTED", C, K.OBJECTION_RESULT_NOTIFIED, N, None,
                        "XZ-23"),
        *_subject_steps(("FILED", "FORWARDED", "VERIFIED_UPHELD", "VERIFIED_REJECTED"), "XZ-22, XZ-23"),
    ))


_OBJECTION_FORMS = {"huancui": _huancui_objection, "xinzheng": _xinzheng_objection}


def objection_workflow(profile_code: str, deadlines: ObjectionDeadlines) -> Workflow:
    """The profile's objection table (HC-29 or XZ-23), its deadlines the profile's numbers."""
    try:
        return _OBJECTION_FORMS[profile_code](deadlines)
    except KeyError:
        raise ValueError(f"no objection workflow for profile {profile_code!r}: HC-29 (huancui) or XZ-23 (xinzheng)")


def workflow_of(kind: CaseKind, profile_code: str, deadlines: ObjectionDeadlines) -> Workflow:
    """The table of `kind` in a deployment: objections follow its profile (HC-29 or XZ-23)."""
    return objection_workflow(profile_code, deadlines) if kind is CaseKind.OBJECTION else WORKFLOWS[kind]


# The tables' shapes, whatever the numbers (states and closed states do not depend on them).
_SHAPES = ObjectionDeadlines(3, 15, 2, False, False)
OBJECTION_FORMS: tuple[Workflow, ...] = tuple(form(_SHAPES) for form in _OBJECTION_FORMS.values())
OBJECTION_CLOSED: frozenset[str] = frozenset().union(*(w.closed_states for w in OBJECTION_FORMS))

# Every state a case of these kinds can be in, in workflow order (the GraphQL CaseState enum).
CASE_STATES: tuple[str, ...] = tuple(dict.fromkeys(
    s for w in (*WORKFLOWS.values(), *OBJECTION_FORMS) for s in w.states))
STATE_DESCRIPTIONS = {
    "REPORTED": "Revocation reported by the provider; the centre deletes the record within 3 working days (HC-30).",
    "REVOKED": "The record's content was deleted from the live tables; a tombstone remains (HC-30). Closed.",
    "REPAIRED": "Credit repair certified: the record left the query interface (HC-31). Closed.",
    "REQUESTED": "The subject asked to delete an honour; the provider deletes within 5 working days (HC-33).",
    "DELETED": "The provider deleted the honour; a tombstone remains (HC-33). Closed.",
    "FILED": "An objection was filed; the centre compares the copies (HC-29) or forwards it (XZ-23) within 3 "
             "working days.",
    "CORRECTED": "Huancui: the platform's copy differed from the provider's; the centre corrected it and notified "
                 "the subject (HC-29). Closed.",
    "FORWARDED": "Forwarded to the provider, which verifies within 15 working days (HC-29, XZ-23).",
    "UPHELD": "The objection was founded: the record corrected or revoked, the subject notified (HC-29, XZ-23). "
              "Closed.",
    "REJECTED": "The objection was unfounded: the record stands, the subject notified (HC-29, XZ-23). Closed.",
    "VERIFIED_UPHELD": "Xinzheng: the provider upheld the objection; the centre notifies the applicant in writing "
                       "within 2 working days (XZ-23).",
    "WITHDRAWN": "The subject withdrew its objection while it was open. Closed.",
    "DISPUTED": "The objection was rejected and the subject still disputes it: every reader sees the record "
                "annotated OBJECTION_DISPUTED (HC-29). Closed.",
    "VERIFIED_REJECTED": "Xinzheng: the provider rejected the objection; the centre notifies the applicant in "
                         "writing within 2 working days (XZ-23).",
}


def is_open(kind: CaseKind | str, state: str) -> bool:
    if CaseKind(kind) is CaseKind.OBJECTION:
        return state not in OBJECTION_CLOSED
    return state not in WORKFLOWS[CaseKind(kind)].closed_states


def is_overdue(due_on: dt.date | None, closed: bool, today: dt.date) -> bool:
    """An open case whose last day has passed (the due day itself is still in time)."""
    return not closed and due_on is not None and due_on < today
