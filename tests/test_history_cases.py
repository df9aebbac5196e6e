"""`asOf` across the case steps and the sweeper (SPEC 3.4): the day before credit repair, a revocation
report or an archive, `record(id, asOf)` and `subject(code, asOf)` answer ACTIVE; on and after
it, REPAIRED, REVOKED, ARCHIVED. Each step's event carries the record columns it changed
(`status`, `statusChangedOn`), which is what the replay puts back.

A database of its own per backend (the sweeper applies every date due in the database it runs on).
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from sqlalchemy import update

from domain.catalogue import load_profile
from store.models import Record
from store.sweep import sweep
from tests import world
from tests.conftest import graphql, make_token, row_number
from tests.history_helpers import client_on, officer, record_input, submit
from tests.sweep_world import fresh

PROFILE = load_profile("huancui")
PENALTY = "HC-13-6-PENALTY"  # BAD, PUBLIC, repairable after 3 months of publicity; SCJG provides it
DAY = dt.timedelta(days=1)
org = functools.partial(world.org_code, series="LE")

RECORD = """query($id: ID!, $asOf: Date) { record(id: $id, asOf: $asOf) { status archivedOn
  events(first: 20) { nodes { kind effectiveOn before after } } } }"""
SUBJECT = """query($code: ID!, $asOf: Date) { subject(code: $code, asOf: $asOf) {
  records(status: null, first: 10) { edges { node { status archivedOn } } } } }"""
CERTIFY = "mutation($i: CertifyRepairInput!) { certifyRepair(input: $i) { errors { code message } } }"
CORRECT = "mutation($i: CorrectRecordInput!) { correctRecord(input: $i) { errors { code message } } }"
VERSIONS = "query($id: ID!, $asOf: Date) { record(id: $id, asOf: $asOf) { version versions { version change } } }"
REPORT = "mutation($i: ReportRevocationInput!) { reportRevocation(input: $i) { errors { code message } } }"


@pytest.fixture(scope="module")
async def own_engine(backend, tmp_path_factory):
    engine = await fresh(backend, tmp_path_factory.mktemp("history-cases"), "history_cases")
    yield engine
    await engine.dispose()


def subject_token(code: str) -> str:
    return make_token(user=f"le-{code[-4:]}", subject=code)


async def as_of(engine, today: dt.date, record_id: str, code: str, day: dt.date) -> tuple[dict, list]:
    """The record and the subject's records (every status) as the subject is answered on `today` about `day`."""
    token = subject_token(code)
    async with client_on(engine, today) as client:
        record = await graphql(client, RECORD, {"id": record_id, "asOf": day.isoformat()}, token=token)
        subject = await graphql(client, SUBJECT, {"code": code, "asOf": day.isoformat()}, token=token)
    assert "errors" not in record and "errors" not in subject, (record, subject)
    return record["data"]["record"], [e["node"] for e in subject["data"]["subject"]["records"]["edges"]]


async def penalty(engine, serial: int, decided_on: dt.date) -> str:
    """A penalty of subject `serial`, submitted by SCJG on the day of its decision, the act ended then."""
    async with client_on(engine, decided_on) as client:
        return await submit(client, "SCJG", record_input(PENALTY, org(serial), serial, decided_on.isoformat(),
                                                         actEndedOn=decided_on.isoformat()))


async def provider_step(engine, day: dt.date, mutation: str, name: str, values: dict) -> None:
    """The provider's case step on `day`, which must succeed."""
    async with client_on(engine, day) as client:
        body = await graphql(client, mutation, {"i": values}, token=officer("SCJG"))
    assert body["data"][name]["errors"] == [], body


def step(record: dict, kind: str) -> dict:
    return next(e for e in record["events"]["nodes"] if e["kind"] == kind)


async def test_as_of_shows_a_record_active_the_day_before_its_repair_and_repaired_from_it(own_engine):
    code, repaired_on = org(1), dt.date(2026, 9, 8)
    record_id = await penalty(own_engine, 1, dt.date(2026, 6, 1))
    await provider_step(own_engine, repaired_on, CERTIFY, "certifyRepair",
                        {"recordId": record_id, "document": "信用修复证明LE1"})

    before, listed_before = await as_of(own_engine, repaired_on + 3 * DAY, record_id, code, repaired_on - DAY)
    on, listed_on = await as_of(own_engine, repaired_on + 3 * DAY, record_id, code, repaired_on)
    assert before["status"] == "ACTIVE" and [r["status"] for r in listed_before] == ["ACTIVE"]
    assert on["status"] == "REPAIRED" and [r["status"] for r in listed_on] == ["REPAIRED"]
    repaired = step(on, "REPAIRED")
    assert (repaired["before"], repaired["after"]) == (
        {"status": "ACTIVE", "statusChangedOn": None}, {"status": "REPAIRED", "statusChangedOn": "2026-09-08"})
    assert [e["kind"] for e in before["events"]["nodes"]] == ["SUBMITTED"], "read asOf: the events by then"


async def test_as_of_shows_a_record_active_the_day_before_its_revocation_report_and_revoked_from_it(own_engine):
    code, reported_on = org(2), dt.date(2026, 9, 10)
    record_id = await penalty(own_engine, 2, dt.date(2026, 9, 1))
    await provider_step(own_engine, reported_on, REPORT, "reportRevocation",
                        {"recordId": record_id, "revokedOn": "2026-09-09", "document": "撤销书LE2"})

    before, listed_before = await as_of(own_engine, reported_on + DAY, record_id, code, reported_on - DAY)
    on, listed_on = await as_of(own_engine, reported_on + DAY, record_id, code, reported_on)
    assert before["status"] == "ACTIVE" and [r["status"] for r in listed_before] == ["ACTIVE"]
    assert on["status"] == "REVOKED" and [r["status"] for r in listed_on] == ["REVOKED"]
    reported = step(on, "REVOCATION_REPORTED")
    assert reported["before"] == {"status": "ACTIVE", "statusChangedOn": None}
    assert reported["after"] == {"status": "REVOKED", "statusChangedOn": "2026-09-10", "revokedOn": "2026-09-09"}
    async with client_on(own_engine, reported_on + DAY) as client:  # the public, that day and the day before
        public = [(await graphql(client, RECORD.replace("events(first: 20) { nodes { kind effectiveOn before after } }",
                                                        ""), {"id": record_id, "asOf": day.isoformat()}))
                  ["data"]["record"] for day in (reported_on - DAY, reported_on)]
    assert public[0] is not None and public[0]["status"] == "ACTIVE" and public[1] is None


async def test_as_of_shows_a_record_active_until_its_period_ended_and_archived_after_the_sweep(own_engine):
    code, ended = org(3), dt.date(2026, 10, 1)
    record_id = await penalty(own_engine, 3, dt.date(2026, 6, 1))
    async with own_engine.begin() as connection:  # a period ending soon (how a record gets it: the periods lane)
        await connection.execute(update(Record.__table__).where(Record.__table__.c.id == row_number(record_id))
                                 .values(disclosure_ends_on=ended, publicity_ends_on=None))
    await sweep(own_engine, PROFILE, ended + 10 * DAY)

    before, listed_before = await as_of(own_engine, ended + 10 * DAY, record_id, code, ended)
    after, listed_after = await as_of(own_engine, ended + 10 * DAY, record_id, code, ended + DAY)
    assert (before["status"], before["archivedOn"]) == ("ACTIVE", None)
    assert [(r["status"], r["archivedOn"]) for r in listed_before] == [("ACTIVE", None)]
    assert (after["status"], after["archivedOn"]) == ("ARCHIVED", "2026-10-02")
    assert [(r["status"], r["archivedOn"]) for r in listed_after] == [("ARCHIVED", "2026-10-02")]
    archived = step(after, "ARCHIVED")
    assert (archived["effectiveOn"], archived["before"], archived["after"]) == (
        "2026-10-02", {"status": "ACTIVE", "statusChangedOn": None},
        {"status": "ARCHIVED", "statusChangedOn": "2026-10-02"})


async def test_versions_read_as_of_a_day_are_those_that_existed_that_day(own_engine):
    code, corrected_on = org(4), dt.date(2026, 9, 15)
    record_id = await penalty(own_engine, 4, dt.date(2026, 9, 1))
    await provider_step(own_engine, corrected_on, CORRECT, "correctRecord", {"id": record_id, "reason": "金额更正",
                        "changes": {"content": {"fineAmount": "4500.00"}}})
    shown = {}
    async with client_on(own_engine, corrected_on + DAY) as client:
        for day in (corrected_on - DAY, corrected_on, None):
            body = await graphql(client, VERSIONS, {"id": record_id, "asOf": day and day.isoformat()},
                                 token=subject_token(code))
            record = body["data"]["record"]
            shown[day] = (record["version"], [(v["version"], v["change"]) for v in record["versions"]])
    assert shown[corrected_on - DAY] == (1, [(1, "CREATED")]), "the day before: the correction's version did not exist"
    assert shown[corrected_on] == shown[None] == (2, [(1, "CREATED"), (2, "CORRECTED")])
