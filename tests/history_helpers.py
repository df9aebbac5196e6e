"""Helpers of the history and provider-event tests: records of any catalogue item submitted
through the API by their provider, on a chosen day (an app per day), and the rows behind them."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools

import httpx
from sqlalchemy import select, update

from domain.catalogue import load_profile
from domain.clock import CHINA
from resolvers.node_ids import NodeKind, global_id
from store.models import Record
from tests import world
from tests.conftest import app_for, graphql, make_token, row_number

PROFILE = load_profile("huancui")
org = functools.partial(world.org_code, series="HY")  # this lane's subjects, met by no other test


def person(serial: int) -> str:
    from domain.identifiers import resident_id_check_char

    body = f"37100219880808{serial:03d}"
    return body + resident_id_check_char(body)


def officer(department: str, user: str | None = None) -> str:
    return make_token(user=user or f"hist-{department.lower()}", department=department, roles=["officer"])


@contextlib.asynccontextmanager
async def client_on(engine, day: dt.date):
    """A client of an app whose clock stands at noon of `day` in Beijing: what it stores on that day
    (submitted_at, events) and what it reads agree on the day."""
    app = app_for(engine, now=dt.datetime.combine(day, dt.time(12), tzinfo=CHINA).astimezone(dt.timezone.utc))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


SUBMIT = """
mutation($records: [RecordInput!]!) { submitRecords(input: {records: $records, mode: ALL_OR_NOTHING}) {
  result { outcomes { recordId status errors { field message } } } errors { message } } }
"""


def record_input(item_code: str, subject: str, serial: int, decided_on: str, **extra) -> dict:
    item = PROFILE.items[item_code]
    content = {f.name: world.sample_value(f, serial) for f in item.fields if f.required}
    return {"subjectCode": subject, "subjectName": f"历史测试主体{serial}", "catalogueItem": item_code,
            "documentNumber": f"HS-{item_code}-{serial}", "issuingAuthority": "环翠区某局", "decidedOn": decided_on,
            "content": content, **extra}


async def submit(client, department: str, record: dict) -> str:
    body = await graphql(client, SUBMIT, {"records": [record]}, token=officer(department))
    outcome = body["data"]["submitRecords"]["result"]["outcomes"][0]
    assert outcome["status"] == "STORED", body
    return global_id(NodeKind.RECORD, int(outcome["recordId"]))


async def make_ongoing(engine, record_id: str) -> None:
    """A bad act still going on has no end (SPEC 3.2): a submission without actEndedOn gives that once
    the periods lane's rule is in; until then it took the decision date, put back here."""
    async with engine.begin() as connection:
        await connection.execute(update(Record.__table__).where(Record.__table__.c.id == row_number(record_id))
                                 .values(act_ended_on=None, disclosure_ends_on=None))


async def record_row(engine, record_id: str):
    async with engine.connect() as connection:
        return (await connection.execute(select(Record.__table__).where(
            Record.__table__.c.id == row_number(record_id)))).one()
