"""The demo data's revoked, repaired and deleted records, as the case workflows leave them (issue 15).

store/demo.py draws which records a revocation, a repair or an honour deletion befell and when;
this module turns each draw into what domain/workflows.py's steps would have written: the case
row, the record's dated events naming it, the notifications, and for a completed revocation or
honour deletion a tombstone in place of the record (its content is gone, HC-30, HC-33). A case
whose deadline has not passed by the demo's day is left open (REPORTED, REQUESTED), so the centre
has work to see; a few honour deletions are left open past their day (overdue, listed for it).

Pure: rows in memory, no database; deterministic for a given random generator.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.catalogue import JurisdictionProfile
from domain.enums import CaseKind, CaseParty, DepartmentKind, RecordEventKind, RecordStatus
from domain.workflows import WORKFLOWS, Step
from domain.working_days import WorkingDayCalendar

UTC = dt.timezone.utc
CENTRE_USER = "demo-centre"
SUBMITTED_BY_PROVIDER = "demo-loader"  # store/demo.SUBMITTED_BY: the provider's steps are the loader's too
OVERDUE_SHARE = 0.2  # honour deletions left open past their day, for the centre's overdue list
RECENT_SHARE = 0.3  # revocations reported in the last days: open, for the centre to complete


@dataclass
class CaseRows:
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    tombstones: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)


def _at(day: date, hour: int) -> dt.datetime:
    """An office hour of a Beijing day, as the UTC instant stored."""
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))) \
        .astimezone(UTC)


def _centre(profile: JurisdictionProfile) -> str:
    return next(code for code, d in profile.departments.items() if d.kind is DepartmentKind.CREDIT_CENTRE)


class _Writer:
    """Rows of the steps of one case, as resolvers/cases.py writes them."""

    def __init__(self, rows: CaseRows, profile: JurisdictionProfile, record: dict[str, Any], case_id: int,
                 today: date):
        self.rows, self.record, self.case_id, self.centre = rows, record, case_id, _centre(profile)
        self.read_before = today - dt.timedelta(days=7)  # notifications older than a week were read

    def step(self, step: Step, day: date, document: str | None, before=None, after=None,
             kind: RecordEventKind | None = None) -> None:
        record = self.record
        actor = {CaseParty.PROVIDER: (SUBMITTED_BY_PROVIDER, record["provider_code"]),
                 CaseParty.CENTRE: (CENTRE_USER, self.centre), CaseParty.SUBJECT: (None, None)}[step.actor]
        self.rows.events.append({
            "record_id": record["id"], "subject_code": record["subject_code"], "kind": (kind or step.event).value,
            "effective_on": day, "at": _at(day, 10), "actor_user": actor[0], "actor_department": actor[1],
            "document_ref": document, "case_id": self.case_id, "before": before or {}, "after": after or {}})
        if kind is not None:
            return  # the second event of one step notifies once
        for party, recipient in ((CaseParty.SUBJECT, record["subject_code"]),
                                 (CaseParty.PROVIDER, record["provider_code"]), (CaseParty.CENTRE, self.centre)):
            if party is not step.actor:
                self.rows.notifications.append({
                    "recipient_party": party.value, "recipient": recipient, "kind": step.event.value,
                    "subject_code": record["subject_code"], "record_id": record["id"], "case_id": self.case_id,
                    "message": f"record {record['id']}: {step.event.value.lower().replace('_', ' ')} "
                               f"(case {self.case_id}, {step.article})",
                    "created_at": _at(day, 10), "read_at": _at(day, 15) if day < self.read_before else None})


def apply_case_workflows(records: list[dict[str, Any]], profile: JurisdictionProfile, calendar: WorkingDayCalendar,
                         today: date, rng: random.Random, first_case_id: int = 1) -> tuple[list[dict[str, Any]],
                                                                                          CaseRows]:
    """The records that remain stored, and the case rows: every REVOKED, REPAIRED or DELETED status
    store/demo.py drew becomes the case that sets it. A deleted record's id is never given again:
    loading continues the id sequence after the highest tombstone (store/demo.py)."""
    rows = CaseRows()
    kept: list[dict[str, Any]] = []
    case_id = first_case_id
    for record in records:
        status = record["status"]
        kind = {RecordStatus.REVOKED.value: CaseKind.REVOCATION, RecordStatus.REPAIRED.value: CaseKind.REPAIR,
                RecordStatus.DELETED.value: CaseKind.HONOUR_DELETION}.get(status)
        if kind is None:
            kept.append(record)
            continue
        writer = _Writer(rows, profile, record, case_id, today)
        stays = _case(writer, kind, record, calendar, today, rng)
        if stays:
            kept.append(record)
        case_id += 1
    return kept, rows


def _status_change(status: str, day: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """An ACTIVE record's step to `status` on `day`: the columns it changes, as resolvers/cases.py writes them."""
    return {"status": "ACTIVE", "status_changed_on": None}, {"status": status, "status_changed_on": day.isoformat()}


def _case(writer: _Writer, kind: CaseKind, record: dict[str, Any], calendar: WorkingDayCalendar, today: date,
          rng: random.Random) -> bool:
    """One case's rows; whether the record stays stored."""
    workflow = WORKFLOWS[kind]
    opening = workflow.opening
    opened_on = record["status_changed_on"]
    if kind is CaseKind.REVOCATION and rng.random() < RECENT_SHARE:
        opened_on = max(opened_on, today - dt.timedelta(days=rng.randint(1, 2)))
        record["status_changed_on"] = opened_on
    due = calendar.add_working_days(opened_on, opening.deadline_working_days)
    year = opened_on.year
    document = {CaseKind.REVOCATION: f"撤销告知〔{year}〕{writer.case_id}号",
                CaseKind.REPAIR: f"信用修复证明〔{year}〕{writer.case_id}号"}.get(kind)
    reason = "不再希望在平台上展示该信息" if kind is CaseKind.HONOUR_DELETION else None
    case = {"id": writer.case_id, "kind": kind.value, "record_id": record["id"], "subject_code": record["subject_code"],
            "provider_code": record["provider_code"], "state": opening.to_state, "next_party": opening.next_party.value,
            "opened_on": opened_on, "opened_at": _at(opened_on, 10),
            "opened_by": None if opening.actor is CaseParty.SUBJECT else SUBMITTED_BY_PROVIDER,
            "due_on": due.due, "due_provisional": due.provisional, "document_ref": document, "reason": reason,
            "detail": {"revoked_on": (opened_on - dt.timedelta(days=rng.randint(1, 10))).isoformat()}
            if kind is CaseKind.REVOCATION else {},
            "closed_at": None, "updated_at": _at(opened_on, 10)}
    writer.rows.cases.append(case)
    if kind is CaseKind.REPAIR:  # immediate (domain/workflows.py): certified and off the interface the same day
        writer.step(opening, opened_on, document)
        writer.step(opening, opened_on, document, *_status_change("REPAIRED", opened_on),
                    kind=opening.also_closes)
        case.update(closed_at=_at(opened_on, 10), next_party=CaseParty.NONE.value)
        return True
    overdue_left = kind is CaseKind.HONOUR_DELETION and rng.random() < OVERDUE_SHARE
    if due.due >= today or overdue_left:  # still open: the next party has not acted yet
        status_change = _status_change("REVOKED", opened_on) if kind is CaseKind.REVOCATION else ({}, {})
        writer.step(opening, opened_on, document or None, *status_change)
        if kind is CaseKind.HONOUR_DELETION:  # not deleted yet: still shown as it was
            record.update(status=RecordStatus.ACTIVE.value, status_changed_on=None)
        return True
    closing = next(s for s in workflow.steps if s.from_state == opening.to_state)
    closed_on = calendar.add_working_days(opened_on, rng.randint(1, opening.deadline_working_days)).due
    writer.step(opening, opened_on, document)  # content scrubbed with the record: no before/after
    writer.step(closing, closed_on, document)
    case.update(state=closing.to_state, next_party=closing.next_party.value, closed_at=_at(closed_on, 11),
                updated_at=_at(closed_on, 11))
    writer.rows.tombstones.append({
        "record_id": record["id"], "subject_code": record["subject_code"], "provider_code": record["provider_code"],
        "catalogue_item_code": record["catalogue_item_code"], "document_number": record["document_number"],
        "reason": closing.event.value, "reference": document, "effective_on": closed_on,
        "deleted_at": _at(closed_on, 11), "deleted_by": CENTRE_USER if closing.actor is CaseParty.CENTRE
        else SUBMITTED_BY_PROVIDER})
    return False
