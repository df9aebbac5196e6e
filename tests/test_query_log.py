"""The query log (HC-23, HC-35, XZ-19): one entry per operation, committed before the answer,
tamper-evident, readable by auditors and by the subject, purged only past retention."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import tempfile

import httpx
import pytest
from sqlalchemy import event, func, select, text

from gateway.query_log import QueryLogWriter
from store.chain import QUERY_LOG, SUBMISSION_LOG, append
from store.engine import create_engine
from store.models import QueryLogEntry
from tests import world as w
from tests.conftest import app_for, graphql, make_token, scratch_url

AUDITOR = dict(user="aud-1", department="FGJ", roles=["auditor"])


async def last_entry(engine) -> QueryLogEntry:
    async with engine.connect() as connection:
        return (await connection.execute(select(QueryLogEntry.__table__).order_by(QueryLogEntry.seq.desc())
                                         .limit(1))).one()


async def entry_count(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(QueryLogEntry.__table__))).scalar()


async def test_every_kind_of_operation_gets_exactly_one_entry(engine, client):
    cases = [
        # (request kwargs, expected outcome)
        (dict(json={"query": "query Mine($c: ID!) { subject(code: $c) { name } }", "variables": {"c": w.PERSON_P},
                    "operationName": "Mine"}), "OK"),
        (dict(json={"query": "{ subject(code: "}), "ERROR"),
        (dict(json={"query": "{ subject(code: \"%s\") { records { edges { node { lateWorkingDays } } } } }" % w.ORG_A}),
         "REFUSED"),
        (dict(json={"query": "{ departments { code } }"}, headers={"Authorization": "Bearer forged.token.here"}),
         "UNAUTHENTICATED"),
        (dict(json={"query": "{ departments { code } }"}, headers={"X-Query-Purpose": "gossip"}), "BAD_REQUEST"),
    ]
    for kwargs, outcome in cases:
        before = await entry_count(engine)
        response = await client.post("/graphql", **kwargs)
        # durable before the answer: the entry is there as soon as the response is
        assert await entry_count(engine) == before + 1, kwargs
        entry = await last_entry(engine)
        assert entry.outcome == outcome, (kwargs, entry.outcome)
        # every answer names its request id, and the entry is that request's
        assert response.headers.get("x-request-id"), (kwargs, dict(response.headers))
        assert entry.request_id == response.headers["x-request-id"], kwargs
    first = await _entry_for(engine, "Mine")
    assert first.operation_type == "query" and first.document_hash
    assert first.variables == {"c": w.PERSON_P[:6] + "********" + w.PERSON_P[-4:]}  # personal identifiers masked
    assert w.PERSON_P[:6] + "********" + w.PERSON_P[-4:] in first.subjects


async def _entry_for(engine, operation_name: str):
    async with engine.connect() as connection:
        return (await connection.execute(select(QueryLogEntry.__table__).where(
            QueryLogEntry.operation_name == operation_name).order_by(QueryLogEntry.seq.desc()).limit(1))).one()


async def test_entry_records_who_why_what_and_refusals(engine, client):
    token = make_token(user="o-log", department="TW", roles=["officer"])  # TW provides none of these
    query = ("query Look($c: [ID!]!) { subjects(codes: $c) { records { edges { node { id "
             "lateWorkingDays } } } } }")
    await graphql(client, query, {"c": [w.ORG_A]}, token=token)  # no purpose: late field refused
    entry = await _entry_for(engine, "Look")
    assert (entry.user, entry.department, entry.roles) == ("o-log", "TW", ["officer"])
    assert entry.outcome == "REFUSED" and entry.record_ids == [w.WORLD.records["A-PUBLIC"]]
    assert {r["code"] for r in entry.refused} == {"FORBIDDEN", "PURPOSE_REQUIRED"}
    assert any(r["path"].endswith("lateWorkingDays") for r in entry.refused)
    from tests import permits

    await permits.ensure(client, "HC-SQ-LOG-TW", "TW", ["SHARED"])  # Huancui: SHARED needs a permit (HC-23)
    await graphql(client, query.replace("Look", "LookWhy"), {"c": [w.ORG_A]}, token=token, purpose="licensing",
                  basis="HC-SQ-LOG-TW")
    entry = await _entry_for(engine, "LookWhy")
    assert (entry.purpose, entry.basis, entry.outcome) == ("LICENSING", "HC-SQ-LOG-TW", "OK")
    assert set(entry.record_ids) == {w.WORLD.records["A-PUBLIC"], w.WORLD.records["A-SHARED"]}


async def test_concurrent_entries_are_group_committed_and_chain(engine):
    commits = []  # each append transaction takes the chain head's lock once

    def count_inserts(_c, _cur, statement, *_a, **_k):
        if "pg_advisory_xact_lock" in statement or statement.startswith("UPDATE settings"):
            commits.append(statement)

    app = app_for(engine)
    writes_through = app.state.gateway.query_log.writes_through  # a thread's own engine on SQLite
    event.listen(writes_through, "before_cursor_execute", count_inserts)
    try:
        before = await entry_count(engine)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
            responses = await asyncio.gather(*[
                client.post("/graphql", json={"query": "query Burst { departments { code } }"}) for _ in range(40)])
    finally:
        event.remove(writes_through, "before_cursor_execute", count_inserts)
    assert all(r.status_code == 200 for r in responses)
    assert await entry_count(engine) == before + 40
    assert 0 < len(commits) < 40  # several entries per transaction
    from store.log_archive import verify_stored

    result = await verify_stored(engine, QUERY_LOG)
    assert result.fault is None and result.checked >= 40


async def test_fails_closed_when_the_log_cannot_be_written(engine):
    app = app_for(engine)
    nowhere = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    app.state.gateway.query_log = QueryLogWriter(nowhere)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as client:
        response = await client.post("/graphql", json={"query": "{ departments { code name } }"})
    assert response.status_code == 503
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "QUERY_LOG_UNAVAILABLE"
    await nowhere.dispose()


async def test_the_database_refuses_to_edit_or_delete_entries(engine, client):
    await client.post("/graphql", json={"query": "{ departments { code } }"})
    from store.chain import append_submission_log

    async with engine.begin() as connection:
        await append_submission_log(connection, user="t", department=None, action="TEST")
    for statement in ("UPDATE query_log SET outcome = 'OK'", "DELETE FROM query_log",
                      "UPDATE submission_log SET action = 'X'"):
        with pytest.raises(Exception, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))


async def test_auditors_read_the_log_and_others_are_refused(engine, client):
    await graphql(client, "query Spy { subject(code: \"%s\") { records { edges { node { lateWorkingDays } } } } }"
                  % w.ORG_B)
    query = """query($f: QueryLogFilter) { queryLog(filter: $f, first: 5) { totalCount hasNextPage
               edges { node { seq outcome operationName refused subjects } } } }"""
    body = await graphql(client, query, {"f": {"refusedOnly": True, "subject": w.ORG_B}}, token=make_token(**AUDITOR))
    log = body["data"]["queryLog"]
    assert log["totalCount"] >= 1
    assert log["edges"] and all(e["node"]["outcome"] in ("REFUSED", "UNAUTHENTICATED") for e in log["edges"])
    assert any(e["node"]["operationName"] == "Spy" for e in log["edges"])
    body = await graphql(client, query, {}, token=make_token(user="o", department="SCJG", roles=["officer"]),
                         purpose="supervision", basis="X-1")
    assert body["data"]["queryLog"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_subject_sees_its_query_count_and_who_queried_it(engine, client):
    officer = make_token(user="o-hist", department="SCJG", roles=["officer"])
    me = make_token(user="q", subject=w.PERSON_Q)
    query = "{ subject(code: \"%s\") { queryCount queryHistory(first: 50) { department { code } purpose basis } } }" % w.PERSON_Q
    first = (await graphql(client, query, token=me))["data"]["subject"]["queryCount"]
    await graphql(client, "{ subject(code: \"%s\") { name } }" % w.PERSON_Q, token=officer, purpose="hiring",
                  basis="ZP-2026-3")
    subject = (await graphql(client, query, token=me))["data"]["subject"]
    assert subject["queryCount"] == first + 2  # the officer's query and my own previous one
    assert {"department": {"code": "SCJG"}, "purpose": "HIRING", "basis": "ZP-2026-3"} in subject["queryHistory"]
    other = await graphql(client, query, token=officer, purpose="hiring", basis="ZP-2026-3")
    assert other["data"]["subject"]["queryCount"] is None
    assert {e["extensions"]["code"] for e in other["errors"]} == {"FORBIDDEN"}


async def test_authorisations_are_in_the_submission_log(engine, client):
    start = dt.datetime.now(dt.timezone.utc)
    await graphql(client, """mutation { grantAuthorization(input: {grantee: {user: "bank-log"}, scope: {classes: [SHARED]},
        purpose: LICENSING, validFrom: "%s", validUntil: "%s", writtenAuthorizationRef: "SQ-L"}) { authorization { id } } }"""
                  % (start.isoformat(), (start + dt.timedelta(days=5)).isoformat()),
                  token=make_token(user="p", subject=w.PERSON_P))
    async with engine.connect() as connection:
        row = (await connection.execute(select(SUBMISSION_LOG).order_by(SUBMISSION_LOG.c.seq.desc()).limit(1))).one()
    assert row.action == "AUTHORIZE" and row.detail["subject"] == w.PERSON_P


# ---- tampering, caught by `credit-gateway verify-log` on a real database -----------------------

def verify_log(url: str, *extra: str, data_dir=None) -> subprocess.CompletedProcess:
    """`credit-gateway verify-log` on `url`, with the checkpoints and key of `data_dir` (default: a new, empty one)."""
    env = {**os.environ, "DATABASE_URL": url, "CREDIT_DATA_DIR": str(data_dir or tempfile.mkdtemp())}
    return subprocess.run([sys.executable, "-m", "gateway.cli", "verify-log", "--log", "query", *extra], env=env,
                          capture_output=True, text=True, timeout=60)


async def chain_of(backend, tmp_path, name, n=6):
    from store.bootstrap import initialise

    url = await scratch_url(backend, tmp_path, name)
    engine = create_engine(url)
    await initialise(engine, "huancui")
    for i in range(n):
        async with engine.begin() as connection:
            await append(connection, QUERY_LOG, [dict(request_id=f"r{i}", outcome="OK", duration_ms=1.5 + i,
                                                      roles=[], variables={"i": i}, subjects=[], record_ids=[i],
                                                      refused=[], user=f"user-{i}")])
    return url, engine


async def unguarded(engine, statements):
    """Tamper as an attacker with database rights would: switch the guards off first."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE query_log DISABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER query_log_no_update"))
            await connection.execute(text("DROP TRIGGER query_log_no_delete"))
        for statement in statements:
            await connection.execute(text(statement))


TAMPERING = {
    "edited": (["UPDATE query_log SET basis = 'forged-basis' WHERE seq = 3"], "EDITED at entry 3"),
    "deleted": (["DELETE FROM query_log WHERE seq = 3"], "DELETED at entry 4"),
    "inserted": (["INSERT INTO query_log (seq, at, request_id, roles, variables, subjects, record_ids, refused, "
                  "outcome, duration_ms, prev_hash, entry_hash) SELECT 100, at, 'forged', roles, variables, subjects, "
                  "record_ids, refused, outcome, duration_ms, prev_hash, 'x' || substr(entry_hash, 2) "
                  "FROM query_log WHERE seq = 2"], "INSERTED_OR_REORDERED at entry 100"),
    "reordered": (["UPDATE query_log SET seq = 1000 WHERE seq = 2", "UPDATE query_log SET seq = 2 WHERE seq = 3",
                   "UPDATE query_log SET seq = 3 WHERE seq = 1000"], "INSERTED_OR_REORDERED at entry 2"),
}


@pytest.mark.parametrize("how", TAMPERING)
async def test_verify_log_names_the_first_tampered_entry(backend, tmp_path, how):
    url, engine = await chain_of(backend, tmp_path, f"tamper_{how}")
    intact = verify_log(url)
    assert intact.returncode == 0 and "6 entries verified" in intact.stdout
    statements, expected = TAMPERING[how]
    await unguarded(engine, statements)
    await engine.dispose()
    result = verify_log(url)
    assert result.returncode == 1 and expected in result.stdout, result.stdout + result.stderr


# ---- retention ----------------------------------------------------------------------------------

async def test_export_purges_only_past_retention_and_everything_still_verifies(backend, tmp_path):
    url, engine = await chain_of(backend, tmp_path, "retention", n=0)
    old = dt.datetime(1990, 1, 1, tzinfo=dt.timezone.utc)
    async with engine.begin() as connection:
        for i in range(3):  # thirty-odd years old: past huancui's 30-year retention
            await append(connection, QUERY_LOG, [dict(at=old + dt.timedelta(days=i), request_id=f"old{i}",
                         outcome="OK", duration_ms=1.0, roles=[], variables={}, subjects=[], record_ids=[],
                         refused=[])])
        await append(connection, QUERY_LOG, [dict(request_id="new", outcome="OK", duration_ms=1.0, roles=[],
                                                  variables={}, subjects=[], record_ids=[], refused=[])])
    await engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "CREDIT_DATA_DIR": str(tmp_path)}
    young = subprocess.run([sys.executable, "-m", "gateway.cli", "export-log", "--before", "2020-01-01",
                            "--out", str(tmp_path / "archive")], env=env, capture_output=True, text=True)
    assert young.returncode == 2 and "can never be purged" in young.stderr
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "export-log", "--log", "query", "--before",
                           "1991-01-01", "--out", str(tmp_path / "archive")], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "3 entries exported" in done.stdout, done.stderr
    result = verify_log(url, "--segments", str(tmp_path / "archive"), data_dir=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "3 entries verified" in result.stdout and "query_log: 1 entries verified" in result.stdout


@pytest.mark.e2e
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_workers_extend_one_chain_concurrently(tmp_path, database):
    """Several processes append to one chain: the head lock keeps every link intact."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.server import running_gateway

    url = asyncio.run(scratch_url(database, tmp_path, "two_writers"))
    env = {**os.environ, "DATABASE_URL": url, "CREDIT_DATA_DIR": str(tmp_path), "LOAD_DEMO_ON_EMPTY": "false"}
    with running_gateway(tmp_path, env=env) as first, running_gateway(tmp_path, env=env) as second:
        def hit(i: int) -> int:
            base = first if i % 2 else second
            return httpx.post(f"{base}/graphql", json={"query": "query Two { departments { code } }"},
                              timeout=30).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(hit, range(120)))
    assert statuses == [200] * 120
    result = verify_log(url)
    assert result.returncode == 0, result.stdout
    checked = int(result.stdout.split("query_log: ")[1].split(" entries")[0])
    assert checked >= 120
