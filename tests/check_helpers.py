"""Helpers of the creditCheck tests: records of any catalogue item submitted by their provider through
the API (content values chosen per test), and the check documents."""

from __future__ import annotations

import datetime as dt

from domain.catalogue import JurisdictionProfile
from resolvers.node_ids import NodeKind, global_id
from tests import world
from tests.conftest import graphql, make_token

CHECKED = "badRecords { %(rec)s } goodRecords { %(rec)s } annotatedRecords { %(rec)s }" % {
    "rec": "record { id } catalogueItem { code } category severity decidedOn provider { code } "
           "annotations { kind }"}
CHECK_FIELDS = f"""code subject {{ code name }} purpose asOf rulesVersion verdict {CHECKED}
  hints {{ rule action reasonZh reasonEn source cappedByObjection records {{ record {{ id }} }} }}
  withheld {{ visibility catalogueItems {{ code }} }}
  receipt {{ id answerHash answerJson }}"""
CHECK = "query($code: ID!, $purpose: Purpose!, $asOf: Date) { creditCheck(code: $code, purpose: $purpose, " \
        "asOf: $asOf) { %s } }" % CHECK_FIELDS
CHECKS = "query($codes: [ID!]!, $purpose: Purpose!, $asOf: Date) { creditChecks(codes: $codes, purpose: $purpose, " \
         "asOf: $asOf) { index code error { fault message } check { %s } } }" % CHECK_FIELDS
VERIFY = """query($i: VerifyCreditCheckInput!) { verifyCreditCheck(input: $i) {
  outcome valid reason checkedAt checkedBy { user userName departmentCode department { code } }
  purpose subjectCode } }"""
SUBMIT = """mutation($records: [RecordInput!]!) { submitRecords(input: {records: $records, mode: ALL_OR_NOTHING}) {
  result { outcomes { recordId status errors { field message } } } errors { message } } }"""


def officer(department: str, user: str | None = None) -> str:
    return make_token(user=user or f"ck-{department.lower()}", department=department, roles=["officer"])


def record_input(profile: JurisdictionProfile, item_code: str, subject: str, serial: int, decided_on: str,
                 content: dict | None = None, **extra) -> dict:
    item = profile.items[item_code]
    values = {f.name: world.sample_value(f, serial) for f in item.fields if f.required}
    return {"subjectCode": subject, "subjectName": f"信用核查测试主体{serial}", "catalogueItem": item_code,
            "documentNumber": f"CK-{item_code}-{serial}-{decided_on}", "issuingAuthority": "某行政机关",
            "decidedOn": decided_on, "content": {**values, **(content or {})}, **extra}


async def submit(client, department: str, record: dict) -> str:
    body = await graphql(client, SUBMIT, {"records": [record]}, token=officer(department))
    outcome = body["data"]["submitRecords"]["result"]["outcomes"][0]
    assert outcome["status"] == "STORED", body
    return global_id(NodeKind.RECORD, int(outcome["recordId"]))


async def build(client, profile: JurisdictionProfile, subjects: dict, org, disputed: str = "disputed"
                ) -> dict[str, list[str]]:
    """Each subject's records (label -> (serial, [(item, provider, decided_on, content, extra)])) submitted by
    their providers; the subject `disputed` objects to its first record (an open objection, HC-29, XZ-22)."""
    records: dict[str, list[str]] = {}
    for label, (serial, items) in subjects.items():
        for item, provider, decided, content, extra in items:
            record = record_input(profile, item, org(serial), serial, decided, content, **extra)
            records.setdefault(label, []).append(await submit(client, provider, record))
    body = await graphql(client, """mutation($i: FileObjectionInput!) { fileObjection(input: $i) {
        errors { code message } } }""", {"i": {"recordId": records[disputed][0], "ground": "ERROR_OR_OMISSION",
                                               "statement": "已全部履行"}},
                         token=make_token(user=f"ck-{org(subjects[disputed][0])[-6:]}",
                                          subject=org(subjects[disputed][0])))
    assert body["data"]["fileObjection"]["errors"] == [], body
    return records


def exercised(expected: dict, rules) -> tuple[set, set, set]:
    """(the rules some expectation fires, the rules some expectation of their purpose leaves quiet, every rule)."""
    from domain.enums import Purpose

    fires = {rule for by_label in expected.values() for found in by_label.values() for rule in found}
    quiet = {rule.code for purpose, by_label in expected.items() for found in by_label.values()
             for rule in rules.for_purpose(Purpose(purpose)) if rule.code not in found}
    return fires, quiet, {r.code for r in rules.rules}


def fired(check: dict) -> dict[str, str]:
    """Rule code -> action, for the hints that fired (action other than NONE)."""
    return {h["rule"]: h["action"] for h in check["hints"] if h["action"] != "NONE"}


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
