"""Issue 11 through HTTP: a person's number that fails as a resident ID is refused as one, masked, and
never stored as an organisation (SPEC 2 Subject, 3.1, HC-7)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from store.models import QueryLogEntry, Record, Subject, SubmissionLogEntry
from tests.conftest import graphql, make_token

ISSUE_11 = "371002197702301020"  # a resident ID, birth date 1977-02-30; its last digit fits the USCC check
MASKED = "371002********1020"
REASON = (f"{MASKED} is not a valid resident ID number: the birth date at positions 7-14 is not a real date "
          "(check its year, month and day)")

SUBMIT = """
mutation Submit11($input: [RecordInput!]!) {
  submitRecords(input: {records: $input, mode: BEST_EFFORT, channel: API}) {
    result { stored rejected outcomes { index recordId status errors { code field message } } }
  }
}
"""
SCJG = make_token(user="sub-codes", department="SCJG", roles=["officer"])


def penalty(code: str) -> dict:
    return {
        "subjectCode": code, "subjectName": "王某某", "catalogueItem": "HC-13-6-PENALTY",
        "documentNumber": "威环市监罚〔2026〕C11号", "issuingAuthority": "环翠区市场监督管理局", "decidedOn": "2026-09-30",
        "content": {"violation": "销售过期食品", "legalBasis": "《食品安全法》第一百二十四条", "penaltyKind": "罚款",
                    "fineAmount": "1200.50"},
    }


async def _count(engine, model, *where) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(model).where(*where))).scalar()


async def _last_rows(engine, model, order_by, n: int = 5) -> list:
    async with engine.connect() as connection:
        return (await connection.execute(select(model.__table__).order_by(order_by.desc()).limit(n))).all()


async def test_a_resident_id_with_an_impossible_birth_date_is_refused_as_one_and_nothing_is_stored(client, engine):
    records = await _count(engine, Record)
    response = await client.post("/graphql", json={"query": SUBMIT, "variables": {"input": [penalty(ISSUE_11)]}},
                                 headers={"Authorization": f"Bearer {SCJG}"})
    body = response.json()
    assert "errors" not in body, body
    result = body["data"]["submitRecords"]["result"]
    assert (result["stored"], result["rejected"]) == (0, 1)
    [outcome] = result["outcomes"]
    assert (outcome["status"], outcome["recordId"]) == ("REJECTED", None)
    assert outcome["errors"] == [{"code": "INVALID", "field": "records[0].subjectCode", "message": REASON}]
    assert ISSUE_11 not in response.text and "19770230" not in response.text and "credit code" not in response.text
    assert await _count(engine, Subject, Subject.code == ISSUE_11) == 0
    assert await _count(engine, Record, Record.subject_code == ISSUE_11) == 0
    assert await _count(engine, Record) == records
    # and the logs keep the number masked
    for row in await _last_rows(engine, QueryLogEntry, QueryLogEntry.seq):
        assert ISSUE_11 not in json.dumps(row._asdict(), default=str, ensure_ascii=False)
    for row in await _last_rows(engine, SubmissionLogEntry, SubmissionLogEntry.seq):
        assert ISSUE_11 not in json.dumps(row._asdict(), default=str, ensure_ascii=False)


async def test_the_public_asking_for_it_is_told_it_is_no_valid_resident_id_masked(client):
    response = await client.post("/graphql", json={"query": "query($c: ID!) { subject(code: $c) { code kind name } }",
                                                   "variables": {"c": ISSUE_11}})
    body = response.json()
    assert body["data"]["subject"] is None
    [error] = body["errors"]
    assert error["message"] == REASON
    assert (error["extensions"]["code"], error["extensions"]["fault"]) == ("BAD_USER_INPUT", "DATE")
    assert error["extensions"]["messageZh"] == "公民身份号码出生日期无效"
    assert ISSUE_11 not in response.text


async def test_a_credit_code_outside_gb_32100s_table_is_refused_naming_the_rule(client):
    # enterprise (9) with category 4, which 工商 does not assign; every check character right
    from domain.identifiers import credit_code_check_char, organisation_code_check_char
    first17 = "94371002MA000011" + organisation_code_check_char("MA000011")
    code = first17 + credit_code_check_char(first17)
    body = await graphql(client, "query($c: ID!) { subject(code: $c) { code } }", {"c": code})
    [error] = body["errors"]
    assert error["extensions"]["fault"] == "CATEGORY"
    assert error["message"] == (f"{code} is not a valid unified social credit code: category '4' at position 2 is "
                                "not one that registration authority '9' (工商) assigns: it assigns 1, 2, 3 (GB 32100)")
