"""Bad ids, cursors and dates are the client's error (issue 10, item 4): BAD_USER_INPUT naming the
argument and its range, never "Unexpected error" from an overflow in SQL or in date arithmetic.
Through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64

import pytest

from tests import world as w
from tests.conftest import graphql, make_token

HUGE = "99999999999999999999999"  # past BIGINT
BIGINT = "9223372036854775807"
SCJG = make_token(user="bounds-scjg", department="SCJG", roles=["officer"])
AUDITOR = make_token(user="bounds-audit", department="FGJ", roles=["auditor"])
SUBJECT = make_token(user="bounds-p", subject=w.PERSON_P)


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


CASES = [
    # (name, document, token, argument the message names, range the message gives)
    ("record id past BIGINT", f'{{ record(id: "{HUGE}") {{ id }} }}', None, "id", BIGINT),
    ("negative record id", '{ record(id: "-5") { id } }', None, "id", BIGINT),
    ("explanation of a huge id", f'{{ accessExplanation(recordId: "{HUGE}") {{ allowed }} }}', None, "recordId",
     BIGINT),
    ("record cursor with a huge id",
     f'{{ subject(code: "{w.ORG_A}") {{ records(after: "{cursor("2025-06-01|" + HUGE)}") {{ totalCount }} }} }}',
     None, "after", BIGINT),
    ("query log cursor past BIGINT", f'{{ queryLog(after: "{HUGE}") {{ totalCount }} }}', AUDITOR, "after", BIGINT),
    ("negative query log cursor", '{ queryLog(after: "-3") { totalCount } }', AUDITOR, "after", BIGINT),
    ("late submissions from year 1", '{ lateSubmissions(from: "0001-01-01", to: "2026-11-30") { totalCount } }',
     SCJG, "from", "1900-01-01"),
    ("late submissions to 9999-12-31", '{ lateSubmissions(from: "2026-01-01", to: "9999-12-31") { totalCount } }',
     SCJG, "to", "2999-12-31"),
    ("late cursor with a huge id",
     f'{{ lateSubmissions(from: "2026-01-01", to: "2026-11-30", '
     f'after: "{cursor("2026-11-01T00:00:00+00:00|" + HUGE)}") {{ totalCount }} }}', SCJG, "after", "endCursor"),
    ("summary from year 1", '{ lateSubmissionSummary(from: "0001-01-01", to: "2026-11-30") { late } }',
     SCJG, "from", "1900-01-01"),
    ("query log from before year 1 in UTC",
     '{ queryLog(filter: {from: "0001-01-01T00:00:00+08:00"}) { totalCount } }', AUDITOR, "0001-01-01",
     "0001-01-01T00:00:00Z"),
    ("a grant until after 9999 in UTC",
     'mutation { grantAuthorization(input: {grantee: {user: "bounds-bank"}, scope: {classes: [AUTHORIZED]}, '
     'purpose: LICENSING, validFrom: "2026-11-01T00:00:00+08:00", validUntil: "9999-12-31T23:00:00-08:00", '
     'writtenAuthorizationRef: "r"}) { authorization { id } } }', SUBJECT, "9999-12-31T23:00:00-08:00",
     "9999-12-31T23:59:59Z"),
]
# A mutation's own checks answer in its payload (README, Mutations): the same message, as an error at `id`.
MUTATION_CASES = [
    ("revoking a huge id", "revokeAuthorization", f'mutation {{ revokeAuthorization(input: {{id: "{HUGE}"}}) '
     '{ authorization { id } errors { code field message } } }', SUBJECT),
    ("correcting a huge id", "correctRecord", f'mutation {{ correctRecord(input: {{id: "{HUGE}", changes: {{}}, '
     'reason: "x"}) { record { id } errors { code field message } } }', SCJG),
    ("revoking a permit with a negative id", "revokeQueryPermit", 'mutation { revokeQueryPermit(input: {id: "-3", '
     'reason: "x"}) { permit { id } errors { code field message } } }',
     make_token(user="bounds-centre", department="XYZX", roles=["operator"])),
]


@pytest.mark.parametrize("name, mutation, document, token", MUTATION_CASES, ids=[c[0] for c in MUTATION_CASES])
async def test_out_of_range_ids_of_a_mutation_are_payload_errors(client, name, mutation, document, token):
    body = await graphql(client, document, token=token)
    assert "errors" not in body, body
    payload = body["data"][mutation]
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "id"), error
    assert BIGINT in error["message"] and "is not a valid" in error["message"], error
    assert list(payload.values())[0] is None, payload


@pytest.mark.parametrize("name, document, token, argument, bound", CASES, ids=[c[0] for c in CASES])
async def test_out_of_range_arguments_are_named(client, name, document, token, argument, bound):
    body = await graphql(client, document, token=token)
    errors = body.get("errors") or []
    assert errors, body
    error = errors[0]
    assert "Unexpected error" not in error["message"]
    assert error.get("extensions", {}).get("code") == "BAD_USER_INPUT", error
    assert argument in error["message"] and bound in error["message"], error["message"]


async def test_an_act_ending_in_9999_is_refused_with_a_clear_error(client):
    """An act cannot have ended after today (HC-19(3)): refused naming the field, never an overflow."""
    item = {"subjectCode": w.org_code(1, series="TN"), "subjectName": "威海市环翠区边界测试有限公司",
            "catalogueItem": "HC-13-6-PENALTY", "documentNumber": "威环市监罚〔2026〕TN1号",
            "issuingAuthority": "环翠区市场监督管理局", "decidedOn": "2026-09-30", "actEndedOn": "9999-12-31",
            "content": {"violation": "v", "legalBasis": "l", "penaltyKind": "罚款", "fineAmount": "1"}}
    body = await graphql(client, """mutation($i: [RecordInput!]!) { submitRecords(input: {records: $i}) {
        result { stored outcomes { recordId errors { field message } } } } }""", {"i": [item]}, token=SCJG)
    assert not body.get("errors"), body
    [outcome] = body["data"]["submitRecords"]["result"]["outcomes"]
    assert outcome["recordId"] is None
    [error] = outcome["errors"]
    assert error["field"].endswith("actEndedOn") and "9999-12-31 is in the future" in error["message"], error
