"""creditCheck and creditChecks (issue 17, SPEC 3.5; HC-24..26, XZ-21): one answer per subject for an
approval system, under the same access as any query, with hints from the profile's rules and a receipt.

A batch of up to `MAX_CODES` subjects costs a fixed number of statements whatever its size: the
subjects, the persons the reader may see, the records (active BAD and GOOD records within the
reader's scope, `resolvers.scope`), their open annotations; with `asOf`, the events replayed
(`resolvers.history`) instead of the live columns. Invalid codes are answered per code and never
fail the batch. Each subject's answer is hashed as canonical JSON and gets a receipt
(`resolvers.receipts`) kept in the request's chained query-log entry.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select

from domain.catalogue import JurisdictionProfile
from domain.credit_rules import CheckedRecord, CreditRules, Hint, HintAction, RulesFollower, evaluate, verdict
from domain.enums import Category, Purpose, RecordStatus, SubjectKind
from domain.identifiers import mask_resident_id
from resolvers import history
from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from resolvers.loaders import _OPEN_ANNOTATIONS
from resolvers.node_ids import NodeKind, global_id
from resolvers.receipts import Receipt, canonical_json, issue_receipt
from resolvers.scope import live, scope_filter, status_filter
from resolvers.subjects import _seen, parse_subject_code
from store.models import Record
from store.record_events import events_after, subject_state_on

R = Record.__table__
MAX_CODES = 500
USED = (Category.BAD.value, Category.GOOD.value)  # the categories a check answers and its rules look at
OBJECTION_OPEN = "OBJECTION_OPEN"

_followers: dict[int, RulesFollower] = {}


def rules_follower(profile: JurisdictionProfile) -> RulesFollower:
    """The process's follower of the profile's rules file (made, and validated, on first use: at start-up)."""
    follower = _followers.get(id(profile))
    if follower is None or follower.profile is not profile:
        follower = _followers[id(profile)] = RulesFollower(profile)
    return follower


def current_rules(ctx: RequestContext) -> CreditRules:
    return rules_follower(ctx.profile).current()


@lru_cache(maxsize=256)
def _live_records(scope, today: dt.date):
    """Active BAD and GOOD records of some subjects the reader may use today: one statement, built once."""
    return (select(R).where(R.c.subject_code.in_(bindparam("codes", expanding=True)), R.c.category.in_(USED),
                            live(today), scope_filter(scope, today))
            .order_by(R.c.subject_code, R.c.decided_on.desc(), R.c.id.desc()))


@dataclass
class CodeProblem:
    """A code of the batch that is not a subject code (HC-7): its position, and what is wrong."""

    index: int
    code: str
    fault: str
    message: str


@dataclass
class CheckAnswer:
    """One subject's check: what the schema renders, the canonical answer and its receipt."""

    code: str
    subject: Any  # the subject's row (as of the day), or None: unknown, or a person the reader may not see
    purpose: Purpose
    as_of: dt.date
    live: bool  # asked without asOf: the records are today's
    bad: list
    good: list
    annotations: dict[int, list]  # record id -> open annotations
    hints: list[Hint]
    verdict: HintAction
    withheld: list[tuple[str, list[str]]]  # (visibility class, catalogue items) the reader may not use
    rules: CreditRules
    answer: dict = field(default_factory=dict)
    receipt: Receipt | None = None

    @property
    def answer_json(self) -> str:
        return canonical_json(self.answer)


def _check_purpose(ctx: RequestContext, purpose: Purpose) -> None:
    """The rules follow the `purpose` argument; access follows X-Query-Purpose: they must agree."""
    if ctx.purpose is not None and ctx.purpose != purpose:
        raise BadUserInput(f"purpose {purpose.value} differs from X-Query-Purpose {ctx.purpose.value}: a check is "
                           "made and logged for one purpose (HC-23, XZ-18); send the same in both", argument="purpose")


async def credit_checks(ctx: RequestContext, codes: list[str], purpose: Purpose,
                        as_of: dt.date | None) -> list[CheckAnswer | CodeProblem]:
    """Every code's answer, in the order asked: a check, or the problem with the code."""
    if len(codes) > MAX_CODES:
        raise BadUserInput(f"codes has {len(codes)} entries; at most {MAX_CODES} per check", argument="codes")
    _check_purpose(ctx, purpose)
    day = history.check_as_of(ctx, as_of) if as_of is not None else ctx.today
    answers: list[CheckAnswer | CodeProblem | str] = []
    for index, code in enumerate(codes):
        try:
            answers.append(parse_subject_code(code))
        except BadUserInput as exc:
            ext = exc.extensions or {}
            answers.append(CodeProblem(index, _shown_raw(code), str(ext.get("fault") or "INVALID"), exc.message))
    valid = sorted({a for a in answers if isinstance(a, str)})
    checks = await _checks(ctx, valid, purpose, day, as_of is None) if valid else {}
    return [checks[a] if isinstance(a, str) else a for a in answers]


async def credit_check(ctx: RequestContext, code: str, purpose: Purpose, as_of: dt.date | None) -> CheckAnswer:
    """One subject's check; an invalid code is a BAD_USER_INPUT error naming the fault (HC-7)."""
    _check_purpose(ctx, purpose)
    parsed = parse_subject_code(code)
    day = history.check_as_of(ctx, as_of) if as_of is not None else ctx.today
    return (await _checks(ctx, [parsed], purpose, day, as_of is None))[parsed]


def _shown_raw(code: Any) -> str:
    text = code if isinstance(code, str) else repr(code)
    text = text[:40]
    return mask_resident_id(text) if len(text) == 18 and text[:17].isdigit() else text


async def _subjects(ctx: RequestContext, codes: list[str], day: dt.date, today: bool) -> dict[str, Any]:
    rows = await _seen(ctx, list(await ctx.loaders.subject.load_many(codes)))
    found = {code: row for code, row in zip(codes, rows)}
    if today:
        return found
    end = history.day_end(ctx, day)
    known = [code for code, row in found.items() if row is not None and row.created_at < end]
    later: dict[str, list] = defaultdict(list)
    if known:
        async with ctx.engine.connect() as connection:
            for event in await connection.execute(events_after(subject_codes=known, day=day)):
                later[event.subject_code].append(event)
    return {code: history.AsOfRow(subject_state_on(found[code]._mapping, later[code]))
            if code in known else None for code in codes}


async def _records(ctx: RequestContext, codes: list[str], day: dt.date, today: bool) -> tuple[list, dict[int, list]]:
    """The records a check uses, and the open annotations on them (record id -> rows)."""
    if today:
        async with ctx.engine.connect() as connection:
            rows = list((await connection.execute(_live_records(ctx.scope, day), {"codes": codes})).all())
            notes = (await connection.execute(_OPEN_ANNOTATIONS, {"ids": [r.id for r in rows]})).all() if rows else []
        annotations: dict[int, list] = defaultdict(list)
        for note in notes:
            annotations[note.record_id].append(note)
        return rows, dict(annotations)
    states = await history._replayed(ctx, day, subject_codes=codes)
    records = history._as_of_records(ctx, day, states)
    statement = (select(records).where(
        records.c.subject_code.in_(codes), records.c.category.in_(USED),
        history._pointed_at(status_filter(RecordStatus.ACTIVE, day), records),
        history._pointed_at(scope_filter(ctx.scope, day), records))
        .order_by(records.c.subject_code, records.c.decided_on.desc(), records.c.id.desc()))
    async with ctx.engine.connect() as connection:
        rows = [history._with_content(row, states) for row in (await connection.execute(statement)).all()]
    found = await history.history_loaders(ctx).annotations.load_many([(r.id, day) for r in rows]) if rows else []
    return rows, {r.id: list(notes) for r, notes in zip(rows, found) if notes}


def withheld_items(ctx: RequestContext, code: str, kind: str) -> list[tuple[str, list[str]]]:
    """The (class, items) of BAD and GOOD catalogue items for this kind of subject that the reader may
    not use for it (its own department's records aside): named from the catalogue, never from the
    subject's records, so the list reveals nothing about what the subject has."""
    scope = ctx.scope
    if scope.all_records:
        return []
    right = scope.right_for(code)
    closed: dict[str, list[str]] = defaultdict(list)
    for item in ctx.profile.items_for(SubjectKind(kind)):
        if item.category.value not in USED:
            continue
        cls = item.visibility_for(SubjectKind(kind)).value
        if scope.general.covers(cls, item.code) or (right is not None and right.pairs.covers(cls, item.code)):
            continue
        closed[cls].append(item.code)
    return sorted((cls, sorted(items)) for cls, items in closed.items())


def _checked(row, annotations: dict[int, list]) -> CheckedRecord:
    return CheckedRecord(id=row.id, item=row.catalogue_item_code, category=row.category, severity=row.severity,
                         decided_on=row.decided_on, act_ended_on=row.act_ended_on, content=row.content or {},
                         under_objection=any(a.kind == OBJECTION_OPEN for a in annotations.get(row.id, [])))


async def _checks(ctx: RequestContext, codes: list[str], purpose: Purpose, day: dt.date,
                  today: bool) -> dict[str, CheckAnswer]:
    rules = current_rules(ctx)
    ctx.observed.records_read = True
    subjects = await _subjects(ctx, codes, day, today)
    shown = [code for code in codes if subjects[code] is not None]
    rows, annotations = await _records(ctx, shown, day, today) if shown else ([], {})
    by_subject: dict[str, list] = defaultdict(list)
    for row in rows:
        by_subject[row.subject_code].append(row)
    withheld_by_kind: dict[str, list] = {}
    checks = {}
    for code in codes:
        subject = subjects[code]
        mine = by_subject.get(code, [])
        hints = evaluate(rules, purpose, [_checked(r, annotations) for r in mine], day)
        kind = subject.kind if subject is not None else (SubjectKind.NATURAL_PERSON.value if code[:17].isdigit()
                                                         else SubjectKind.ORGANISATION.value)
        if ctx.scope.right_for(code) is None:
            withheld = withheld_by_kind.get(kind)
            if withheld is None:
                withheld = withheld_by_kind[kind] = withheld_items(ctx, code, kind)
        else:
            withheld = withheld_items(ctx, code, kind)
        check = CheckAnswer(code=code, subject=subject, purpose=purpose, as_of=day, live=today,
                            bad=[r for r in mine if r.category == Category.BAD.value],
                            good=[r for r in mine if r.category == Category.GOOD.value],
                            annotations={r.id: annotations[r.id] for r in mine if r.id in annotations},
                            hints=hints, verdict=verdict(hints), withheld=withheld, rules=rules)
        check.answer = _answer(ctx, check)
        check.receipt = issue_receipt(ctx.observed, code, check.answer)
        checks[code] = check
        ctx.observed.record_ids.update(r.id for r in mine)
    ctx.observed.subjects.update(codes)
    return checks


# ------------------------------------------------------------------------------- canonical answer


def shown_code(ctx: RequestContext, code: str) -> str:
    """The code as this reader is shown it: a person's masked unless it may see its personal data (SPEC 3.1)."""
    person = code[:17].isdigit()
    return mask_resident_id(code) if person and not ctx.scope.sees_personal_data_of(code) else code


def _record_answer(row) -> dict:
    return {"record": global_id(NodeKind.RECORD, row.id), "item": row.catalogue_item_code,
            "category": row.category, "severity": row.severity, "visibility": row.visibility,
            "decidedOn": row.decided_on, "actEndedOn": row.act_ended_on, "provider": row.provider_code,
            "documentNumber": row.document_number}


def _answer(ctx: RequestContext, check: CheckAnswer) -> dict[str, Any]:
    """The answer as hashed (canonical JSON, `resolvers.receipts`): what the approver was told, with the
    rules' version, so a receipt proves both."""
    return {
        "subject": {"code": shown_code(ctx, check.code), "id": ctx.subject_ids.id_of(check.code),
                    "known": check.subject is not None},
        "purpose": check.purpose.value, "asOf": check.as_of, "checkedAt": ctx.now,
        "profile": check.rules.profile_code, "rulesVersion": check.rules.version,
        "bad": [_record_answer(r) for r in check.bad], "good": [_record_answer(r) for r in check.good],
        "annotations": [{"record": global_id(NodeKind.RECORD, rid), "kind": a.kind, "since": a.created_at}
                        for rid, rows in sorted(check.annotations.items()) for a in rows],
        # each rule's reasons and source are the rules file's, which `rulesVersion` names
        "hints": [{"rule": h.rule.code, "action": h.action.value,
                   "records": [global_id(NodeKind.RECORD, i) for i in h.record_ids],
                   "cappedByObjection": h.capped_by_objection} for h in check.hints],
        "verdict": check.verdict.value,
        "withheld": [{"visibility": cls, "items": items} for cls, items in check.withheld],
    }


__all__ = ["MAX_CODES", "CheckAnswer", "CodeProblem", "credit_check", "credit_checks", "current_rules",
           "rules_follower", "withheld_items", "shown_code"]
