"""Correcting a record (HC-18): the provider is responsible for its records, so only the providing
department changes one, with a reason, and every version is kept and readable (by the provider,
the subject and auditors: `schema.collection`). Nobody else, the credit centre included, changes
a record's content.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.catalogue import CatalogueItem, JurisdictionProfile
from domain.enums import RecordEventKind, SubjectKind, SubmissionChannel
from domain.problems import Problem, ProblemCode
from domain.submissions import CheckedSubmission, RecordSubmission, check
from domain.working_days import WorkingDayCalendar
from resolvers.errors import Conflict
from resolvers.node_ids import record_named
from resolvers.record_columns import derived_facts, differences, snapshot, submitted_day, utc
from store.chain import append_submission_log
from store.models import Record, RecordVersion, Subject
from store.record_events import append_event, changed_fields

R = Record.__table__
S = Subject.__table__
V = RecordVersion.__table__

MAX_REASON = 2000


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()  # a field a correction leaves as it is


@dataclass(frozen=True)
class RecordChanges:
    """What a correction changes; KEEP leaves a field, None clears an optional one.

    `content` is merged into the record's content: a field given null is removed.
    """

    document_number: Any = KEEP
    issuing_authority: Any = KEEP
    decided_on: Any = KEEP
    act_ended_on: Any = KEEP
    valid_from: Any = KEEP
    valid_until: Any = KEEP
    content: Any = KEEP
    consent_ref: Any = KEEP


def _merged(row: Row, changes: RecordChanges, item: CatalogueItem | None) -> RecordSubmission:
    def pick(name: str) -> Any:
        value = getattr(changes, name)
        return getattr(row, name) if value is KEEP else value

    act_ended = pick("act_ended_on")  # never defaulted from the decision: a corrected decision leaves it alone
    content = dict(row.content or {})
    if changes.content is not KEEP:
        if not isinstance(changes.content, Mapping):
            content = changes.content  # refused by validation, naming `content`
        else:
            for key, value in changes.content.items():
                if value is None:
                    content.pop(key, None)
                else:
                    content[key] = value
    return RecordSubmission(
        subject_code=row.subject_code, catalogue_item=row.catalogue_item_code,
        document_number=pick("document_number"), issuing_authority=pick("issuing_authority"),
        decided_on=pick("decided_on"), act_ended_on=act_ended, valid_from=pick("valid_from"),
        valid_until=pick("valid_until"), content=content, consent_ref=pick("consent_ref"))


CHANGEABLE = frozenset({"documentNumber", "issuingAuthority", "decidedOn", "actEndedOn", "validFrom", "validUntil",
                        "content", "consentRef"})  # the fields a correction's `changes` may give


def _in_changes(problem: Problem) -> Problem:
    """A fault of the corrected record, placed on the input: `changes.<field>` where a change can
    mend it, else `id` (the record itself, e.g. an item no longer in force on its decision date)."""
    head = (problem.field or "").split(".")[0]
    return Problem(f"changes.{problem.field}" if head in CHANGEABLE else "id", problem.reason, problem.code)


async def correct(engine: AsyncEngine, *, profile: JurisdictionProfile, calendar: WorkingDayCalendar,
                  department: str, user: str | None, record_id: int, changes: RecordChanges, reason: str,
                  today: dt.date, now: dt.datetime,
                  channel: SubmissionChannel | str = SubmissionChannel.API) -> tuple[Row | None, list[Problem]]:
    """The provider corrects one of its records (HC-18): the record as corrected, or None and every
    fault (fields as the correction's input names them: `reason`, `id`, `changes.<field>`).

    Validated like a submission; the record's version goes up by one and a RecordVersion keeps
    the new state with the reason (the versions before it keep theirs), with a submission-log
    entry. Anyone but the providing department is refused (NOT_PROVIDER), the credit centre
    included; a refusal changes and logs nothing.
    """
    async with engine.begin() as connection:
        return await correct_in(connection, profile=profile, calendar=calendar, department=department, user=user,
                                record_id=record_id, changes=changes, reason=reason, today=today, now=now,
                                channel=channel)


async def correct_in(connection: AsyncConnection, *, profile: JurisdictionProfile, calendar: WorkingDayCalendar,
                     department: str, user: str | None, record_id: int, changes: RecordChanges, reason: str,
                     today: dt.date, now: dt.datetime, channel: SubmissionChannel | str = SubmissionChannel.API,
                     acting_department: str | None = None, case_id: int | None = None
                     ) -> tuple[Row | None, list[Problem]]:
    """`correct` in the caller's transaction (an objection's step changes the record with the case).

    `department` is whose data the record is: only its provider's. `acting_department` is who
    acts on it when that is not the provider: the credit centre correcting from the provider's
    copy on an objection (HC-29, case `case_id`), logged and versioned as the centre's. Nothing is
    written unless every check passes, so a caller may still refuse its own step afterwards.
    """
    now = utc(now)
    reason_text = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason_text or len(reason_text) > MAX_REASON:
        return None, [Problem("reason", f"1 to {MAX_REASON} characters saying why the record is corrected (HC-18)")]
    actor = acting_department or department
    statement = select(R).where(R.c.id == record_id)
    if connection.dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = (await connection.execute(statement)).one_or_none()
    if row is None:
        return None, [Problem("id", f"no {record_named(record_id)}", ProblemCode.NOT_FOUND)]
    if row.provider_code != department:
        return None, [Problem("id", f"record {record_id} was provided by another department: only the providing "
                                    "department corrects a record (HC-18); nobody else, the credit centre "
                                    "included, changes its content", ProblemCode.NOT_PROVIDER)]
    item = profile.items.get(row.catalogue_item_code)
    checked = check(_merged(row, changes, item), profile=profile, department=department, channel=None,
                     today=today)
    if not checked.problems:
        if checked.columns["document_number"] != row.document_number:
            taken = (await connection.execute(select(R.c.id).where(
                R.c.provider_code == department, R.c.catalogue_item_code == row.catalogue_item_code,
                R.c.document_number == checked.columns["document_number"]))).scalar()
            if taken is not None:
                checked.problems.append(Problem("documentNumber", f"record {taken} already holds document "
                                                f"{checked.columns['document_number']!r} of this item",
                                                ProblemCode.DUPLICATE))
    if checked.problems:
        return None, [_in_changes(p) for p in checked.problems]
    differs = differences(checked.columns, row)
    if not differs:
        return None, [Problem("changes", f"nothing to correct: the changes equal version {row.version} of record "
                                         f"{record_id}", ProblemCode.NO_CHANGE)]
    values = await _corrected_values(connection, profile, calendar, row, item, checked)
    version = row.version + 1
    done = await connection.execute(update(R).where(R.c.id == record_id, R.c.version == row.version).values(
        **values, version=version, updated_at=now))
    if done.rowcount != 1:
        raise Conflict(f"record {record_id} changed while it was being corrected; read it again and retry")
    await _keep_previous_version(connection, row, user)
    new_row = (await connection.execute(select(R).where(R.c.id == record_id))).one()
    await connection.execute(V.insert().values(record_id=record_id, version=version, change="CORRECTED",
                                               reason=reason_text, snapshot=snapshot(new_row._mapping),
                                               changed_by=user or "", changed_at=now))
    before, after = changed_fields(row._mapping, new_row._mapping)
    await append_event(connection, record_id=record_id, subject_code=row.subject_code,
                       kind=RecordEventKind.CORRECTED, effective_on=today, actor_user=user,
                       actor_department=actor, before=before, after=after, case_id=case_id,
                       at=now)
    on_case = {"provider": department, "case_id": case_id} if case_id is not None else {}
    await append_submission_log(connection, user=user, department=actor, action="CORRECT",
                                channel=SubmissionChannel(channel).value, detail={
                                    "record_id": record_id, "version": version, "changed": differs,
                                    "reason": reason_text, **on_case})
    return new_row, []


async def _corrected_values(connection: AsyncConnection, profile: JurisdictionProfile,
                            calendar: WorkingDayCalendar, row: Row, item: CatalogueItem,
                            checked: CheckedSubmission) -> dict[str, Any]:
    subject = (await connection.execute(select(S.c.kind, S.c.ended_on).where(
        S.c.code == row.subject_code))).one()
    _, fact_columns = derived_facts(item, profile, calendar, SubjectKind(subject.kind), subject.ended_on,
                                    checked.columns, submitted_day(row.submitted_at, profile))
    values = {**checked.columns, **fact_columns}
    if checked.columns["decided_on"] == row.decided_on:  # lateness is a fact of the original submission
        for name in ("deadline_on", "deadline_provisional", "late_working_days"):
            values[name] = getattr(row, name)
    return values


async def _keep_previous_version(connection: AsyncConnection, row: Row, user: str | None) -> None:
    """The state being replaced gets its version row if it has none: a record's first change
    keeps version 1, the record as it was stored (`versions_of`)."""
    kept = (await connection.execute(select(V.c.id).where(V.c.record_id == row.id,
                                                          V.c.version == row.version))).scalar()
    if kept is None and row.version == 1:
        await connection.execute(V.insert().values(
            record_id=row.id, version=1, change="CREATED", reason=None, snapshot=snapshot(row._mapping),
            changed_by=row.submitted_by, changed_at=utc(row.submitted_at)))
    elif kept is None:  # not written by this gateway: keep what there is, saying so
        await connection.execute(V.insert().values(
            record_id=row.id, version=row.version, change="CORRECTED",
            reason="kept at the next correction: this version had no snapshot", snapshot=snapshot(row._mapping),
            changed_by=user or "", changed_at=utc(row.updated_at)))


async def record_versions(engine: AsyncEngine, record_ids: list[int]) -> list[list[Row]]:
    """Each record's stored versions, oldest first, in one query (a dataloader's batch function);
    `versions_of` adds the version a record that never changed is."""
    async with engine.connect() as connection:
        rows = (await connection.execute(select(V).where(V.c.record_id.in_(set(record_ids))).order_by(
            V.c.record_id, V.c.version))).all()
    by_record: dict[int, list[Row]] = {}
    for row in rows:
        by_record.setdefault(row.record_id, []).append(row)
    return [by_record.get(i, []) for i in record_ids]


class _Unchanged(namedtuple("_Unchanged", "version change reason changed_by changed_at snapshot")):
    """Version 1 of a record that has not changed since it was stored: the record itself."""


_SNAPSHOT_COLUMNS = [c.name for c in R.columns]


def versions_of(record: Row, stored: list[Row]) -> list:
    """Every version of a record, oldest first (HC-18).

    Version rows are written when a record changes (the state replaced is kept then, and the new
    one with its reason), not when it is stored: until then its only version is the record row
    itself, and writing a copy of every record at submission would double an import's writes.
    """
    if stored:
        return stored
    row = record._mapping
    return [_Unchanged(1, "CREATED", None, record.submitted_by, record.submitted_at,
                       snapshot({c: row[c] for c in _SNAPSHOT_COLUMNS}))]


