"""Receipts of creditCheck and verifyCreditCheck through HTTP (issue 17): a receipt verifies; an answer
altered by one byte does not; an edited receipts row or query-log entry is detected from the chain,
never trusted; only the user who checked, its department, auditors and the subject may verify.
A database of this module's own (entries are tampered with, then restored).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

import httpx
import pytest
from sqlalchemy import text, update

from domain.catalogue import load_profile
from store.models import CreditCheckReceipt, QueryLogEntry
from tests import world
from tests.check_helpers import CHECK, VERIFY, officer, record_input, submit
from tests.conftest import app_for, graphql, make_token
from tests.history_helpers import client_on
from tests.sweep_world import fresh

PROFILE = load_profile("huancui")
org = functools.partial(world.org_code, series="CR")
CODE = org(1)
CHECKER = make_token(user="cr-approver", department="XZSP", roles=["officer"], name="审批员甲")


@pytest.fixture(scope="module")
async def own_engine(backend, tmp_path_factory):
    engine = await fresh(backend, tmp_path_factory.mktemp("credit-receipts"), "credit_receipts")
    async with client_on(engine, dt.date(2026, 11, 2)) as client:
        await submit(client, "FY", record_input(PROFILE, "HC-13-1-JUDGMENT-DEFAULT", CODE, 1, "2026-05-01"))
    yield engine
    await engine.dispose()


def client_of(engine) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(engine)), base_url="http://gateway")


@pytest.fixture(scope="module")
async def receipt(own_engine) -> dict:
    async with client_of(own_engine) as client:
        body = await graphql(client, CHECK, {"code": CODE, "purpose": "BIDDING"}, token=CHECKER, purpose="BIDDING",
                             basis="ZB-2026-88")
    return body["data"]["creditCheck"]["receipt"]


async def verify(engine, receipt_id: str, answer_hash: str, token=CHECKER) -> dict:
    async with client_of(engine) as client:
        body = await graphql(client, VERIFY, {"i": {"receiptId": receipt_id, "answerHash": answer_hash}}, token=token)
    assert "errors" not in body, body
    return body["data"]["verifyCreditCheck"]


def altered_by_a_byte(answer_json: str) -> str:
    """The answer with one character changed: the verdict's first letter, as a forger would."""
    at = answer_json.index('"verdict":"') + len('"verdict":"')
    return answer_json[:at] + ("N" if answer_json[at] != "N" else "C") + answer_json[at + 1:]


def sha(text_: str) -> str:
    return hashlib.sha256(text_.encode()).hexdigest()


async def test_a_receipt_verifies_and_says_when_to_whom_and_why(own_engine, receipt):
    assert sha(receipt["answerJson"]) == receipt["answerHash"]
    found = await verify(own_engine, receipt["id"], receipt["answerHash"])
    assert (found["outcome"], found["valid"], found["reason"], found["purpose"]) == ("VALID", True, None, "BIDDING")
    assert found["checkedBy"] == {"user": "cr-approver", "userName": "审批员甲", "departmentCode": "XZSP",
                                  "department": {"code": "XZSP"}}
    assert found["subjectCode"] == CODE and found["checkedAt"].endswith("+00:00")


async def test_an_answer_altered_by_one_byte_does_not_verify(own_engine, receipt):
    forged = altered_by_a_byte(receipt["answerJson"])
    assert forged != receipt["answerJson"] and len(forged) == len(receipt["answerJson"])
    found = await verify(own_engine, receipt["id"], sha(forged))
    assert (found["outcome"], found["valid"]) == ("ANSWER_DIFFERS", False) and "not exactly" in found["reason"]


async def test_who_may_verify(own_engine, receipt):
    colleague = make_token(user="cr-colleague", department="XZSP", roles=["officer"])
    auditor = make_token(user="cr-auditor", department="FGJ", roles=["auditor"])
    subject = make_token(user="cr-subject", subject=CODE)
    other_department = officer("ZJJ", "cr-zjj")
    other_subject = make_token(user="cr-other", subject=org(2))
    for token in (colleague, auditor, subject):
        assert (await verify(own_engine, receipt["id"], receipt["answerHash"], token))["outcome"] == "VALID"
    for token in (other_department, other_subject, None):
        found = await verify(own_engine, receipt["id"], receipt["answerHash"], token)
        assert (found["outcome"], found["checkedAt"], found["checkedBy"]) == ("UNKNOWN_RECEIPT", None, None)
    unknown = await verify(own_engine, "R" + "0" * 24, receipt["answerHash"])
    assert unknown["outcome"] == "UNKNOWN_RECEIPT"
    async with client_of(own_engine) as client:
        bad = await graphql(client, VERIFY, {"i": {"receiptId": "nonsense", "answerHash": "00"}}, token=CHECKER)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def _tamper(engine, statement) -> None:
    """As an insider with database rights: the log's guards switched off for the change, then back on."""
    async with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            await connection.execute(text("ALTER TABLE query_log DISABLE TRIGGER USER"))
        else:
            triggers = (await connection.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'query_log'"))).all()
            for name, _ in triggers:
                await connection.execute(text(f"DROP TRIGGER {name}"))
        await connection.execute(statement)
        if postgres:
            await connection.execute(text("ALTER TABLE query_log ENABLE TRIGGER USER"))
        else:
            for _, sql in triggers:
                await connection.execute(text(sql))


async def test_an_edited_receipts_row_is_detected_from_the_chained_entry(own_engine, receipt):
    forged = sha(altered_by_a_byte(receipt["answerJson"]))
    R = CreditCheckReceipt.__table__
    await _tamper(own_engine, update(R).where(R.c.receipt_id == receipt["id"]).values(answer_hash=forged))
    try:
        found = await verify(own_engine, receipt["id"], forged)
        assert (found["outcome"], found["valid"]) == ("RECEIPT_ROW_ALTERED", False)
    finally:
        await _tamper(own_engine, update(R).where(R.c.receipt_id == receipt["id"])
                      .values(answer_hash=receipt["answerHash"]))
    assert (await verify(own_engine, receipt["id"], receipt["answerHash"]))["outcome"] == "VALID"


async def test_an_edited_log_entry_is_detected(own_engine, receipt):
    R, Q = CreditCheckReceipt.__table__, QueryLogEntry.__table__
    async with own_engine.connect() as connection:
        seq = (await connection.execute(R.select().where(R.c.receipt_id == receipt["id"]))).one().log_seq
        entry = (await connection.execute(Q.select().where(Q.c.seq == seq))).one()
    forged = sha(altered_by_a_byte(receipt["answerJson"]))
    receipts = [{**r, "hash": forged} if r["receipt"] == receipt["id"] else r for r in entry.receipts]
    await _tamper(own_engine, update(Q).where(Q.c.seq == seq).values(receipts=receipts))
    try:
        for answer_hash in (forged, receipt["answerHash"]):
            found = await verify(own_engine, receipt["id"], answer_hash)
            assert (found["outcome"], found["valid"]) == ("LOG_ENTRY_ALTERED", False)
    finally:
        await _tamper(own_engine, update(Q).where(Q.c.seq == seq).values(receipts=entry.receipts))
    assert (await verify(own_engine, receipt["id"], receipt["answerHash"]))["outcome"] == "VALID"
