"""What the logs must keep and what their hashes must cover (HC-23, HC-35, XZ-19; issue 12).

The entries are written through HTTP by the real app (the query log's writer, the submission log
of a permit's registration and of an authorisation), on a database of this module's own (the
pins world, tests/pins_world.py), and `credit-gateway verify-log` must name each change made to
them as someone with database rights would make it (the guards switched off first):

- every column of both logs but the hashes and the sequence number, edited one at a time (and
  restored before the next): a column left out of the hash would let its value be rewritten;
- an entry deleted and its successor relinked to its predecessor: the hash must cover `prev_hash`;
- after every entry was exported and purged, the next append must link to the anchor they left.

And an entry keeps the written authorisation the answer relied on and the client's address.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import JSON, DateTime, Float, Integer, String, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from store.bootstrap import initialise
from store.chain import QUERY_LOG, SUBMISSION_LOG, append
from store.engine import create_engine
from store.log_archive import verify_stored
from store.models import QueryLogSubject, Setting
from tests import permits
from tests import pins_world as pw
from tests.conftest import app_for, graphql, make_token, scratch_url, row_number

CLIENT_ADDRESS = "203.0.113.7"  # the peer the ASGI transport reports (TEST-NET-3)
READ = """query %s($c: [ID!]!) {
  subjects(codes: $c) { code queryCount records(first: 50) { edges { node { id } } } }
}"""
GRANT = """
mutation($from: DateTime!, $until: DateTime!) {
  grantAuthorization(input: {grantee: {department: "SCJG"}, scope: {classes: [AUTHORIZED]}, purpose: LICENSING,
                             validFrom: $from, validUntil: $until, writtenAuthorizationRef: "SQ-PIN-LOG"}) {
    authorization { id } errors { message } }
}
"""
HASHES = ("seq", "prev_hash", "entry_hash")  # the entry's place and its links: not content


@dataclass
class Logged:
    url: str
    engine: AsyncEngine
    grant_id: int
    world: pw.PinsWorld
    reads: dict[str, int]  # operation name -> its entry's seq


async def logged_database(backend: str, tmp_path: Path, name: str) -> Logged:
    """A database of its own whose logs were written by the app: a permit registered and an
    authorisation given (submission log), then an officer of the authorised department reading the
    person (whose AUTHORIZED record the authorisation opens) and an organisation, three times, and
    another permit registered (the authorisation's submission entry has a successor)."""
    url = await scratch_url(backend, tmp_path, name)
    engine = create_engine(url)
    await initialise(engine, "huancui")
    world = await pw.populate(engine)
    transport = httpx.ASGITransport(app=app_for(engine), client=(CLIENT_ADDRESS, 4711))
    now = dt.datetime.now(dt.timezone.utc)
    officer = make_token(user="pin-scjg", department="SCJG", roles=["officer"])
    reads = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        assert (await permits.register(client, "HC-SQ-PIN-LOG", "SCJG", ["SHARED"]))["permit"]
        body = await graphql(client, GRANT, {"from": (now - dt.timedelta(days=1)).isoformat(),
                                             "until": (now + dt.timedelta(days=30)).isoformat()},
                             token=make_token(user="pin-person", subject=pw.PERSON))
        assert body["data"]["grantAuthorization"]["errors"] == [], body
        grant_id = row_number(body["data"]["grantAuthorization"]["authorization"]["id"])
        for i in range(3):
            for name_, code in ((f"PinPerson{i}", pw.PERSON), (f"PinOrg{i}", pw.ORG)):
                await graphql(client, READ % name_, {"c": [code]}, token=officer, purpose="licensing",
                              basis="SQ-PIN-LOG")
                reads[name_] = await _seq_of(engine, name_)
        assert (await permits.register(client, "HC-SQ-PIN-LOG-2", "SCJG", ["SHARED"]))["permit"]
    return Logged(url, engine, grant_id, world, reads)


async def _seq_of(engine, operation_name: str) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(QUERY_LOG.c.seq).where(
            QUERY_LOG.c.operation_name == operation_name))).scalar_one()


async def entry(engine, table, seq: int) -> dict:
    async with engine.connect() as connection:
        return dict((await connection.execute(select(table).where(table.c.seq == seq))).one()._mapping)


async def unguard(engine) -> None:
    """Switch the append-only guards off, as someone with database rights can."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for table in ("query_log", "query_log_subjects", "submission_log"):
                await connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            names = (await connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))).scalars()
            for name in list(names):
                await connection.execute(text(f"DROP TRIGGER {name}"))


async def set_column(engine, table, seq: int, column: str, value) -> None:
    async with engine.begin() as connection:
        await connection.execute(table.update().where(table.c.seq == seq).values({column: value}))


def cli(monkeypatch, url: str, data_dir: Path, *args: str):
    """`credit-gateway ARGS` in this process (on a thread: it runs its own event loop): (exit status, stdout)."""
    from gateway.cli import main

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CREDIT_DATA_DIR", str(data_dir))

    def run() -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main(list(args))
        return status, out.getvalue()

    return asyncio.to_thread(run)


def changed(value, column):
    """Another value of the column's type: what an attacker would write instead."""
    if value is None:
        kind = column.type
        if isinstance(kind, JSON):
            return {"forged": 1}
        if isinstance(kind, DateTime):
            return dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        if isinstance(kind, Float):
            return 1.0
        if isinstance(kind, Integer):
            return 424242
        assert isinstance(kind, String), column
        return "forged"
    if isinstance(value, str):
        return value[:-1] + ("0" if value[-1:] != "0" else "1")  # same length: fits the column
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(seconds=1)
    if isinstance(value, list):
        return [*value, "forged"]
    if isinstance(value, dict):
        return {**value, "forged": 1}
    raise AssertionError(f"no edit for {column.name} = {value!r}")


# ---- what an entry keeps ---------------------------------------------------------------------------

async def test_an_entry_keeps_the_authorisation_used_and_the_client_address(backend, tmp_path):
    logged = await logged_database(backend, tmp_path, "log_pins_kept")
    try:
        person = await entry(logged.engine, QUERY_LOG, logged.reads["PinPerson1"])
        assert person["authorization_id"] == logged.grant_id
        assert person["client"] == CLIENT_ADDRESS
        assert (person["user"], person["user_name"], person["department"], person["roles"]) == \
            ("pin-scjg", "测试员 pin-scjg", "SCJG", ["officer"])
        assert (person["purpose"], person["basis"]) == ("LICENSING", "SQ-PIN-LOG")
        assert logged.world.records["AUTHORIZED"] in person["record_ids"]  # what the authorisation opened
        assert {"path": "subjects/0/queryCount", "code": "FORBIDDEN"}.items() <= person["refused"][0].items()
        # every column holds a value (but the columns of what this request did not do: no federated
        # source called, no creditCheck receipt issued): the tamper test below edits real content
        assert [name for name, value in person.items() if value is None] == ["remote_calls", "receipts"]
        # the same reader on a subject no authorisation opens: none used
        org = await entry(logged.engine, QUERY_LOG, logged.reads["PinOrg1"])
        assert org["authorization_id"] is None and org["client"] == CLIENT_ADDRESS
    finally:
        await logged.engine.dispose()


# ---- what the hashes cover ----------------------------------------------------------------------------

async def test_verify_log_names_an_edit_of_every_column_of_both_logs(backend, tmp_path, monkeypatch):
    logged = await logged_database(backend, tmp_path, "log_pins_columns")
    engine = logged.engine
    try:
        await unguard(engine)
        async with engine.connect() as connection:
            # a submission entry between two others: the authorisation's
            submission_seq = (await connection.execute(select(SUBMISSION_LOG.c.seq).where(
                SUBMISSION_LOG.c.action == "AUTHORIZE"))).scalar_one()
            assert (await connection.execute(select(SUBMISSION_LOG.c.seq).where(
                SUBMISSION_LOG.c.seq < submission_seq))).first() is not None
        targets = [(QUERY_LOG, logged.reads["PinPerson1"]), (SUBMISSION_LOG, submission_seq)]
        edits = 0
        for table, seq in targets:
            original = await entry(engine, table, seq)
            columns = [c for c in table.columns if c.name not in HASHES]
            assert {"refused", "user", "user_name", "client", "authorization_id"} <= {c.name for c in columns} \
                if table is QUERY_LOG else {"detail", "user", "action"} <= {c.name for c in columns}
            for column in columns:
                replacements = [changed(original[column.name], column)]
                if column.name == "user_name":  # hashed when it holds a value: clearing it must show too
                    replacements.append(None)
                for value in replacements:
                    await set_column(engine, table, seq, column.name, value)
                    status, out = await cli(monkeypatch, logged.url, tmp_path / "no-checkpoints", "verify-log")
                    assert status == 1 and f"{table.name}: FAULT EDITED at entry {seq}:" in out, \
                        (table.name, column.name, value, out)
                    await set_column(engine, table, seq, column.name, original[column.name])
                    restored = await verify_stored(engine, table)
                    assert restored.fault is None, (column.name, restored.fault)
                    edits += 1
        assert edits >= len(QUERY_LOG.columns) + len(SUBMISSION_LOG.columns) - 2 * len(HASHES) + 1
    finally:
        await engine.dispose()


async def test_an_entry_deleted_and_its_successor_relinked_is_named(backend, tmp_path, monkeypatch):
    """Deleting entry k and setting k+1's prev_hash to k-1's hash relinks the chain: only a hash that
    covers prev_hash still tells (no checkpoint records entry k here)."""
    logged = await logged_database(backend, tmp_path, "log_pins_relinked")
    engine = logged.engine
    try:
        status, out = await cli(monkeypatch, logged.url, tmp_path / "no-checkpoints", "verify-log")
        assert status == 0 and "FAULT" not in out, out
        await unguard(engine)
        deleted = {QUERY_LOG: logged.reads["PinPerson1"]}
        async with engine.connect() as connection:
            deleted[SUBMISSION_LOG] = (await connection.execute(select(SUBMISSION_LOG.c.seq).where(
                SUBMISSION_LOG.c.action == "AUTHORIZE"))).scalar_one()
        for table, seq in deleted.items():
            async with engine.connect() as connection:
                before, after = (await connection.execute(select(table.c.seq, table.c.entry_hash).where(
                    table.c.seq.in_([seq - 1, seq + 1])).order_by(table.c.seq))).all()
            assert (before.seq, after.seq) == (seq - 1, seq + 1)
            async with engine.begin() as connection:
                if table is QUERY_LOG:
                    await connection.execute(QueryLogSubject.__table__.delete().where(QueryLogSubject.seq == seq))
                await connection.execute(table.delete().where(table.c.seq == seq))
                await connection.execute(table.update().where(table.c.seq == seq + 1)
                                         .values(prev_hash=before.entry_hash))
        status, out = await cli(monkeypatch, logged.url, tmp_path / "no-checkpoints", "verify-log")
        assert status == 1, out
        for table, seq in deleted.items():
            assert re.search(rf"^{table.name}: FAULT \w+ at entry {seq + 1}:", out, re.M), out
    finally:
        await engine.dispose()


async def test_an_append_after_every_entry_was_purged_links_to_the_anchor(backend, tmp_path, monkeypatch):
    url = await scratch_url(backend, tmp_path, "log_pins_anchor")
    engine = create_engine(url)
    try:
        await initialise(engine, "huancui")
        old = dt.datetime(1990, 1, 1, tzinfo=dt.timezone.utc)  # past huancui's 30-year retention
        async with engine.begin() as connection:
            for i in range(3):
                await append(connection, QUERY_LOG, [dict(at=old + dt.timedelta(days=i), request_id=f"old{i}",
                             outcome="OK", duration_ms=1.0, roles=[], variables={}, subjects=[], record_ids=[],
                             refused=[])])
                await append(connection, SUBMISSION_LOG, [dict(at=old + dt.timedelta(days=i), user="old",
                                                               action="SUBMIT", detail={"n": i})])
        data_dir = tmp_path / "data"
        status, out = await cli(monkeypatch, url, data_dir, "export-log", "--before", "1991-01-01", "--out",
                                str(tmp_path / "archive"))
        assert status == 0 and "query log: 3 entries exported" in out and "submission log: 3 entries exported" in out
        async with engine.connect() as connection:
            for table in (QUERY_LOG, SUBMISSION_LOG):
                assert (await connection.execute(select(table.c.seq))).first() is None  # every entry purged
        # the app appends to both emptied chains: a query, and a permit's registration (submission log)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(engine)),
                                     base_url="http://gateway") as client:
            assert (await permits.register(client, "HC-SQ-PIN-ANCHOR", "SCJG", ["SHARED"]))["permit"]
        async with engine.connect() as connection:
            for table in (QUERY_LOG, SUBMISSION_LOG):
                anchor = (await connection.execute(select(Setting.value).where(
                    Setting.key == f"{table.name}_anchor"))).scalar_one()
                first = (await connection.execute(select(table.c.seq, table.c.prev_hash).order_by(table.c.seq)
                                                  .limit(1))).one()
                assert anchor == f"3:{first.prev_hash}", (table.name, anchor, first)
        status, out = await cli(monkeypatch, url, data_dir, "verify-log", "--segments", str(tmp_path / "archive"))
        assert status == 0 and "FAULT" not in out, out
        assert "query_log: 1 entries verified, chain intact" in out
        assert "submission_log: 1 entries verified, chain intact" in out
    finally:
        await engine.dispose()
