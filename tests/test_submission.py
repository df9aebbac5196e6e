"""Collecting records through the API (SPEC 3.3; HC-15..18, XZ-9..13), over HTTP on the real app.

A batch mixes sound inputs with one input per kind of fault: every fault comes back with its
index and field; ALL_OR_NOTHING stores nothing, BEST_EFFORT exactly the sound ones; resending is
safe; only the provider corrects, keeping every version; lateness is counted in working days.

Subjects here are built from their own prefixes (organisations 91371002QT…, persons born
1995-03-15) and users are unique, since the session's database is shared with other tests.
"""

from __future__ import annotations

import datetime as dt
import functools

import httpx
import pytest
from sqlalchemy import func, select

from domain.identifiers import resident_id_check_char
from resolvers.node_ids import record_named
from resolvers.record_columns import BEIJING
from store.models import QueryLogEntry, Record, RecordVersion, Subject, SubmissionLogEntry
from tests import world
from tests.conftest import TODAY, app_for, graphql, make_token, row_number

ITEM = "HC-13-6-PENALTY"  # BAD, organisations and persons, providers include SCJG and ZJJ; 7 working days
ORG_ONLY_ITEM = "HC-13-8-ACCIDENT"  # organisations only; SCJG provides it
COURT_ITEM = "HC-13-1-JUDGMENT-DEFAULT"  # only the court (FY) provides it

SUBMIT = """
mutation($input: [RecordInput!]!, $mode: SubmissionMode!, $channel: SubmissionChannel! = API) {
  submitRecords(input: {records: $input, mode: $mode, channel: $channel}) {
    result {
      stored unchanged rejected notStored
      outcomes { index recordId status errors { code field message } }
    }
    errors { code field message }
  }
}
"""
CORRECT = """
mutation($id: ID!, $changes: CorrectionInput!, $reason: String!) {
  correctRecord(input: {id: $id, changes: $changes, reason: $reason}) {
    record { id version documentNumber decidedOn ... on PenaltyRecord { fineAmount } }
    errors { code field message }
  }
}
"""
VERSIONS = """
query($id: ID!) { record(id: $id) { id version versions {
  version change reason changedBy documentNumber decidedOn content } } }
"""
VERSION_HISTORY = """
query($id: ID!, $after: String) { record(id: $id) { versionHistory(first: 2, after: $after) {
  totalCount edges { cursor node { version reason } } pageInfo { hasNextPage endCursor } } } }
"""
LATE = """
query($department: ID, $from: Date!, $to: Date!, $first: Int! = 50, $after: String) {
  lateSubmissions(department: $department, from: $from, to: $to, first: $first, after: $after) {
    totalCount
    edges { cursor node { recordId department { code name kind } departmentCode catalogueItem { code basis }
                          documentNumber decidedOn deadlineOn deadlineProvisional lateWorkingDays channel } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
SUMMARY = """
query($from: Date!, $to: Date!) {
  lateSubmissionSummary(from: $from, to: $to) {
    department { code name kind } departmentCode name submitted late lateWorkingDays maxLateWorkingDays
  }
}
"""
SCJG = make_token(user="sub-scjg", department="SCJG", roles=["officer"])


org = functools.partial(world.org_code, series="QT")


def person(serial: int) -> str:
    body = f"37100219950315{serial:03d}"
    return body + resident_id_check_char(body)


def penalty(serial: int, **changes) -> dict:
    """A sound penalty input for organisation `serial`; `changes` override fields (None removes one)."""
    item = {
        "subjectCode": org(serial), "subjectName": f"威海市环翠区测试{serial}有限公司", "catalogueItem": ITEM,
        "documentNumber": f"威环市监罚〔2026〕Q{serial}号", "issuingAuthority": "环翠区市场监督管理局",
        "decidedOn": "2026-09-30",
        "content": {"violation": "销售过期食品", "legalBasis": "《食品安全法》第一百二十四条", "penaltyKind": "罚款",
                    "fineAmount": "1200.50"},
    }
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    return item


def with_content(serial: int, **content) -> dict:
    item = penalty(serial)
    item["content"] = {**item["content"], **content}
    for key in [k for k, v in content.items() if v is None]:
        item["content"].pop(key)
    return item


def faulty_batch(base: int) -> tuple[list[dict], dict[int, set[str]]]:
    """Sound inputs at 0, 3 and 15; every other index has one fault, with the fields it must name.

    A malformed date is one item's fault too (dates are text in RecordInput), not the request's."""
    wrong_check = org(base + 1)[:-1] + ("0" if org(base + 1)[-1] != "0" else "1")
    cases: list[tuple[dict, set[str]]] = [
        (penalty(base + 0), set()),
        (penalty(base + 1, subjectCode=wrong_check), {"subjectCode"}),
        (penalty(base + 2, catalogueItem=ORG_ONLY_ITEM, subjectCode=person(base % 1000 + 2),
                 content={"accidentKind": "安全生产", "occurredOn": "2026-09-01", "conduct": "x", "finding": "y"}),
         {"subjectCode"}),
        (penalty(base + 3), set()),
        (penalty(base + 4, catalogueItem="HC-99-NO-SUCH-ITEM"), {"catalogueItem"}),
        (penalty(base + 5, catalogueItem=COURT_ITEM), {"catalogueItem"}),
        (with_content(base + 6, violation=None), {"content.violation"}),
        (with_content(base + 7, fineAmount="a great deal"), {"content.fineAmount"}),
        (with_content(base + 8, colour="red"), {"content.colour"}),
        (with_content(base + 9, religion="佛教"), {"content.religion"}),
        (with_content(base + 10, income=5000), {"content.income"}),
        (penalty(base + 11, documentNumber=None), {"documentNumber"}),
        (penalty(base + 12, decidedOn="2026-12-01"), {"decidedOn"}),
        (penalty(base + 13, actEndedOn="2026-12-01"), {"actEndedOn"}),
        (penalty(base + 14, validFrom="2026-10-01", validUntil="2026-09-01"), {"validUntil"}),
        (penalty(base + 15), set()),
        (penalty(base + 16, decidedOn="2026-02-30"), {"decidedOn"}),
    ]
    return [c[0] for c in cases], {i: c[1] for i, c in enumerate(cases) if c[1]}


async def count(engine, model, *where) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(model).where(*where))).scalar()


async def submit(client, items, mode="BEST_EFFORT", token=SCJG, channel="API") -> dict:
    body = await graphql(client, SUBMIT, {"input": items, "mode": mode, "channel": channel}, token=token)
    assert not errors_of(body) and body["data"]["submitRecords"]["errors"] == [], body
    return body["data"]["submitRecords"]["result"]


async def last_query_log_entry(engine, user: str):
    async with engine.connect() as connection:
        return (await connection.execute(select(QueryLogEntry.__table__).where(QueryLogEntry.user == user).order_by(
            QueryLogEntry.seq.desc()).limit(1))).one()


def errors_of(body: dict) -> list[dict]:
    """The response's errors, less the gateway's notice that reading non-public records needs a purpose."""
    return [e for e in body.get("errors", []) if e["extensions"]["code"] != "PURPOSE_REQUIRED"]


def assert_faults_reported(result: dict, faults: dict[int, set[str]]) -> None:
    for outcome in result["outcomes"]:
        index = outcome["index"]
        if index in faults:
            assert outcome["status"] == "REJECTED" and outcome["recordId"] is None, outcome
            assert {e["field"] for e in outcome["errors"]} == {f"records[{index}].{f}" for f in faults[index]}, outcome
            assert all(e["message"] for e in outcome["errors"])
        else:
            assert outcome["errors"] == [], outcome


# ----------------------------------------------------------------------------------- batches


async def test_all_or_nothing_reports_every_fault_and_stores_nothing(client, engine):
    items, faults = faulty_batch(100)
    records, subjects = await count(engine, Record), await count(engine, Subject)
    result = await submit(client, items, "ALL_OR_NOTHING")
    assert [o["index"] for o in result["outcomes"]] == list(range(len(items)))
    assert_faults_reported(result, faults)
    good = [o for o in result["outcomes"] if o["index"] not in faults]
    assert [o["status"] for o in good] == ["NOT_STORED"] * 3 and all(o["recordId"] is None for o in good)
    assert (result["stored"], result["rejected"], result["notStored"]) == (0, len(faults), 3)
    assert await count(engine, Record) == records
    assert await count(engine, Subject) == subjects, "no subject is created when nothing is stored"


async def test_fault_reasons_name_what_is_wrong(client):
    items, _ = faulty_batch(200)
    outcomes = (await submit(client, items, "ALL_OR_NOTHING"))["outcomes"]
    reason = {o["index"]: " ".join(e["message"] for e in o["errors"]) for o in outcomes}
    codes = {o["index"]: {e["code"] for e in o["errors"]} for o in outcomes if o["errors"]}
    assert (codes.pop(4), codes.pop(5), codes.pop(9), codes.pop(10)) == (
        {"UNKNOWN_ITEM"}, {"NOT_PROVIDER"}, {"PROHIBITED"}, {"PROHIBITED"}), outcomes
    assert set().union(*codes.values()) == {"INVALID"}, codes
    assert "check character" in reason[1]
    assert "NATURAL_PERSON" in reason[2] and "ORGANISATION" in reason[2]
    assert "HC-99-NO-SUCH-ITEM" in reason[4]
    assert "SCJG is not a provider" in reason[5]
    assert "required" in reason[6]
    assert "a great deal" in reason[7]
    assert "unknown field 'colour'" in reason[8]
    assert "prohibited" in reason[9] and "HC-15" in reason[9]
    assert "consent" in reason[10]
    assert "required" in reason[11]
    assert "future" in reason[12]
    assert "in the future" in reason[13] and "HC-19(3)" in reason[13]
    assert "before validFrom" in reason[14]
    assert "'2026-02-30' is not a real date" in reason[16]


async def test_best_effort_stores_exactly_the_sound_inputs(client, engine):
    items, faults = faulty_batch(300)
    records = await count(engine, Record)
    result = await submit(client, items, "BEST_EFFORT")
    assert_faults_reported(result, faults)
    stored = [o for o in result["outcomes"] if o["status"] == "STORED"]
    assert [o["index"] for o in stored] == [0, 3, 15]
    assert (result["stored"], result["rejected"], result["notStored"]) == (3, len(faults), 0)
    assert await count(engine, Record) == records + 3
    ids = [int(o["recordId"]) for o in stored]
    async with engine.connect() as connection:
        rows = {r.id: r for r in await connection.execute(select(Record.__table__).where(Record.id.in_(ids)))}
    assert {rows[int(o["recordId"])].document_number for o in stored} == {items[i]["documentNumber"]
                                                                          for i in (0, 3, 15)}
    row = rows[ids[0]]
    assert (row.provider_code, row.channel, row.submitted_by, row.version) == ("SCJG", "API", "sub-scjg", 1)
    assert row.content == {"violation": "销售过期食品", "legalBasis": "《食品安全法》第一百二十四条",
                           "penaltyKind": "罚款", "fineAmount": 1200.5}
    assert row.decided_on == dt.date(2026, 9, 30)
    assert row.act_ended_on is None and row.disclosure_ends_on is None, \
        "no act end given: an ongoing act, no disclosure end yet (HC-19(3))"
    assert row.publicity_ends_on == dt.date(2027, 9, 30), "a general penalty: public 12 months from the decision"
    assert (row.visibility, row.severity, row.category) == ("PUBLIC", "GENERAL", "BAD")
    assert await count(engine, RecordVersion, RecordVersion.record_id.in_(ids)) == 0, \
        "no version rows until a record changes"
    versions = (await graphql(client, VERSIONS, {"id": str(ids[0])}, token=SCJG))["data"]["record"]["versions"]
    assert versions == [{"version": 1, "change": "CREATED", "reason": None, "changedBy": "sub-scjg",
                         "documentNumber": row.document_number, "decidedOn": "2026-09-30",
                         "content": row.content}], "a record that never changed is its own version 1"
    assert await count(engine, Subject, Subject.code == org(300)) == 1, "the unknown subject was created"


async def test_resending_is_unchanged_and_creates_no_duplicate(client, engine):
    items = [penalty(400), penalty(401)]
    first = await submit(client, items)
    ids = [o["recordId"] for o in first["outcomes"]]
    assert first["stored"] == 2
    records = await count(engine, Record)
    again = await submit(client, items)
    assert [o["status"] for o in again["outcomes"]] == ["UNCHANGED", "UNCHANGED"]
    assert [o["recordId"] for o in again["outcomes"]] == ids
    assert (again["stored"], again["unchanged"]) == (0, 2)
    assert await count(engine, Record) == records


async def test_a_changed_resend_is_rejected_and_points_to_correct_record(client, engine):
    first = await submit(client, [penalty(410)])
    record_id = first["outcomes"][0]["recordId"]
    result = await submit(client, [with_content(410, fineAmount="9999"), penalty(411)])
    changed, fresh = result["outcomes"]
    assert changed["status"] == "REJECTED" and fresh["status"] == "STORED"
    [error] = changed["errors"]
    assert (error["code"], error["field"]) == ("DUPLICATE", "records[0].documentNumber")
    assert f'correctRecord(input: {{id: "{record_id}"' in error["message"] and "content" in error["message"]


async def test_repeating_a_document_within_one_call_is_rejected(client):
    result = await submit(client, [penalty(420), penalty(420)])
    assert [o["status"] for o in result["outcomes"]] == ["STORED", "REJECTED"]
    [error] = result["outcomes"][1]["errors"]
    assert (error["code"], error["field"]) == ("DUPLICATE", "records[1].documentNumber")
    assert "repeats input 0" in error["message"]


async def test_an_unknown_subject_needs_a_name(client):
    result = await submit(client, [penalty(430, subjectName=None)])
    [outcome] = result["outcomes"]
    assert outcome["status"] == "REJECTED" and outcome["errors"][0]["field"] == "records[0].subjectName"


async def test_one_named_input_is_enough_for_a_new_subject(client, engine):
    """A call that creates a subject names it once; its other inputs may leave the name out."""
    unnamed = penalty(432, subjectCode=org(431), subjectName=None)
    result = await submit(client, [unnamed, penalty(431), penalty(433, subjectCode=org(431), subjectName=None)])
    assert [o["status"] for o in result["outcomes"]] == ["STORED"] * 3
    async with engine.connect() as connection:
        name = (await connection.execute(select(Subject.name).where(Subject.code == org(431)))).scalar()
    assert name == penalty(431)["subjectName"]


async def test_each_call_writes_one_submission_log_entry(client, engine):
    before = await count(engine, SubmissionLogEntry, SubmissionLogEntry.action == "SUBMIT")
    items, _ = faulty_batch(440)
    await submit(client, items, "ALL_OR_NOTHING")
    result = await submit(client, items, "BEST_EFFORT")
    assert await count(engine, SubmissionLogEntry, SubmissionLogEntry.action == "SUBMIT") == before + 2
    async with engine.connect() as connection:
        last = (await connection.execute(select(SubmissionLogEntry.__table__).order_by(
            SubmissionLogEntry.seq.desc()).limit(1))).one()
    assert (last.user, last.department, last.channel) == ("sub-scjg", "SCJG", "API")
    assert last.detail["stored"] == 3 and last.detail["rejected"] == 14 and last.detail["received"] == 17
    assert last.detail["record_ids"] == sorted(int(o["recordId"]) for o in result["outcomes"] if o["recordId"])


async def test_manual_entry_uses_the_same_mutation(client, engine):
    result = await submit(client, [penalty(450)], channel="MANUAL")
    record_id = int(result["outcomes"][0]["recordId"])
    async with engine.connect() as connection:
        assert (await connection.execute(select(Record.channel).where(Record.id == record_id))).scalar() == "MANUAL"
    records = await count(engine, Record)
    body = await graphql(client, SUBMIT, {"input": [penalty(451)], "mode": "BEST_EFFORT", "channel": "BATCH"},
                         token=SCJG)
    assert not errors_of(body), body
    [error] = body["data"]["submitRecords"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "channel") and "spreadsheet" in error["message"]
    assert body["data"]["submitRecords"]["result"] is None and await count(engine, Record) == records


async def test_input_types_are_documented_for_graphiql(client):
    body = await graphql(client, '{ __type(name: "RecordInput") { description inputFields { name description } } }')
    fields = {f["name"]: f["description"] for f in body["data"]["__type"]["inputFields"]}
    assert set(fields) == {"subjectCode", "subjectName", "catalogueItem", "documentNumber", "issuingAuthority",
                           "decidedOn", "actEndedOn", "validFrom", "validUntil", "content", "consentRef"}
    assert all(fields.values()) and body["data"]["__type"]["description"]
    assert "Required" in fields["documentNumber"] and "consent" in fields["consentRef"]


# ---------------------------------------------------------------------------- prohibited (HC-15)


async def test_prohibited_information_is_refused_whatever_the_input_says(client, engine):
    records = await count(engine, Record)
    items = [with_content(460, religion="佛教"), with_content(461, bloodType="A"),
             with_content(462, fingerprint="x"), {**with_content(463, religion="佛教"), "consentRef": "SQ-2026-1"},
             with_content(464, depositBalance=100000)]
    result = await submit(client, items)
    assert [o["status"] for o in result["outcomes"]] == ["REJECTED"] * 5
    reasons = [o["errors"][0]["message"] for o in result["outcomes"]]
    assert [o["errors"][0]["code"] for o in result["outcomes"]] == ["PROHIBITED"] * 5
    assert all("prohibited" in r for r in reasons[:4]), reasons
    assert "never collected" in reasons[3], "consent does not open absolutely prohibited information"
    assert "written consent" in reasons[4]
    assert await count(engine, Record) == records


# ------------------------------------------------------------------------------- who may submit


@pytest.mark.parametrize("claims, missing", [
    (None, "department"),
    (dict(user="sub-nodept"), "department"),  # a role without a department is refused at the door (401)
    (dict(user="sub-agency", department="ZXJG", roles=["agency"]), "officer or submitter"),
    (dict(user="sub-self", subject=org(470)), "department"),
])
async def test_only_provider_officers_submit(client, engine, claims, missing):
    records = await count(engine, Record)
    token = make_token(**claims) if claims else None
    body = await graphql(client, SUBMIT, {"input": [penalty(470)], "mode": "BEST_EFFORT"}, token=token)
    [error] = errors_of(body)
    assert error["extensions"]["code"] == "FORBIDDEN" and missing in error["message"]
    assert await count(engine, Record) == records


async def test_the_submitter_role_may_submit(client):
    token = make_token(user="sub-submitter", department="SCJG", roles=["submitter"])
    assert (await submit(client, [penalty(475)], token=token))["stored"] == 1


async def test_a_batch_is_bounded(client, engine):
    records = await count(engine, Record)
    body = await graphql(client, SUBMIT, {"input": [penalty(480)] * 1001, "mode": "BEST_EFFORT"}, token=SCJG)
    assert not errors_of(body), body
    [error] = body["data"]["submitRecords"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "records") and "1000" in error["message"], error
    assert body["data"]["submitRecords"]["result"] is None
    body = await graphql(client, SUBMIT, {"input": [], "mode": "BEST_EFFORT"}, token=SCJG)
    [error] = body["data"]["submitRecords"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "records") and "at least one" in error["message"], error
    assert await count(engine, Record) == records


# ---------------------------------------------------------------------------- corrections (HC-18)


async def stored_penalty(client, serial: int) -> str:
    result = await submit(client, [penalty(serial)])
    assert result["stored"] == 1, result
    return result["outcomes"][0]["recordId"]


async def test_the_provider_corrects_and_every_version_is_kept(client, engine):
    record_id = await stored_penalty(client, 500)
    log_before = await count(engine, SubmissionLogEntry, SubmissionLogEntry.action == "CORRECT")
    body = await graphql(client, CORRECT, {"id": record_id, "changes": {"content": {"fineAmount": "3000"}},
                                           "reason": "罚款金额录入错误"}, token=SCJG)
    assert not errors_of(body) and body["data"]["correctRecord"]["errors"] == [], body
    assert body["data"]["correctRecord"]["record"]["version"] == 2
    assert body["data"]["correctRecord"]["record"]["fineAmount"] == "3000"
    body = await graphql(client, CORRECT, {"id": record_id, "changes": {"decidedOn": "2026-10-09"},
                                           "reason": "决定日期更正"}, token=SCJG)
    corrected = body["data"]["correctRecord"]["record"]
    assert corrected["version"] == 3 and corrected["decidedOn"] == "2026-10-09"
    assert await count(engine, SubmissionLogEntry, SubmissionLogEntry.action == "CORRECT") == log_before + 2

    versions = (await graphql(client, VERSIONS, {"id": record_id}, token=SCJG))["data"]["record"]["versions"]
    assert [(v["version"], v["change"], v["reason"]) for v in versions] == [
        (1, "CREATED", None), (2, "CORRECTED", "罚款金额录入错误"), (3, "CORRECTED", "决定日期更正")]
    assert [v["content"]["fineAmount"] for v in versions] == [1200.5, 3000, 3000]
    assert [v["decidedOn"] for v in versions] == ["2026-09-30", "2026-09-30", "2026-10-09"]
    assert all(v["changedBy"] == "sub-scjg" for v in versions)
    paged, after = [], None
    for _ in range(3):  # versionHistory: the same versions, a page of two at a time
        body = await graphql(client, VERSION_HISTORY, {"id": record_id, "after": after}, token=SCJG)
        history = body["data"]["record"]["versionHistory"]
        assert history["totalCount"] == 3, body
        paged += [(e["node"]["version"], e["node"]["reason"]) for e in history["edges"]]
        after = history["pageInfo"]["endCursor"]
        if not history["pageInfo"]["hasNextPage"]:
            break
    assert paged == [(1, None), (2, "罚款金额录入错误"), (3, "决定日期更正")]
    refused = await graphql(client, VERSION_HISTORY, {"id": record_id, "after": None})
    assert refused["data"]["record"] is None or refused["data"]["record"]["versionHistory"] is None
    async with engine.connect() as connection:
        row = (await connection.execute(select(Record.__table__).where(Record.id == int(record_id)))).one()
    assert row.act_ended_on is None, "an act end is never made up from the decision (HC-19(3))"
    assert row.publicity_ends_on == dt.date(2027, 10, 9), "publicity follows the corrected decision"
    assert row.deadline_on == dt.date(2026, 10, 19), "the deadline follows the corrected decision"


@pytest.mark.parametrize("serial, who, claims", [
    (510, "another provider of the same item", dict(user="sub-zjj", department="ZJJ", roles=["officer"])),
    (511, "the credit centre's operator", dict(user="sub-xyzx", department="XYZX", roles=["operator"])),
    # the credit centre with an officer role: such a token is refused at the door (tests/test_token_claims.py)
    (513, "an auditor", dict(user="sub-fgj", department="FGJ", roles=["auditor"])),
])
async def test_nobody_but_the_provider_corrects(client, engine, serial, who, claims):
    record_id = await stored_penalty(client, serial)
    body = await graphql(client, CORRECT, {"id": record_id, "changes": {"content": {"fineAmount": "1"}},
                                           "reason": "想改"}, token=make_token(**claims))
    if claims["roles"] == ["officer"]:  # a provider, but not this record's: refused in the payload
        assert not errors_of(body), body
        [error] = body["data"]["correctRecord"]["errors"]
        assert (error["code"], error["field"]) == ("NOT_PROVIDER", "id"), error
        message = error["message"]
        assert f"record {record_id} was provided by another department" in message and "HC-18" in message, message
        assert body["data"]["correctRecord"]["record"] is None
        entry = await last_query_log_entry(engine, claims["user"])  # still a refusal for supervisors (refusedOnly)
        assert entry.outcome == "REFUSED" and entry.refused[0]["rule"] == "HC-18", entry
        assert entry.refused[0]["code"] == "FORBIDDEN" and entry.refused[0]["path"] == "correctRecord"
    else:  # not a provider at all: may not call the mutation, a top-level error
        assert errors_of(body)[0]["extensions"]["code"] == "FORBIDDEN", who
        message = errors_of(body)[0]["message"]
        assert "needs the role officer or submitter (HC-16, HC-18)" in message, message
    async with engine.connect() as connection:
        row = (await connection.execute(select(Record.version, Record.content).where(
            Record.id == int(record_id)))).one()
    assert row.version == 1 and row.content["fineAmount"] == 1200.5


@pytest.mark.parametrize("serial, changes, reason, code, field, expected", [
    (530, {"decidedOn": "2027-01-01"}, "日期", "INVALID", "changes.decidedOn", "in the future"),
    (531, {"content": {"religion": "佛教"}}, "加信息", "PROHIBITED", "changes.content.religion", "prohibited"),
    (532, {"content": {"violation": None}}, "删字段", "INVALID", "changes.content.violation", "required"),
    (533, {"validFrom": "2026-10-01", "validUntil": "2026-09-01"}, "有效期", "INVALID", "changes.validUntil",
     "before validFrom"),
    (534, {"content": {"fineAmount": "1200.50"}}, "无变化", "NO_CHANGE", "changes", "nothing to correct"),
    (535, {"issuingAuthority": "别的机关"}, "   ", "INVALID", "reason", "why the record is corrected"),
    (536, {"documentNumber": None}, "删文号", "INVALID", "changes.documentNumber", "required"),
    (537, {"documentNumber": "文书-537-OTHER"}, "文号", "DUPLICATE", "changes.documentNumber", "already holds"),
])
async def test_a_bad_correction_changes_nothing(client, engine, serial, changes, reason, code, field, expected):
    record_id = await stored_penalty(client, serial)
    if code == "DUPLICATE":  # another record of the department holds the document number
        await submit(client, [penalty(serial + 1000, documentNumber=changes["documentNumber"])])
    body = await graphql(client, CORRECT, {"id": record_id, "changes": changes, "reason": reason}, token=SCJG)
    assert not errors_of(body), body
    [error] = body["data"]["correctRecord"]["errors"]
    assert (error["code"], error["field"]) == (code, field) and expected in error["message"], error
    assert body["data"]["correctRecord"]["record"] is None
    assert await count(engine, RecordVersion, RecordVersion.record_id == int(record_id)) == 0
    async with engine.connect() as connection:
        assert (await connection.execute(select(Record.version).where(Record.id == int(record_id)))).scalar() == 1


async def test_correcting_a_record_that_does_not_exist_is_not_found(client, engine):
    log_before = await count(engine, SubmissionLogEntry, SubmissionLogEntry.action == "CORRECT")
    body = await graphql(client, CORRECT, {"id": "987654321", "changes": {"issuingAuthority": "x"}, "reason": "更正"},
                         token=SCJG)
    assert not errors_of(body), body
    assert body["data"]["correctRecord"] == {"record": None, "errors": [
        {"code": "NOT_FOUND", "field": "id", "message": f"no {record_named(987654321)}"}]}
    assert "987654321" not in body["data"]["correctRecord"]["errors"][0]["message"], "named by its global id"
    assert await count(engine, SubmissionLogEntry, SubmissionLogEntry.action == "CORRECT") == log_before


async def test_versions_are_for_the_provider_the_subject_and_auditors(client):
    record_id = await stored_penalty(client, 600)
    await graphql(client, CORRECT, {"id": record_id, "changes": {"content": {"fineAmount": "800"}},
                                    "reason": "更正"}, token=SCJG)
    readers = {
        "provider": (SCJG, {}),
        "subject": (make_token(user="sub-subject", subject=org(600)), {}),
        "auditor": (make_token(user="sub-auditor", department="FGJ", roles=["auditor"]),
                    {"purpose": "supervision", "basis": "JC-2026-1"}),
    }
    for reader, (token, declared) in readers.items():
        body = await graphql(client, VERSIONS, {"id": record_id}, token=token, **declared)
        assert not errors_of(body), (reader, body)
        assert [v["version"] for v in body["data"]["record"]["versions"]] == [1, 2], reader
    other = make_token(user="sub-other", department="ZJJ", roles=["officer"])
    body = await graphql(client, VERSIONS, {"id": record_id}, token=other, purpose="licensing", basis="XK-1")
    assert row_number(body["data"]["record"]["id"]) == int(record_id), "the PUBLIC record itself stays readable"
    assert body["data"]["record"]["versions"] is None
    [error] = errors_of(body)
    assert error["extensions"]["code"] == "FORBIDDEN" and "field:CreditRecord.versions" in error["message"]


# ---------------------------------------------------------------------------- lateness (XZ-12/13)


async def test_lateness_is_counted_in_working_days(client, engine):
    # Decided Wed 2026-09-30: 7 working days skip the National Day holiday (10-01..07) and count the
    # adjusted working Saturday 10-10, so it is due Thu 10-15; submitted Fri 11-20 it is 26 working days late.
    record_id = await stored_penalty(client, 700)
    async with engine.connect() as connection:
        row = (await connection.execute(select(Record.__table__).where(Record.id == int(record_id)))).one()
    assert (row.deadline_on, row.late_working_days, row.deadline_provisional) == (dt.date(2026, 10, 15), 26, False)
    body = await graphql(client, "query($id: ID!) { record(id: $id) { lateWorkingDays } }", {"id": record_id},
                         token=SCJG)
    assert body["data"]["record"]["lateWorkingDays"] == 26
    on_time = (await submit(client, [penalty(701, decidedOn="2026-11-16")]))["outcomes"][0]["recordId"]
    async with engine.connect() as connection:
        row = (await connection.execute(select(Record.__table__).where(Record.id == int(on_time)))).one()
    assert (row.deadline_on, row.late_working_days) == (dt.date(2026, 11, 25), 0)


async def test_a_deadline_in_an_unpublished_year_is_provisional(engine):
    # 2027's schedule is not shipped: counted on weekdays less the statutory holidays and marked provisional.
    # Decided Thu 2026-12-24: 12/25, 12/28 … 12/31, (元旦 1/1 Fri), 1/4, 1/5; late 1/6 … 1/8, 1/11 … 1/15.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(engine, today=dt.date(2027, 1, 15))),
                                 base_url="http://gateway") as january:
        result = await submit(january, [penalty(710, decidedOn="2026-12-24")])
    async with engine.connect() as connection:
        row = (await connection.execute(select(Record.__table__).where(
            Record.id == int(result["outcomes"][0]["recordId"])))).one()
    assert (row.deadline_on, row.deadline_provisional, row.late_working_days) == (dt.date(2027, 1, 5), True, 8)


def period() -> dict:
    """Submissions are stamped with the real time: the Beijing days around now."""
    today = dt.datetime.now(BEIJING).date()
    return {"from": (today - dt.timedelta(days=1)).isoformat(), "to": (today + dt.timedelta(days=1)).isoformat()}


@pytest.fixture
async def own_client(backend, tmp_path):
    """The app on a database of the test's own: what it lists is exactly what it stored, whatever
    other tests submitted today (the shared database's late records of SCJG fill more than a page)."""
    from store.bootstrap import initialise
    from store.engine import create_engine
    from tests.conftest import scratch_url

    engine = create_engine(await scratch_url(backend, tmp_path, "late"))
    await initialise(engine, "huancui")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(engine)), base_url="http://gateway") as c:
        yield c
    await engine.dispose()


async def test_late_submissions_list_the_late_records(own_client):
    client = own_client
    late_ids = [await stored_penalty(client, 720), await stored_penalty(client, 721)]
    on_time = (await submit(client, [penalty(722, decidedOn="2026-11-19")]))["outcomes"][0]["recordId"]
    operator = make_token(user="sub-centre", department="XYZX", roles=["operator"])
    body = await graphql(client, LATE, {"department": "SCJG", **period()}, token=operator)
    assert not errors_of(body), body
    nodes = {e["node"]["recordId"]: e["node"] for e in body["data"]["lateSubmissions"]["edges"]}
    assert set(late_ids) <= set(nodes) and on_time not in nodes
    assert nodes[late_ids[0]] == {
        "recordId": late_ids[0], "department": {"code": "SCJG", "name": "环翠区市场监督管理局", "kind": "GOVERNMENT"},
        "departmentCode": "SCJG", "catalogueItem": {"code": ITEM, "basis": "HC-13(6); HC-14"},
        "documentNumber": penalty(720)["documentNumber"], "decidedOn": "2026-09-30", "deadlineOn": "2026-10-15",
        "deadlineProvisional": False, "lateWorkingDays": 26, "channel": "API"}
    assert set(nodes) == set(late_ids)  # exactly the late ones: the on-time one is not listed
    assert all(n["department"]["code"] == n["departmentCode"] == "SCJG" and n["lateWorkingDays"] > 0
               for n in nodes.values())
    assert body["data"]["lateSubmissions"]["totalCount"] == len(nodes) == 2

    first = await graphql(client, LATE, {"department": "SCJG", **period(), "first": 1}, token=operator)
    page = first["data"]["lateSubmissions"]
    assert len(page["edges"]) == 1 and page["pageInfo"]["hasNextPage"]
    second = await graphql(client, LATE, {"department": "SCJG", **period(), "first": 1,
                                          "after": page["pageInfo"]["endCursor"]}, token=operator)
    assert second["data"]["lateSubmissions"]["edges"][0]["node"]["recordId"] != page["edges"][0]["node"]["recordId"]

    own = await graphql(client, LATE, period(), token=SCJG)
    assert set(late_ids) <= {e["node"]["recordId"] for e in own["data"]["lateSubmissions"]["edges"]}
    refused = await graphql(client, LATE, {"department": "ZJJ", **period()}, token=SCJG)
    assert errors_of(refused)[0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await graphql(client, LATE, period())
    assert errors_of(anonymous)[0]["extensions"]["code"] == "FORBIDDEN"
    backwards = await graphql(client, LATE, {"from": "2026-11-30", "to": "2026-11-01"}, token=operator)
    assert errors_of(backwards)[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_summary_counts_late_records_per_department(own_client):
    """On a database of its own: in the shared one any department may have submitted today."""
    client = own_client
    await stored_penalty(client, 730)
    auditor = make_token(user="sub-audit2", department="FGJ", roles=["auditor"])
    body = await graphql(client, SUMMARY, period(), token=auditor)
    assert not errors_of(body), body
    rows = {r["departmentCode"]: r for r in body["data"]["lateSubmissionSummary"]}
    assert all(r["department"]["code"] == code for code, r in rows.items())
    scjg = rows["SCJG"]
    assert scjg["department"] == {"code": "SCJG", "name": "环翠区市场监督管理局", "kind": "GOVERNMENT"}
    assert scjg["name"] == "环翠区市场监督管理局", "the deprecated name is still answered"
    assert scjg["late"] >= 1 and scjg["submitted"] >= scjg["late"]
    assert scjg["maxLateWorkingDays"] >= 26 and scjg["lateWorkingDays"] >= 26
    assert rows["TW"]["submitted"] == 0, "departments that submitted nothing are listed too"
    assert "XYZX" not in rows and "FGJ" not in rows, "the centre and the supervisor are no providers"
    own = await graphql(client, SUMMARY, period(), token=SCJG)
    assert [r["department"]["code"] for r in own["data"]["lateSubmissionSummary"]] == ["SCJG"]


# ----------------------------------------------------------------------------- concurrent resends


def submission(serial: int, fine: str = "1200.50"):
    from domain.submissions import RecordSubmission

    item = with_content(serial, fineAmount=fine)
    return RecordSubmission(
        subject_code=item["subjectCode"], subject_name=item["subjectName"], catalogue_item=item["catalogueItem"],
        document_number=item["documentNumber"], issuing_authority=item["issuingAuthority"],
        decided_on=item["decidedOn"], content=item["content"])


@pytest.mark.parametrize("size", [40, 150], ids=["insert", "copy"])
async def test_concurrent_resends_store_each_record_once(engine, size, monkeypatch):
    """A retried sync may overlap the first attempt: each document is stored once, whoever wins.

    Small batches are inserted skipping conflicts; on PostgreSQL, batches of COPY_FROM_ROWS and
    more go by COPY, where the loser's conflict rolls its attempt back and it is retried."""
    import asyncio

    from resolvers import calendar_years, collection

    assert (40 < collection.COPY_FROM_ROWS <= 150), "both ways of storing are exercised"
    first_serial = 800 if size == 40 else 2000

    profile = await calendar_years.deployment_profile(engine)
    calendar = await calendar_years.working_day_calendar(engine)

    async def call(items, mode):
        return await collection.submit(engine, profile=profile, calendar=calendar, department="SCJG",
                                       user="sub-race", channel="API", submissions=items, mode=mode, today=TODAY,
                                       now=dt.datetime.now(dt.timezone.utc))

    records = await count(engine, Record)
    retried = []
    original = collection._copy_new

    async def copy_new(*args, **kwargs):
        try:
            return await original(*args, **kwargs)
        except collection._RaceLost:
            retried.append(size)
            raise

    monkeypatch.setattr(collection, "_copy_new", copy_new)
    batch = [submission(first_serial + i) for i in range(size)]
    first, second = await asyncio.gather(call(batch, "BEST_EFFORT"), call(batch, "BEST_EFFORT"))
    for a, b in zip(first, second):
        assert {a.status.value, b.status.value} == {"STORED", "UNCHANGED"} and a.record_id == b.record_id
    assert await count(engine, Record) == records + size

    same = [submission(first_serial + size + i) for i in range(size if size >= collection.COPY_FROM_ROWS else 10)]
    changed = same[:5] + [submission(first_serial + size + 5, fine="99")] + same[6:]
    c, d = await asyncio.gather(call(same, "ALL_OR_NOTHING"), call(changed, "ALL_OR_NOTHING"))
    assert await count(engine, Record) == records + size + len(same)
    rejected = [o for o in (*c, *d) if o.status.value == "REJECTED"]
    assert len(rejected) == 1 and rejected[0].index == 5 and "correctRecord" in rejected[0].problems[0].reason
    loser = c if rejected[0] in c else d
    assert {o.status.value for o in loser} <= {"REJECTED", "UNCHANGED", "NOT_STORED"}
    if engine.dialect.name == "postgresql" and size >= collection.COPY_FROM_ROWS:
        assert retried, "the call that lost the race by COPY was rolled back and retried"
