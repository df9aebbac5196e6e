"""History and asOf over HTTP (SPEC 3.4): `record(id, asOf)` and `subject(code, asOf)` answer what the
platform answered that day, a day before and on the day of each event (submission, correction, act
ended, cancellation, subject ended), under today's access rules; `CreditRecord.events` lists the
steps for the provider, the subject and auditors only.

One organisation's life, each step taken by an app whose clock stands on the step's day:
  2026-03-02 SCJG submits its registration, a penalty (act still going on) and an honour
  2026-04-01 SCJG corrects the penalty's fine
  2026-05-06 SCJG reports the penalty's act ended on 2026-04-30
  2026-06-01 SCJG cancels the honour, from that day
  2026-07-01 SCJG reports the organisation deregistered on 2026-06-30
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from store.models import QueryLogEntry, RecordEvent
from tests.conftest import graphql, make_token, row_number
from tests.history_helpers import client_on, make_ongoing, officer, org, record_input, record_row, submit

CODE = org(200)
SUBMITTED, CORRECTED, ACT_ENDED, CANCELLED, ENDED = (dt.date(2026, 3, 2), dt.date(2026, 4, 1), dt.date(2026, 5, 6),
                                                     dt.date(2026, 6, 1), dt.date(2026, 7, 1))
READ_ON = dt.date(2026, 11, 20)
DAY = dt.timedelta(days=1)
SCJG = officer("SCJG")
AUDITOR = make_token(user="hist-auditor", department="FGJ", roles=["auditor"])
SUBJECT = make_token(user="hist-self", subject=CODE)

RECORD = """
query($id: ID!, $asOf: Date) { record(id: $id, asOf: $asOf) {
  id status actEndedOn disclosureEndsOn version details { name value } subject { status endedOn } } }
"""
SUBJECT_RECORDS = """
query($code: ID!, $asOf: Date) { subject(code: $code, asOf: $asOf) {
  status endedOn
  records(status: null, first: 10) { totalCount nodes { id status disclosureEndsOn catalogueItem { code } } } } }
"""
EVENTS = """
query($id: ID!, $asOf: Date) { record(id: $id, asOf: $asOf) {
  events(first: 10) { nodes { kind effectiveOn actorDepartment { code } documentRef before after }
                      pageInfo { hasNextPage endCursor } } } }
"""
CORRECT = """
mutation($id: ID!) { correctRecord(input: {id: $id, changes: {content: {fineAmount: "9999"}}, reason: "金额录错"}) {
  errors { message } } }
"""


@pytest.fixture(scope="module")
async def life(engine):
    """The organisation's life above; the ids of its three records."""
    async with client_on(engine, SUBMITTED) as client:
        registration = await submit(client, "SCJG", record_input("HC-10-1-REGISTRATION", CODE, 200, "2020-05-06"))
        penalty = await submit(client, "SCJG", record_input("HC-13-6-PENALTY", CODE, 201, "2026-02-27"))
        honour = await submit(client, "SCJG", record_input("HC-12-1-HONOUR", CODE, 202, "2026-02-27"))
    await make_ongoing(engine, penalty)
    async with client_on(engine, CORRECTED) as client:
        assert (await graphql(client, CORRECT, {"id": penalty}, token=SCJG))["data"]["correctRecord"]["errors"] == []
    await make_ongoing(engine, penalty)  # a correction defaults the end too, until the periods lane's rule
    async with client_on(engine, ACT_ENDED) as client:
        body = await graphql(client, """mutation($id: ID!) { reportActEnded(input: {recordId: $id, endedOn: "2026-04-30",
            document: "环市监终〔2026〕201号"}) { errors { message } } }""", {"id": penalty}, token=SCJG)
        assert body["data"]["reportActEnded"]["errors"] == [], body
    async with client_on(engine, CANCELLED) as client:
        body = await graphql(client, """mutation($id: ID!) { cancelRecord(input: {recordId: $id, cancelledOn: "2026-06-01",
            document: "环市监撤奖〔2026〕202号"}) { errors { message } } }""", {"id": honour}, token=SCJG)
        assert body["data"]["cancelRecord"]["errors"] == [], body
    async with client_on(engine, ENDED) as client:
        body = await graphql(client, """mutation($code: ID!) { reportSubjectEnded(input: {code: $code,
            endedOn: "2026-06-30", document: "环市监注销〔2026〕200号"}) { errors { message } } }""", {"code": CODE},
                             token=SCJG)
        assert body["data"]["reportSubjectEnded"]["errors"] == [], body
    return {"registration": registration, "penalty": penalty, "honour": honour}


async def read(engine, query: str, variables: dict, token=SCJG, on: dt.date = READ_ON) -> dict:
    async with client_on(engine, on) as client:
        body = await graphql(client, query, variables, token=token)
    assert not [e for e in body.get("errors", []) if e["extensions"]["code"] != "PURPOSE_REQUIRED"], body
    return body["data"]


async def record_on(engine, record_id: str, day: dt.date | None, token=SCJG) -> dict | None:
    return (await read(engine, RECORD, {"id": record_id, "asOf": day and day.isoformat()}, token))["record"]


async def test_every_write_appended_its_event(engine, life):
    async with engine.connect() as connection:
        rows = (await connection.execute(select(RecordEvent.__table__).where(RecordEvent.subject_code == CODE)
                                         .order_by(RecordEvent.id))).all()
    seen = [(r.record_id, r.kind, r.effective_on) for r in rows]
    ids = {name: row_number(value) for name, value in life.items()}
    assert seen == [(ids["registration"], "SUBMITTED", SUBMITTED), (ids["penalty"], "SUBMITTED", SUBMITTED),
                    (ids["honour"], "SUBMITTED", SUBMITTED), (ids["penalty"], "CORRECTED", CORRECTED),
                    (ids["penalty"], "ACT_ENDED", ACT_ENDED), (ids["honour"], "CANCELLED", CANCELLED),
                    (ids["registration"], "SUBJECT_ENDED", ENDED)]
    corrected = rows[3]
    assert corrected.before["version"] == 1 and corrected.after["version"] == 2
    assert corrected.before["content"].get("fineAmount") != "9999" and str(corrected.after["content"]["fineAmount"]) == "9999"


async def test_a_record_is_absent_before_its_submission_and_present_from_that_day(engine, life):
    assert await record_on(engine, life["penalty"], SUBMITTED - DAY) is None
    assert (await record_on(engine, life["penalty"], SUBMITTED))["version"] == 1
    data = await read(engine, SUBJECT_RECORDS, {"code": CODE, "asOf": (SUBMITTED - DAY).isoformat()})
    assert data["subject"] is None, "the subject was not known before its first record"


async def test_as_of_shows_the_content_before_and_after_the_correction(engine, life):
    def fine(record):
        return next((d["value"] for d in record["details"] if d["name"] == "fineAmount"), None)

    before = await record_on(engine, life["penalty"], CORRECTED - DAY)
    after = await record_on(engine, life["penalty"], CORRECTED)
    assert (before["version"], after["version"]) == (1, 2)
    assert fine(before) != "9999" and fine(after) == "9999"
    assert fine(await record_on(engine, life["penalty"], None)) == "9999", "today's answer is unchanged"


async def test_as_of_shows_the_act_ongoing_before_its_end_was_reported(engine, life):
    before = await record_on(engine, life["penalty"], ACT_ENDED - DAY)
    after = await record_on(engine, life["penalty"], ACT_ENDED)
    now = await record_row(engine, life["penalty"])
    assert (before["actEndedOn"], before["disclosureEndsOn"], before["status"]) == (None, None, "ACTIVE")
    assert after["actEndedOn"] == "2026-04-30" and after["disclosureEndsOn"] == now.disclosure_ends_on.isoformat()


async def test_as_of_shows_the_cancelled_honour_until_its_day_then_archived(engine, life):
    public = None
    before = await record_on(engine, life["honour"], CANCELLED - DAY, public)
    on_the_day = await record_on(engine, life["honour"], CANCELLED, public)
    assert (before["disclosureEndsOn"], before["status"]) == (None, "ACTIVE")
    assert (on_the_day["disclosureEndsOn"], on_the_day["status"]) == ("2026-06-01", "ACTIVE"), "its last day"
    assert await record_on(engine, life["honour"], CANCELLED + DAY, public) is None, \
        "archived the day after: the public no longer sees it, on that day as today"
    archived = await record_on(engine, life["honour"], CANCELLED + DAY, SCJG)
    assert archived["status"] == "ARCHIVED", "its provider still sees it, archived"


async def test_as_of_shows_the_subject_active_until_its_end_was_reported(engine, life):
    before = (await read(engine, SUBJECT_RECORDS, {"code": CODE, "asOf": (ENDED - DAY).isoformat()}))["subject"]
    after = (await read(engine, SUBJECT_RECORDS, {"code": CODE, "asOf": ENDED.isoformat()}))["subject"]
    assert (before["status"], before["endedOn"]) == ("ACTIVE", None)
    assert (after["status"], after["endedOn"]) == ("TERMINATED", "2026-06-30")
    ends = {r["catalogueItem"]["code"]: r["disclosureEndsOn"] for r in after["records"]["nodes"]}
    assert ends["HC-10-1-REGISTRATION"] == "2029-06-30"
    assert {r["catalogueItem"]["code"]: r["disclosureEndsOn"] for r in before["records"]["nodes"]}[
        "HC-10-1-REGISTRATION"] is None
    record = await record_on(engine, life["registration"], ENDED - DAY)
    assert record["subject"] == {"status": "ACTIVE", "endedOn": None}, "a record read asOf shows its subject then"


async def test_subject_records_as_of_follow_each_step(engine, life):
    def listed(data):
        return sorted((r["catalogueItem"]["code"], r["status"]) for r in data["subject"]["records"]["nodes"])

    on_submission = await read(engine, SUBJECT_RECORDS, {"code": CODE, "asOf": SUBMITTED.isoformat()})
    assert listed(on_submission) == [("HC-10-1-REGISTRATION", "ACTIVE"), ("HC-12-1-HONOUR", "ACTIVE"),
                                     ("HC-13-6-PENALTY", "ACTIVE")]
    assert on_submission["subject"]["records"]["totalCount"] == 3
    public = await read(engine, SUBJECT_RECORDS, {"code": CODE, "asOf": (CANCELLED + DAY).isoformat()}, None)
    assert ("HC-12-1-HONOUR", "ACTIVE") not in listed(public), "the public's answer that day left the honour out"
    today = await read(engine, SUBJECT_RECORDS, {"code": CODE, "asOf": None})
    assert ("HC-12-1-HONOUR", "ARCHIVED") in listed(today)


async def test_as_of_in_the_future_is_refused(engine, life):
    async with client_on(engine, READ_ON) as client:
        for query, variables in ((RECORD, {"id": life["penalty"]}), (SUBJECT_RECORDS, {"code": CODE})):
            body = await graphql(client, query, {**variables, "asOf": (READ_ON + DAY).isoformat()}, token=SCJG)
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
            assert "after today" in body["errors"][0]["message"]


async def test_events_are_read_by_the_provider_the_subject_and_auditors(engine, life):
    for token in (SCJG, SUBJECT, AUDITOR):
        data = await read(engine, EVENTS, {"id": life["penalty"]}, token)
        events = data["record"]["events"]["nodes"]
        assert [e["kind"] for e in events] == ["SUBMITTED", "CORRECTED", "ACT_ENDED"]
        assert events[2]["actorDepartment"] == {"code": "SCJG"} and events[2]["documentRef"] == "环市监终〔2026〕201号"
        assert events[2]["before"]["actEndedOn"] is None and events[2]["after"]["actEndedOn"] == "2026-04-30"
    data = await read(engine, EVENTS, {"id": life["penalty"], "asOf": CORRECTED.isoformat()})
    assert [e["kind"] for e in data["record"]["events"]["nodes"]] == ["SUBMITTED", "CORRECTED"], \
        "read asOf, the events effective by then"


@pytest.mark.parametrize("who", ["another department", "the public"])
async def test_events_are_forbidden_to_others_and_the_refusal_is_logged(engine, life, who):
    token = make_token(user="hist-zjj", department="ZJJ", roles=["officer"]) if who != "the public" else None
    async with client_on(engine, READ_ON) as client:
        body = await graphql(client, EVENTS, {"id": life["penalty"]}, token=token, purpose="SUPERVISION",
                             basis="HS-1")
    assert body["data"]["record"] is not None and body["data"]["record"]["events"] is None, body
    [error] = [e for e in body["errors"] if e["extensions"]["code"] == "FORBIDDEN"]
    assert "field:CreditRecord.events" in error["message"]
    if token:
        async with engine.connect() as connection:
            entry = (await connection.execute(select(QueryLogEntry.__table__).where(
                QueryLogEntry.user == "hist-zjj").order_by(QueryLogEntry.seq.desc()).limit(1))).one()
        assert entry.refused and "events" in entry.refused[0]["path"]


async def test_events_page_with_cursors(engine, life):
    query = """query($id: ID!, $after: String) { record(id: $id) { events(first: 2, after: $after) {
        nodes { kind } pageInfo { hasNextPage endCursor } } } }"""
    first = (await read(engine, query, {"id": life["penalty"]}))["record"]["events"]
    assert [e["kind"] for e in first["nodes"]] == ["SUBMITTED", "CORRECTED"] and first["pageInfo"]["hasNextPage"]
    rest = (await read(engine, query, {"id": life["penalty"], "after": first["pageInfo"]["endCursor"]}))
    assert [e["kind"] for e in rest["record"]["events"]["nodes"]] == ["ACT_ENDED"]


async def test_as_of_shows_the_annotations_standing_that_day(engine, life):
    """An annotation made on 2026-04-10 and closed on 2026-04-20 (an objection's, HC-29) shows on the
    days between, not before nor after."""
    from store.models import Annotation

    def noon(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(4), tzinfo=dt.timezone.utc)  # 12:00 in Beijing

    async with engine.begin() as connection:
        await connection.execute(Annotation.__table__.insert().values(
            record_id=row_number(life["penalty"]), kind="OBJECTION_OPEN", text="异议核查中",
            created_at=noon(dt.date(2026, 4, 10)), closed_at=noon(dt.date(2026, 4, 20))))
    query = "query($id: ID!, $asOf: Date) { record(id: $id, asOf: $asOf) { annotations { kind text } } }"
    shown = {}
    for day in ("2026-04-09", "2026-04-10", "2026-04-19", "2026-04-20", None):
        shown[day] = (await read(engine, query, {"id": life["penalty"], "asOf": day}))["record"]["annotations"]
    assert shown["2026-04-10"] == shown["2026-04-19"] == [{"kind": "OBJECTION_OPEN", "text": "异议核查中"}]
    assert shown["2026-04-09"] == shown["2026-04-20"] == shown[None] == [], shown
