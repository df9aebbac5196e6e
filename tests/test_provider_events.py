"""The provider's date events over HTTP (SPEC 3.2; HC-18, HC-19): reportActEnded, cancelRecord,
reportSubjectEnded. Each by the provider (the registrar, for a subject's end) and refused for every
other caller: another provider, the subject, the centre's operator, the public. A step writes the
record, its event, a notice to the subject and a submission-log entry; a refused one writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from domain.enums import SubjectKind
from domain.periods import record_periods
from store.models import Notification, RecordEvent, Subject, SubmissionLogEntry
from tests.conftest import TODAY, graphql, make_token, row_number
from tests.history_helpers import PROFILE, client_on, make_ongoing, officer, org, person, record_input, \
    record_row, submit

PENALTY = "HC-13-6-PENALTY"  # BAD, providers include SCJG and ZJJ
HONOUR = "HC-12-1-HONOUR"  # GOOD, no validity needed
REGISTRATION = "HC-10-1-REGISTRATION"  # BASIC, SCJG / XZSP / MZJ register organisations
IDENTITY = "HC-11-1-IDENTITY"  # BASIC, GAJ (户籍) registers persons

ACT_ENDED = """
mutation($input: ReportActEndedInput!) { reportActEnded(input: $input) {
  record { id actEndedOn disclosureEndsOn status } errors { code field message } } }
"""
CANCEL = """
mutation($input: CancelRecordInput!) { cancelRecord(input: $input) {
  record { id disclosureEndsOn status } errors { code field message } } }
"""
SUBJECT_ENDED = """
mutation($input: ReportSubjectEndedInput!) { reportSubjectEnded(input: $input) {
  subject { code status endedOn } errors { code field message } } }
"""
SUBJECT_TOKEN = make_token(user="hist-subject", subject=org(1))
OPERATOR = make_token(user="hist-centre", department="XYZX", roles=["operator"])


async def counts(engine, record_id: int | None = None, subject: str | None = None) -> tuple[int, int, int]:
    """(events of the record or subject, notices to the subject, submission-log entries)."""
    async with engine.connect() as connection:
        where = RecordEvent.record_id == record_id if record_id else RecordEvent.subject_code == subject
        events = (await connection.execute(select(func.count()).select_from(RecordEvent).where(where))).scalar()
        code = subject or (await connection.execute(select(RecordEvent.subject_code).where(where))).scalar()
        notices = (await connection.execute(select(func.count()).select_from(Notification).where(
            Notification.recipient == code, Notification.recipient_party == "SUBJECT"))).scalar()
        log = (await connection.execute(select(func.count()).select_from(SubmissionLogEntry))).scalar()
    return events, notices, log


def expected_periods(row, item_code: str, kind=SubjectKind.ORGANISATION, **dates):
    values = dict(decided_on=row.decided_on, act_ended_on=row.act_ended_on, valid_until=row.valid_until,
                  subject_ended_on=None)
    values.update(dates)
    return record_periods(PROFILE.items[item_code], PROFILE, subject_kind=kind, **values)


async def refused_for_everyone_else(client, engine, query: str, variables: dict, record_id: int | None,
                                    subject: str | None, other_department: str) -> None:
    """Another provider: NOT_PROVIDER; the subject, the operator and the public: FORBIDDEN. Nothing changes."""
    before = await counts(engine, record_id, subject)
    body = await graphql(client, query, variables, token=officer(other_department))
    [payload] = body["data"].values()
    assert [e["code"] for e in payload["errors"]] == ["NOT_PROVIDER"], body
    for token in (SUBJECT_TOKEN, OPERATOR, None):
        body = await graphql(client, query, variables, token=token)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert await counts(engine, record_id, subject) == before, "a refusal writes nothing"


async def test_the_provider_reports_an_ongoing_act_ended_and_only_it(engine):
    async with client_on(engine, TODAY) as client:
        record_id = await submit(client, "SCJG", record_input(PENALTY, org(10), 10, "2026-03-02"))
        await make_ongoing(engine, record_id)
        variables = {"input": {"recordId": record_id, "endedOn": "2026-10-15", "document": "环市监终〔2026〕10号"}}
        await refused_for_everyone_else(client, engine, ACT_ENDED, variables, row_number(record_id), None, "ZJJ")
        before = await counts(engine, row_number(record_id))
        body = await graphql(client, ACT_ENDED, variables, token=officer("SCJG"))
        payload = body["data"]["reportActEnded"]
        assert payload["errors"] == [], body
        row = await record_row(engine, record_id)
        want = expected_periods(row, PENALTY)
        assert payload["record"]["actEndedOn"] == "2026-10-15"
        assert payload["record"]["disclosureEndsOn"] == (want.disclosure_ends_on and want.disclosure_ends_on.isoformat())
        assert row.disclosure_ends_on == want.disclosure_ends_on and row.publicity_ends_on == want.publicity_ends_on
        assert await counts(engine, row_number(record_id)) == (before[0] + 1, before[1] + 1, before[2] + 1)
        async with engine.connect() as connection:
            event = (await connection.execute(select(RecordEvent.__table__).where(
                RecordEvent.record_id == row_number(record_id), RecordEvent.kind == "ACT_ENDED"))).one()
        assert (event.effective_on, event.actor_department, event.document_ref) == (TODAY, "SCJG", "环市监终〔2026〕10号")
        assert event.before["act_ended_on"] is None and event.after["act_ended_on"] == "2026-10-15"

        again = await graphql(client, ACT_ENDED, variables, token=officer("SCJG"))
        assert again["data"]["reportActEnded"]["errors"][0]["field"] == "recordId", "an end is reported once"


@pytest.mark.parametrize("case, change, field", [
    ("after today", {"endedOn": (TODAY + dt.timedelta(days=1)).isoformat()}, "endedOn"),
    ("no document", {"document": "  "}, "document"),
    ("a bad id", {"recordId": "no-such"}, "recordId"),
])
async def test_report_act_ended_refuses_bad_input(engine, case, change, field):
    async with client_on(engine, TODAY) as client:
        serial = 20 + ["after today", "no document", "a bad id"].index(case)
        record_id = await submit(client, "SCJG", record_input(PENALTY, org(serial), serial, "2026-03-02"))
        await make_ongoing(engine, record_id)
        variables = {"input": {"recordId": record_id, "endedOn": "2026-10-15", "document": "doc", **change}}
        body = await graphql(client, ACT_ENDED, variables, token=officer("SCJG"))
        payload = body["data"]["reportActEnded"]
        assert payload["record"] is None and [e["field"] for e in payload["errors"]] == [field], (case, body)
        assert (await record_row(engine, record_id)).act_ended_on is None, "nothing changed"


async def test_report_act_ended_is_for_bad_records_only(engine):
    async with client_on(engine, TODAY) as client:
        record_id = await submit(client, "SCJG", record_input(HONOUR, org(30), 30, "2026-03-02"))
        body = await graphql(client, ACT_ENDED, {"input": {"recordId": record_id, "endedOn": "2026-10-15",
                                                          "document": "doc"}}, token=officer("SCJG"))
        assert "only a bad record" in body["data"]["reportActEnded"]["errors"][0]["message"]


async def test_the_provider_cancels_a_good_record_without_validity_and_only_it(engine):
    async with client_on(engine, TODAY) as client:
        record_id = await submit(client, "SCJG", record_input(HONOUR, org(40), 40, "2026-03-02"))
        variables = {"input": {"recordId": record_id, "cancelledOn": "2026-11-01", "document": "环市监撤奖〔2026〕1号"}}
        await refused_for_everyone_else(client, engine, CANCEL, variables, row_number(record_id), None, "ZJJ")
        body = await graphql(client, CANCEL, variables, token=officer("SCJG"))
        payload = body["data"]["cancelRecord"]
        assert payload["errors"] == [] and payload["record"]["disclosureEndsOn"] == "2026-11-01", body
        assert payload["record"]["status"] == "ARCHIVED", "cancelled on 1 November: archived by the 20th"
        again = await graphql(client, CANCEL, variables, token=officer("SCJG"))
        assert "cancelled already" in again["data"]["cancelRecord"]["errors"][0]["message"]

        valid = await submit(client, "SCJG", record_input(HONOUR, org(41), 41, "2026-03-02", validUntil="2027-03-01"))
        body = await graphql(client, CANCEL, {"input": {**variables["input"], "recordId": valid}}, token=officer("SCJG"))
        assert "valid until 2027-03-01" in body["data"]["cancelRecord"]["errors"][0]["message"]
        penalty = await submit(client, "SCJG", record_input(PENALTY, org(42), 42, "2026-03-02"))
        body = await graphql(client, CANCEL, {"input": {**variables["input"], "recordId": penalty}},
                             token=officer("SCJG"))
        assert "only a good record" in body["data"]["cancelRecord"]["errors"][0]["message"]


async def test_the_registrar_reports_an_organisation_ended_and_nobody_else(engine):
    code = org(50)
    async with client_on(engine, TODAY) as client:
        registration = await submit(client, "SCJG", record_input(REGISTRATION, code, 50, "2020-05-06"))
        penalty = await submit(client, "ZJJ", record_input(PENALTY, code, 51, "2026-03-02"))
        variables = {"input": {"code": code, "endedOn": "2026-11-10", "document": "环市监注销〔2026〕50号"}}
        # XZSP could register organisations, but did not register this one; ZJJ provides one of its records
        await refused_for_everyone_else(client, engine, SUBJECT_ENDED, variables, None, code, "XZSP")
        body = await graphql(client, SUBJECT_ENDED, variables, token=officer("ZJJ"))
        assert [e["code"] for e in body["data"]["reportSubjectEnded"]["errors"]] == ["NOT_PROVIDER"]

        penalty_before = await record_row(engine, penalty)
        body = await graphql(client, SUBJECT_ENDED, variables, token=officer("SCJG"))
        payload = body["data"]["reportSubjectEnded"]
        assert payload["errors"] == [] and payload["subject"]["status"] == "TERMINATED", body
        assert payload["subject"]["endedOn"] == "2026-11-10"
        row = await record_row(engine, registration)
        assert row.disclosure_ends_on == expected_periods(
            row, REGISTRATION, subject_ended_on=dt.date(2026, 11, 10)).disclosure_ends_on == dt.date(2029, 11, 10)
        assert (await record_row(engine, penalty)).disclosure_ends_on == penalty_before.disclosure_ends_on, \
            "a bad record's period does not follow the subject's end"
        async with engine.connect() as connection:
            events = (await connection.execute(select(RecordEvent.__table__).where(
                RecordEvent.subject_code == code, RecordEvent.kind == "SUBJECT_ENDED"))).all()
        assert [e.record_id for e in events] == [row_number(registration)]
        assert events[0].before["subject_status"] == "ACTIVE" and events[0].after["subject_status"] == "TERMINATED"
        again = await graphql(client, SUBJECT_ENDED, variables, token=officer("SCJG"))
        assert "reported already" in again["data"]["reportSubjectEnded"]["errors"][0]["message"]


async def test_public_security_reports_a_death_and_not_the_employment_department(engine):
    code = person(60)
    async with client_on(engine, TODAY) as client:
        identity = await submit(client, "GAJ", record_input(IDENTITY, code, 60, "2018-01-04"))
        await submit(client, "RSJ", record_input("HC-11-2-EMPLOYMENT", code, 61, "2020-01-06"))
        variables = {"input": {"code": code, "endedOn": "2026-11-02", "document": "环公户注〔2026〕60号"}}
        body = await graphql(client, SUBJECT_ENDED, variables, token=officer("RSJ"))
        assert [e["code"] for e in body["data"]["reportSubjectEnded"]["errors"]] == ["NOT_PROVIDER"], \
            "an employment record does not make RSJ the registrar of a death"
        body = await graphql(client, SUBJECT_ENDED, variables, token=officer("GAJ"))
        assert body["data"]["reportSubjectEnded"]["errors"] == [], body
        assert body["data"]["reportSubjectEnded"]["subject"]["status"] == "DECEASED"
        assert (await record_row(engine, identity)).disclosure_ends_on == dt.date(2026, 11, 2), \
            "a person's basic records are disclosed until death (HC-19(1))"
    async with engine.connect() as connection:
        subject = (await connection.execute(select(Subject.__table__).where(Subject.code == code))).one()
    assert (subject.status, subject.ended_on) == ("DECEASED", dt.date(2026, 11, 2))


async def test_a_subject_end_after_today_or_for_a_bad_code_is_refused(engine):
    code = org(70)
    async with client_on(engine, TODAY) as client:
        await submit(client, "SCJG", record_input(REGISTRATION, code, 70, "2020-05-06"))
        body = await graphql(client, SUBJECT_ENDED, {"input": {"code": code, "endedOn": "2026-12-01",
                                                               "document": "doc"}}, token=officer("SCJG"))
        assert [e["field"] for e in body["data"]["reportSubjectEnded"]["errors"]] == ["endedOn"]
        body = await graphql(client, SUBJECT_ENDED, {"input": {"code": code[:-1] + "0", "endedOn": "2026-11-01",
                                                               "document": "doc"}}, token=officer("SCJG"))
        assert [e["field"] for e in body["data"]["reportSubjectEnded"]["errors"]] == ["code"]
