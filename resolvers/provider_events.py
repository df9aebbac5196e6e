"""The provider's date events (SPEC 3.2, 3.3; HC-18, HC-19): an ongoing bad act ended, a subject
ended (deregistration, death), a good record without validity cancelled.

Each is a step by the record's provider department only (HC-18: the provider is responsible for its
data), resting on a written document whose reference it gives. One transaction per step: the
record's (or subject's) new columns with periods recomputed by `domain.periods.record_periods`, a
dated event per record changed (`store.record_events`, replayed by `asOf`), a notification to the
subject, and a submission-log entry (HC-35). A refused step changes and logs nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.catalogue import CatalogueItem, JurisdictionProfile
from domain.enums import CaseParty, Category, RecordEventKind, RecordFamily, SubjectKind, SubjectStatus
from domain.periods import record_periods
from domain.problems import Problem, ProblemCode
from resolvers.node_ids import record_named
from store.chain import append_submission_log
from store.models import Record, Subject
from store.notifications import notify
from store.record_events import append_event, changed_fields, json_value

R = Record.__table__
S = Subject.__table__

MAX_DOCUMENT = 200  # RecordEvent.document_ref
_RECORD = select(R).where(R.c.id == bindparam("record_id"))
_SUBJECT = select(S).where(S.c.code == bindparam("code"))
_SUBJECT_RECORDS = select(R).where(R.c.subject_code == bindparam("code")).order_by(R.c.id)


@dataclass(frozen=True)
class Actor:
    """Who takes the step: a provider department's officer."""

    department: str
    user: str | None


def document_problem(document: Any) -> Problem | None:
    """The written document a step rests on (HC-16, HC-18): required, 1 to 200 characters."""
    text = document.strip() if isinstance(document, str) else ""
    if not text or len(text) > MAX_DOCUMENT:
        return Problem("document", f"1 to {MAX_DOCUMENT} characters: the number or reference of the written "
                                   "document the step rests on (HC-18)")
    return None


def _not_provider(what: str, record_id: int) -> Problem:
    return Problem("recordId", f"record {record_id} was provided by another department: only its provider "
                               f"{what} (HC-18)", ProblemCode.NOT_PROVIDER)


def _day_problem(field: str, day: dt.date, today: dt.date, not_before: dt.date | None = None,
                 before_what: str = "") -> Problem | None:
    if day > today:
        return Problem(field, f"{day} is after today ({today}): report a step once it has happened")
    if not_before is not None and day < not_before:
        return Problem(field, f"{day} is before {before_what} ({not_before})")
    return None


async def _locked(connection: AsyncConnection, statement, **params) -> Row | None:
    if connection.dialect.name == "postgresql":
        statement = statement.with_for_update()
    return (await connection.execute(statement, params)).one_or_none()


def _periods(row: Row, item: CatalogueItem, profile: JurisdictionProfile, subject: Row, *,
             act_ended_on: dt.date | None = None, subject_ended_on: dt.date | None = None,
             cancelled_on: dt.date | None = None) -> dict[str, Any]:
    """The record's period columns from its dates as the step leaves them (`record_periods`)."""
    periods = record_periods(item, profile, subject_kind=SubjectKind(subject.kind), decided_on=row.decided_on,
                             act_ended_on=act_ended_on if act_ended_on is not None else row.act_ended_on,
                             valid_until=row.valid_until,
                             subject_ended_on=subject_ended_on if subject_ended_on is not None else subject.ended_on,
                             cancelled_on=cancelled_on)
    return {"disclosure_ends_on": periods.disclosure_ends_on, "publicity_ends_on": periods.publicity_ends_on,
            "retained_until": periods.retained_until}


async def _change_record(connection: AsyncConnection, row: Row, values: dict[str, Any], *, kind: RecordEventKind,
                         actor: Actor, document: str, today: dt.date, now: dt.datetime,
                         extra_before: dict | None = None, extra_after: dict | None = None) -> Row:
    """Write `values` on the record with its event; the record as it now is."""
    before, after = changed_fields(row._mapping, values)
    await connection.execute(update(R).where(R.c.id == row.id).values(**values, updated_at=now))
    await append_event(connection, record_id=row.id, subject_code=row.subject_code, kind=kind, effective_on=today,
                       actor_user=actor.user, actor_department=actor.department, document_ref=document,
                       before={**before, **(extra_before or {})}, after={**after, **(extra_after or {})}, at=now)
    return (await connection.execute(_RECORD, {"record_id": row.id})).one()


Check = Callable[[Row, CatalogueItem], "Problem | None"]


async def _record_step(engine: AsyncEngine, *, profile: JurisdictionProfile, actor: Actor, record_id: int,
                       document: str, today: dt.date, now: dt.datetime, kind: RecordEventKind, action: str,
                       what: str, check: Check, values: Callable[[Row, CatalogueItem, Row], dict[str, Any]],
                       message: Callable[[Row], str], detail: dict[str, Any]) -> tuple[Row | None, list[Problem]]:
    """The shape every record step shares: find and lock the record, refuse another provider's,
    apply the step's own `check`, write `values` with the event, notify the subject, log."""
    if (problem := document_problem(document)) is not None:
        return None, [problem]
    document = document.strip()
    async with engine.begin() as connection:
        row = await _locked(connection, _RECORD, record_id=record_id)
        if row is None:
            return None, [Problem("recordId", f"no {record_named(record_id)}", ProblemCode.NOT_FOUND)]
        if row.provider_code != actor.department:
            return None, [_not_provider(what, record_id)]
        item = profile.items[row.catalogue_item_code]
        if (problem := check(row, item)) is not None:
            return None, [problem]
        subject = (await connection.execute(_SUBJECT, {"code": row.subject_code})).one()
        new_row = await _change_record(connection, row, values(row, item, subject), kind=kind, actor=actor,
                                       document=document, today=today, now=now)
        await notify(connection, party=CaseParty.SUBJECT, recipient=row.subject_code, kind=kind.value,
                     message=message(new_row), subject_code=row.subject_code, record_id=row.id)
        await append_submission_log(connection, user=actor.user, department=actor.department, action=action,
                                    detail={"record_id": row.id, "document": document, **detail})
    return new_row, []


async def report_act_ended(engine: AsyncEngine, *, profile: JurisdictionProfile, actor: Actor, record_id: int,
                           ended_on: dt.date, document: str, today: dt.date,
                           now: dt.datetime) -> tuple[Row | None, list[Problem]]:
    """The provider reports that the ongoing act behind a BAD record ended on `ended_on` (HC-19(3)):
    the record's 5-year (or cited) period starts from it. Refused for other categories, for an end
    after today, and for a record whose end is recorded already (correctRecord changes that)."""
    def check(row: Row, item: CatalogueItem) -> Problem | None:
        if item.category is not Category.BAD:
            return Problem("recordId", f"record {record_id} is {item.category.value}: only a bad record's act has "
                                       "an end that starts its period (HC-19(3))")
        if row.act_ended_on is not None:
            return Problem("recordId", f"record {record_id}'s act ended on {row.act_ended_on} already; to change "
                                       "that date use correctRecord (HC-18)")
        return _day_problem("endedOn", ended_on, today)

    return await _record_step(
        engine, profile=profile, actor=actor, record_id=record_id, document=document, today=today, now=now,
        kind=RecordEventKind.ACT_ENDED, action="ACT_ENDED", what="reports the end of its act", check=check,
        values=lambda row, item, subject: {"act_ended_on": ended_on,
                                           **_periods(row, item, profile, subject, act_ended_on=ended_on)},
        message=lambda row: (f"记录 {row.id} 的失信行为已于 {ended_on} 终止 / the act behind record {row.id} ended on "
                             f"{ended_on}; its disclosure period runs to {row.disclosure_ends_on} (HC-19(3))"),
        detail={"ended_on": ended_on.isoformat()})


async def cancel_record(engine: AsyncEngine, *, profile: JurisdictionProfile, actor: Actor, record_id: int,
                        cancelled_on: dt.date, document: str, today: dt.date,
                        now: dt.datetime) -> tuple[Row | None, list[Problem]]:
    """The provider cancels (取消) a GOOD record that has no validity (HC-19(2)): it is disclosed
    until `cancelled_on`, then archived. Refused for other categories, a record with a validity
    (it ends then; correctRecord changes it), one cancelled already, and a day after today or
    before the decision."""
    def check(row: Row, item: CatalogueItem) -> Problem | None:
        if item.category is not Category.GOOD:
            return Problem("recordId", f"record {record_id} is {item.category.value}: only a good record without "
                                       "validity is cancelled (HC-19(2))")
        if row.valid_until is not None:
            return Problem("recordId", f"record {record_id} is valid until {row.valid_until} and is disclosed until "
                                       "then (HC-19(2)); to change its validity use correctRecord")
        if row.disclosure_ends_on is not None:
            return Problem("recordId", f"record {record_id} was cancelled already: disclosed until "
                                       f"{row.disclosure_ends_on}")
        return _day_problem("cancelledOn", cancelled_on, today, row.decided_on, "the decision date")

    return await _record_step(
        engine, profile=profile, actor=actor, record_id=record_id, document=document, today=today, now=now,
        kind=RecordEventKind.CANCELLED, action="CANCEL", what="cancels it", check=check,
        values=lambda row, item, subject: _periods(row, item, profile, subject, cancelled_on=cancelled_on),
        message=lambda row: (f"记录 {row.id} 已于 {cancelled_on} 取消 / record {row.id} was cancelled on "
                             f"{cancelled_on} by its provider (HC-19(2))"),
        detail={"cancelled_on": cancelled_on.isoformat()})


def registers(item: CatalogueItem, subject_kind: SubjectKind) -> bool:
    """Whether a record of `item` is the subject's registration, whose provider registers its end
    (HC-19(1)): an organisation's registration (登记注册, ORGANISATION_REGISTRATION: market
    regulation, licensing, civil affairs, whichever registered this one), a person's identity
    record (户籍, the BASIC identity item carrying the full name: public security, which registers
    deaths). Employment, education or marriage records do not make a department the registrar."""
    if item.category is not Category.BASIC:
        return False
    if subject_kind is SubjectKind.ORGANISATION:
        return item.family is RecordFamily.ORGANISATION_REGISTRATION
    name = item.field("fullName")
    return item.family is RecordFamily.PERSON_IDENTITY and name is not None and name.required


async def report_subject_ended(engine: AsyncEngine, *, profile: JurisdictionProfile, actor: Actor, code: str,
                               ended_on: dt.date, document: str, today: dt.date,
                               now: dt.datetime) -> tuple[Row | None, list[Problem]]:
    """The department that registered the subject reports its end: deregistration of an
    organisation (TERMINATED) or a person's death (DECEASED). Only a department that provided this
    subject's registration record (`registers`) may; the BASIC records' periods follow (HC-19(1)),
    each with a SUBJECT_ENDED event carrying the subject's status before and after."""
    if (problem := document_problem(document)) is not None:
        return None, [problem]
    document = document.strip()
    async with engine.begin() as connection:
        subject = await _locked(connection, _SUBJECT, code=code)
        if subject is None:
            return None, [Problem("code", "no subject with this code", ProblemCode.NOT_FOUND)]
        kind = SubjectKind(subject.kind)
        records = (await connection.execute(_SUBJECT_RECORDS, {"code": code})).all()
        registrations = [r for r in records if r.provider_code == actor.department
                         and r.catalogue_item_code in profile.items
                         and registers(profile.items[r.catalogue_item_code], kind)]
        if not registrations:
            return None, [Problem("code", "only the department that registered the subject reports its end (its "
                                          "registration or identity record's provider, HC-19(1)); "
                                          f"{actor.department} provided none of this subject's",
                                  ProblemCode.NOT_PROVIDER)]
        if subject.ended_on is not None:
            return None, [Problem("code", f"the subject's end was reported already: {subject.status} on "
                                          f"{subject.ended_on}")]
        if (problem := _day_problem("endedOn", ended_on, today)) is not None:
            return None, [problem]
        status = SubjectStatus.DECEASED if kind is SubjectKind.NATURAL_PERSON else SubjectStatus.TERMINATED
        await connection.execute(update(S).where(S.c.code == code).values(status=status.value, ended_on=ended_on))
        subject_before = {"subject_status": subject.status, "subject_ended_on": None}
        subject_after = {"subject_status": status.value, "subject_ended_on": json_value(ended_on)}
        changed = []
        for row in records:
            item = profile.items.get(row.catalogue_item_code)
            if item is None or item.category is not Category.BASIC:
                continue
            await _change_record(connection, row, _periods(row, item, profile, subject, subject_ended_on=ended_on),
                                 kind=RecordEventKind.SUBJECT_ENDED, actor=actor, document=document, today=today,
                                 now=now, extra_before=subject_before, extra_after=subject_after)
            changed.append(row.id)
        await notify(connection, party=CaseParty.SUBJECT, recipient=code, kind=RecordEventKind.SUBJECT_ENDED.value,
                     message=f"主体已于 {ended_on} {'死亡' if status is SubjectStatus.DECEASED else '注销'}登记 / the "
                             f"subject's end ({status.value}) on {ended_on} was reported by {actor.department}; its "
                             "basic records' disclosure periods follow (HC-19(1))", subject_code=code)
        await append_submission_log(connection, user=actor.user, department=actor.department, action="SUBJECT_ENDED",
                                    detail={"subject": code, "status": status.value, "ended_on": ended_on.isoformat(),
                                            "document": document, "record_ids": changed})
        subject = (await connection.execute(_SUBJECT, {"code": code})).one()
    return subject, []
