"""Taking an objection's steps through HTTP, for either profile, driven by its transition table
(domain/workflows.objection_workflow): which mutation takes each step, which token is the step's
own party, and a path of steps from filing to any state. Used by the objection test modules.
"""

from __future__ import annotations

import datetime as dt
from collections import deque

import httpx

from domain.catalogue import ObjectionDeadlines
from domain.enums import CaseParty
from domain.workflows import Step, Workflow, objection_workflow
from store.bootstrap import initialise
from store.engine import create_engine
from store.models import Notification, RecordEvent, SubmissionLogEntry
from tests import world
from tests.conftest import app_for, graphql, make_token, scratch_url
from tests.test_cases import OPERATOR, SCJG, count, payload
from tests.test_objections import COMPARE, DECIDE, DISPUTE, FILE, FORWARD, NOTIFY, WITHDRAW

ITEMS = {"huancui": ("HC-13-6-PENALTY", "威海市环翠区异议步骤测试{n}有限公司", "威环市监罚〔2026〕OS{n}号"),
         "xinzheng": ("XZ-7-12-PENALTY", "新郑市异议步骤测试{n}有限公司", "新市监罚〔2026〕OS{n}号")}
SERIES = {"huancui": "QH", "xinzheng": "QX"}  # these modules' own subjects, on their own databases


def table(profile: str) -> Workflow:
    """The profile's objection table with its shipped numbers (3, 15, 2 working days)."""
    return objection_workflow(profile, ObjectionDeadlines(3, 15, 2, False, False))


async def profile_engine(backend: str, tmp_path_factory, name: str, profile: str):
    """A database of this module's own, on `profile`'s catalogue (no other test adds a calendar year to it)."""
    url = await scratch_url(backend, tmp_path_factory.mktemp(name), name)
    engine = create_engine(url)
    await initialise(engine, profile)
    return engine


def on(engine, today: dt.date, profile: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(engine, today=today, profile=profile)),
                             base_url="http://gateway")


def subject(profile: str, serial: int) -> str:
    return world.org_code(serial, series=SERIES[profile])


def subject_token(profile: str, serial: int) -> str:
    return make_token(user=f"os-{profile}-{serial}", subject=subject(profile, serial))


def penalty(profile: str, serial: int, decided_on: str = "2026-09-21") -> dict:
    item, name, document = ITEMS[profile]
    return {"subjectCode": subject(profile, serial), "subjectName": name.format(n=serial), "catalogueItem": item,
            "documentNumber": document.format(n=serial), "issuingAuthority": "市场监督管理局",
            "decidedOn": decided_on, "content": {"violation": f"异议步骤测试违法事实{serial}", "legalBasis": "《食品安全法》",
                                                 "penaltyKind": "罚款", "fineAmount": "3000.00"}}


# Each step's mutation and a valid input for it (the case's id filled in).
CALLS: dict[str, tuple[str, str, dict]] = {
    "differs": (COMPARE, "compareObjection", {"outcome": "DIFFERS", "note": "平台数据与报送单位不一致",
                                              "correction": {"content": {"fineAmount": "300.00"}}}),
    "same": (COMPARE, "compareObjection", {"outcome": "SAME", "note": "一致"}),
    "forward": (FORWARD, "forwardObjection", {}),
    "uphold": (DECIDE, "decideObjection", {"decision": "UPHELD", "reason": "经核查金额有误",
                                           "correction": {"content": {"fineAmount": "2000.00"}}}),
    "reject": (DECIDE, "decideObjection", {"decision": "REJECTED", "reason": "记载无误"}),
    "notify_upheld": (NOTIFY, "notifyObjectionResult", {"letterReference": "异议复函〔2026〕1号"}),
    "notify_rejected": (NOTIFY, "notifyObjectionResult", {"letterReference": "异议复函〔2026〕2号"}),
    "withdraw": (WITHDRAW, "withdrawObjection", {}),
    "dispute": (DISPUTE, "disputeObjectionResult", {"statement": "仍有异议"}),
}
# The steps one mutation call may take (the notice takes whichever result the case has).
SAME_CALL = {"notify_upheld": ("notify_upheld", "notify_rejected"), "notify_rejected": ("notify_upheld",
                                                                                        "notify_rejected")}


def own_token(step: Step, profile: str, serial: int) -> str:
    """The token of the party the table names for `step`."""
    return {CaseParty.SUBJECT: subject_token(profile, serial), CaseParty.CENTRE: OPERATOR,
            CaseParty.PROVIDER: SCJG}[step.actor]


async def take(client, step_name: str, case_id: str, token: str) -> dict:
    """One step's mutation; its payload (or, refused outright, the whole answer)."""
    query, field, values = CALLS[step_name]
    body = await graphql(client, query, {"i": {"caseId": case_id, **values}}, token=token)
    return body if body.get("data") is None else payload(body, field)


async def file(client, record_id: str, profile: str, serial: int, statement: str = "罚款金额记载错误") -> dict:
    body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "ERROR_OR_OMISSION",
                                               "statement": statement}}, token=subject_token(profile, serial))
    return payload(body, "fileObjection")


def path_to(workflow: Workflow, state: str) -> list[Step]:
    """The shortest run of steps from filing to `state` (breadth first over the table)."""
    opening = workflow.opening
    queue, seen = deque([(opening.to_state, [])]), {opening.to_state}
    while queue:
        at, steps = queue.popleft()
        if at == state:
            return steps
        for step in workflow.steps:
            if step.from_state == at and step.to_state not in seen:
                seen.add(step.to_state)
                queue.append((step.to_state, [*steps, step]))
    raise AssertionError(f"{state} cannot be reached in {workflow.article}")


async def case_in(client, profile: str, serial: int, state: str, submitter: str = SCJG) -> tuple[str, dict]:
    """A new record of `serial`'s subject with an objection driven to `state`; the record's id and the case."""
    from tests.test_cases import submit

    record_id = await submit(client, penalty(profile, serial), submitter)
    case = (await file(client, record_id, profile, serial))["case"]
    for step in path_to(table(profile), state):
        done = await take(client, step.name, case["id"], own_token(step, profile, serial))
        assert done.get("errors") == [], (step.name, done)
        case = done["case"]
    assert case["state"] == state
    return record_id, case


async def traces(engine, case_number: int) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """What the case's steps left: its events' kinds, the notifications' (kind, recipient party), the
    submission-log actions naming the case; each in order."""
    from sqlalchemy import select

    async with engine.connect() as connection:
        events = (await connection.execute(select(RecordEvent.kind).where(RecordEvent.case_id == case_number)
                                           .order_by(RecordEvent.id))).scalars().all()
        notes = (await connection.execute(select(Notification.kind, Notification.recipient_party)
                                          .where(Notification.case_id == case_number)
                                          .order_by(Notification.id))).all()
        logged = (await connection.execute(select(SubmissionLogEntry.action, SubmissionLogEntry.detail)
                                           .order_by(SubmissionLogEntry.seq))).all()
    return (list(events), [(n.kind, n.recipient_party) for n in notes],
            [a for a, d in logged if (d or {}).get("case_id") == case_number])

