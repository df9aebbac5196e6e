"""What the query log keeps of a request's receipts and remote calls, and what verify-log guards (issue 12,
for the columns issues 17 and 18 add: `query_log.receipts`, `query_log.remote_calls`, hashed when set).

No feature issues receipts or calls a federated source yet, so the entries are built here as the app
builds them (gateway.query_log.build_entry) and written through the query log's writer, several in one
group commit: each receipt's row (`credit_check_receipts`) must name the entry that holds its hash,
and an insider's edit of either column must be named by `credit-gateway verify-log`.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from domain.enums import Purpose
from domain.principal import Principal
from gateway.query_log import QueryLogWriter, build_entry
from resolvers.context import Operation
from store.bootstrap import initialise
from store.chain import QUERY_LOG, logged_subject
from store.engine import create_engine
from store.log_archive import verify_stored
from store.models import CreditCheckReceipt
from tests.conftest import scratch_url
from tests.test_log_pins import cli, entry, set_column, unguard

AT = dt.datetime(2026, 11, 30, 8, 15, tzinfo=dt.timezone.utc)
CALL = {"source": "tax", "fields": ["taxRating"], "status": 200, "ms": 12.5}


def _built(request_id: str, receipts=None, remote_calls=None) -> dict:
    return build_entry(
        request_id=request_id, started=AT, duration_ms=3.0,
        principal=Principal(user="pin-receipts", name="回执员", department="SCJG", roles=frozenset({"officer"})),
        client="203.0.113.9", operation=Operation(document="{ creditCheck }", name="Check", type="query",
                                                  variables={"c": "91350100M000100Y43"}),
        purpose=Purpose.LICENSING, basis="SQ-RECEIPT", authorization_id=None, subjects=["91350100M000100Y43"],
        record_ids=[], status=200, errors=[], has_data=True, remote_calls=remote_calls, receipts=receipts)


def _receipt(n: int) -> dict:
    return {"receipt": f"RPIN{n:020d}", "code": "91350100M000100Y43", "hash": f"{n:064x}", "kind": "CREDIT_CHECK"}


def test_an_entry_keeps_receipts_and_remote_calls_only_when_the_request_had_them():
    plain, none = _built("plain", [], []), _built("none")
    assert plain["receipts"] is plain["remote_calls"] is none["receipts"] is none["remote_calls"] is None
    calls, receipts = [dict(CALL)], [_receipt(1)]
    kept = _built("kept", receipts, calls)
    assert (kept["receipts"], kept["remote_calls"]) == ([_receipt(1)], [CALL])
    receipts[0]["hash"], calls[0]["status"] = "edited later", 500  # a copy, taken when the entry was built
    assert (kept["receipts"], kept["remote_calls"]) == ([_receipt(1)], [CALL])


async def test_receipt_rows_name_their_entry_and_verify_log_names_an_edit_of_receipts_or_remote_calls(
        backend, tmp_path, monkeypatch):
    url = await scratch_url(backend, tmp_path, "receipt_pins")
    engine = create_engine(url)
    try:
        await initialise(engine, "huancui")
        writer = QueryLogWriter(engine)
        entries = [_built("r-plain"), _built("r-one", [_receipt(1)], [CALL]), _built("r-none"),
                   _built("r-two", [_receipt(2), _receipt(3)])]
        try:  # appended together: one group commit, the receipts of the 2nd and 4th entries among them
            await asyncio.gather(*(writer.append(e, "{ creditCheck }", ["91350100M000100Y43"]) for e in entries))
        finally:
            await writer.close()
        async with engine.connect() as connection:
            seq = dict((await connection.execute(select(QUERY_LOG.c.request_id, QUERY_LOG.c.seq))).all())
            rows = (await connection.execute(select(CreditCheckReceipt.__table__)
                                             .order_by(CreditCheckReceipt.receipt_id))).all()
        assert sorted(seq.values()) == list(range(min(seq.values()), min(seq.values()) + 4))
        assert [(r.receipt_id, r.log_seq, r.subject_code, r.answer_hash, r.created_at) for r in rows] == [
            (_receipt(1)["receipt"], seq["r-one"], "91350100M000100Y43", _receipt(1)["hash"], AT),
            (_receipt(2)["receipt"], seq["r-two"], "91350100M000100Y43", _receipt(2)["hash"], AT),
            (_receipt(3)["receipt"], seq["r-two"], "91350100M000100Y43", _receipt(3)["hash"], AT)]
        one = await entry(engine, QUERY_LOG, seq["r-one"])
        assert (one["receipts"], one["remote_calls"]) == ([_receipt(1)], [CALL])
        assert (await verify_stored(engine, QUERY_LOG)).fault is None

        await unguard(engine)
        edits = [("receipts", [{**_receipt(1), "hash": "f" * 64}]), ("receipts", None),
                 ("remote_calls", [{**CALL, "status": 500}]), ("remote_calls", None)]
        for column, value in edits:
            await set_column(engine, QUERY_LOG, seq["r-one"], column, value)
            status, out = await cli(monkeypatch, url, tmp_path / "no-checkpoints", "verify-log")
            assert status == 1 and f"query_log: FAULT EDITED at entry {seq['r-one']}:" in out, (column, value, out)
            await set_column(engine, QUERY_LOG, seq["r-one"], column, one[column])
            assert (await verify_stored(engine, QUERY_LOG)).fault is None, column
        # and added to an entry that had none: a receipt forged afterwards for an answer never given
        await set_column(engine, QUERY_LOG, seq["r-none"], "receipts", [_receipt(9)])
        status, out = await cli(monkeypatch, url, tmp_path / "no-checkpoints", "verify-log")
        assert status == 1 and f"query_log: FAULT EDITED at entry {seq['r-none']}:" in out, out
    finally:
        await engine.dispose()


async def test_a_residents_receipt_keeps_the_id_masked_in_the_entry_and_whole_in_the_receipts_index(
        backend, tmp_path):
    """The entry is what supervisors read: a resident ID in it is masked like its `subjects` (SPEC 3.1);
    the receipts index, like the per-subject index, keeps the whole code so the subject may verify."""
    person = "110101199003070012"
    url = await scratch_url(backend, tmp_path, "receipt_mask")
    engine = create_engine(url)
    try:
        await initialise(engine, "huancui")
        writer = QueryLogWriter(engine)
        receipt = {**_receipt(7), "code": person}
        built = _built("r-person", [receipt])
        assert built["receipts"][0]["code"] == logged_subject(person) != person
        try:
            await writer.append(built, "{ creditCheck }", [person], {receipt["receipt"]: person})
        finally:
            await writer.close()
        async with engine.connect() as connection:
            row = (await connection.execute(select(CreditCheckReceipt.__table__))).one()
            logged = (await connection.execute(select(QUERY_LOG.c.receipts))).scalar_one()
        assert row.subject_code == person
        assert logged == [{**receipt, "code": logged_subject(person)}] and person not in str(logged)
    finally:
        await engine.dispose()
