"""The logs hold against someone with database access (SPEC 3.6, issue 11).

Each attack is done on a copy of a signed database (a SQLite file copy; a PostgreSQL database made
from it as a template) with the triggers switched off, as an attacker with database rights would;
then `credit-gateway verify-log` must name it. The retention attack is tried with the triggers in
place: the database itself must refuse it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from gateway.log_checkpoints import CheckpointPolicy, LogCheckpoints
from gateway.query_log import QueryLogWriter, document_hash
from store.bootstrap import initialise
from store.chain import QUERY_LOG, SUBMISSION_LOG, append_submission_log, entry_hash, logged_subject
from store.checkpoints import CheckpointSink
from store.engine import create_engine
from tests import world as w
from tests.conftest import graphql, scratch_url

ENTRIES = 130
CODES = [w.PERSON_P, w.ORG_A, w.PERSON_Q]


def verify_log(url: str, data_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "CREDIT_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "gateway.cli", "verify-log", *extra], env=env,
                          capture_output=True, text=True, timeout=120)


async def _signed_database(url: str, data_dir: Path) -> None:
    """A query log of ENTRIES entries written by the real writer (documents, per-subject index),
    checkpointed every 10 entries and at its close, and a submission log with its checkpoint."""
    engine = create_engine(url)
    await initialise(engine, "huancui")
    sink = CheckpointSink.for_paths(data_dir / "log-checkpoints", data_dir / "log-checkpoint-key")
    checkpoints = LogCheckpoints(sink, CheckpointPolicy(every_entries=10, every_seconds=3600))
    await checkpoints.start(engine)
    writer = QueryLogWriter(engine, checkpoints)
    for i in range(ENTRIES):
        code = CODES[i % len(CODES)]
        document = f'query Q{i % 7} {{ subject(code: "{code}") {{ name }} }}'
        await writer.append(dict(request_id=f"r{i}", user=f"user-{i}", outcome="OK", duration_ms=1.0, roles=[],
                                 variables={}, subjects=[logged_subject(code)], record_ids=[], refused=[],
                                 document_hash=document_hash(document)), document, [code])
    for i in range(12):
        async with engine.begin() as connection:
            await append_submission_log(connection, user="p", department="SCJG", action="SUBMIT", detail={"n": i})
    await writer.close()  # the shutdown checkpoint, of both chains
    await engine.dispose()


_SOURCES: dict[str, tuple[str, Path]] = {}


async def copy_of(backend: str, tmp_path: Path, tmp_path_factory, name: str) -> tuple[str, Path]:
    """A copy of the signed database (built once per backend) and of its data folder."""
    if backend not in _SOURCES:
        base = tmp_path_factory.mktemp(f"signed_{backend}")
        url = await scratch_url(backend, base, "signed")
        await _signed_database(url, base / "data")
        _SOURCES[backend] = (url, base)
    source_url, base = _SOURCES[backend]
    data_dir = tmp_path / "data"
    shutil.copytree(base / "data", data_dir)
    if backend == "sqlite":
        shutil.copy(base / "signed.sqlite3", tmp_path / f"{name}.sqlite3")
        return f"sqlite+aiosqlite:///{tmp_path / (name + '.sqlite3')}", data_dir
    url = await scratch_url(backend, tmp_path, name)
    import asyncpg

    target = make_url(url)
    admin = await asyncpg.connect(host=target.host or "127.0.0.1", port=target.port or 5432, user=target.username,
                                  database="postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{target.database}" TEMPLATE "{make_url(source_url).database}"')
    finally:
        await admin.close()
    return url, data_dir


LOG_TABLES = ("query_log", "query_log_subjects", "query_documents", "submission_log")


async def as_attacker(url: str, statements, rewrite=None) -> None:
    """Switch every guard off, as someone with database rights can, then tamper."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for table in LOG_TABLES:
                await connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            names = (await connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))).scalars()
            for name in list(names):
                await connection.execute(text(f"DROP TRIGGER {name}"))
        for statement in statements:
            await connection.execute(text(statement))
        if rewrite is not None:
            await rewrite(connection)
    await engine.dispose()


async def _edit_and_rehash(connection) -> None:
    """Edit entry 50 and recompute its hash and every later one, so the chain links again."""
    rows = (await connection.execute(select(QUERY_LOG).where(QUERY_LOG.c.seq >= 50).order_by(QUERY_LOG.c.seq))).all()
    prev = rows[0].prev_hash
    for row in rows:
        entry = dict(row._mapping)
        if row.seq == 50:
            entry["basis"] = "forged-basis"
        entry["prev_hash"] = prev
        prev = entry_hash("query_log", entry, prev)
        await connection.execute(QUERY_LOG.update().where(QUERY_LOG.c.seq == row.seq).values(
            basis=entry["basis"], prev_hash=entry["prev_hash"], entry_hash=prev))


def _newest(table: str, n: int) -> str:
    return f"(SELECT seq FROM {table} ORDER BY seq DESC LIMIT {n})"


ATTACKS = {
    "truncated": dict(statements=[f"DELETE FROM query_log_subjects WHERE seq IN {_newest('query_log', 4)}",
                                  f"DELETE FROM query_log WHERE seq IN (SELECT seq FROM {_newest('query_log', 4)} x)"],
                      expect=f"query_log: FAULT TRUNCATED at entry {ENTRIES}"),
    "rewritten": dict(statements=[], rewrite=_edit_and_rehash, expect="query_log: FAULT REWRITTEN at entry "),
    "anchored": dict(statements=["DELETE FROM query_log_subjects WHERE seq <= 100",
                                 "DELETE FROM query_log WHERE seq <= 100",
                                 "INSERT INTO settings (key, value) SELECT 'query_log_anchor', '100:' || entry_hash "
                                 "FROM query_log WHERE seq = 101"],
                     expect="query_log: FAULT ANCHOR_UNSIGNED at entry 100"),
    "unindexed": dict(statements=[f"DELETE FROM query_log_subjects WHERE subject_code = '{w.PERSON_Q}' AND seq > 60"],
                      expect="query_log: FAULT INDEX_ALTERED at entry 63"),
    "document": dict(statements=["UPDATE query_documents SET text = 'query Q3 { departments { code } }' "
                                 "WHERE text LIKE 'query Q3 %'"],
                     expect="query_log: FAULT DOCUMENT_ALTERED at entry 4"),
    "submissions": dict(statements=[f"DELETE FROM submission_log WHERE seq IN "
                                    f"(SELECT seq FROM {_newest('submission_log', 3)} x)"],
                        expect="submission_log: FAULT TRUNCATED at entry 12"),
}


@pytest.mark.parametrize("attack", ATTACKS)
async def test_verify_log_names_each_attack_by_someone_with_database_access(backend, tmp_path, tmp_path_factory,
                                                                            attack):
    url, data_dir = await copy_of(backend, tmp_path, tmp_path_factory, f"attack_{attack}")
    how = ATTACKS[attack]
    await as_attacker(url, how["statements"], how.get("rewrite"))
    result = verify_log(url, data_dir)
    assert result.returncode == 1, result.stdout + result.stderr
    assert how["expect"] in result.stdout, result.stdout + result.stderr
    if attack == "rewritten":  # the edited entry lies between the last checkpoint that matches and the first that not
        found = re.search(r"REWRITTEN at entry (\d+): .* after entry (\d+) ", result.stdout)
        assert found and int(found[2]) < 50 <= int(found[1]), result.stdout


async def test_a_clean_log_verifies_against_its_checkpoints(backend, tmp_path, tmp_path_factory):
    url, data_dir = await copy_of(backend, tmp_path, tmp_path_factory, "clean")
    result = verify_log(url, data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    intact = re.search(rf"query_log: {ENTRIES} entries verified, chain intact; (\d+) signed checkpoint\(s\) match",
                       result.stdout)
    assert intact and int(intact[1]) >= ENTRIES // 10, result.stdout  # every 10 entries, and at the writer's close
    assert "submission_log: 12 entries verified, chain intact; 1 signed checkpoint(s) match" in result.stdout


async def test_a_forged_checkpoint_line_is_named(backend, tmp_path, tmp_path_factory):
    url, data_dir = await copy_of(backend, tmp_path, tmp_path_factory, "forged_checkpoint")
    path = data_dir / "log-checkpoints" / "query_log.jsonl"
    lines = path.read_text().splitlines()
    forged = json.loads(lines[-1])
    forged["seq"] = ENTRIES - 10  # an attacker moving the newest checkpoint back, to hide a truncation
    path.write_text("\n".join(lines[:-1] + [json.dumps(forged)]) + "\n")
    result = verify_log(url, data_dir, "--log", "query")
    assert result.returncode == 1
    assert f"query_log: FAULT CHECKPOINT_INVALID at line {len(lines)}" in result.stdout
    assert "signature does not verify" in result.stdout


@pytest.mark.parametrize("bad_setting", ["-1", "x", "-100"])
async def test_retention_cannot_be_shortened_through_settings(backend, tmp_path, bad_setting):
    """With the triggers in place: no `settings` row opens the newest entries to deletion."""
    url = await scratch_url(backend, tmp_path, f"retention_{bad_setting.strip('-')}")
    engine = create_engine(url)
    await initialise(engine, "xinzheng")  # the shortest retention: 5 years
    writer = QueryLogWriter(engine)
    for i in range(3):
        document = "query R%d { departments { code } }" % i
        await writer.append(dict(request_id=f"r{i}", outcome="OK", duration_ms=1.0, roles=[], variables={},
                                 subjects=[logged_subject(w.PERSON_P)], record_ids=[], refused=[],
                                 document_hash=document_hash(document)), document, [w.PERSON_P])
    await writer.close()
    async with engine.begin() as connection:
        await append_submission_log(connection, user="p", department="SCJG", action="SUBMIT")
        await connection.execute(text("DELETE FROM settings WHERE key = 'log_retention_years'"))
        await connection.execute(text(f"INSERT INTO settings (key, value) VALUES ('log_retention_years', "
                                      f"'{bad_setting}')"))
        await connection.execute(text("INSERT INTO settings (key, value) VALUES ('log_purge_open', '1')"))
    for statement in ("DELETE FROM query_log_subjects", "DELETE FROM query_log WHERE seq = 3",
                      "DELETE FROM submission_log", "DELETE FROM query_documents"):
        with pytest.raises(Exception, match="append-only|retention"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM query_log"))).scalar() == 3
        assert (await connection.execute(text("SELECT count(*) FROM query_log_subjects"))).scalar() == 3
        assert (await connection.execute(text("SELECT count(*) FROM query_documents"))).scalar() == 3
        assert (await connection.execute(text("SELECT count(*) FROM submission_log"))).scalar() == 1
    await engine.dispose()


async def test_resident_ids_written_inline_are_masked_in_the_stored_document(engine, client):
    query = 'query Inline { subject(code: "%s") { name } }' % w.PERSON_P
    await graphql(client, query)
    masked = w.PERSON_P[:6] + "********" + w.PERSON_P[-4:]
    async with engine.connect() as connection:
        texts = (await connection.execute(text("SELECT text FROM query_documents WHERE text LIKE "
                                               "'query Inline %'"))).scalars().all()
        digest = (await connection.execute(text("SELECT document_hash FROM query_log WHERE operation_name = 'Inline' "
                                                "ORDER BY seq DESC"))).scalars().first()
    assert texts == [f'query Inline {{ subject(code: "{masked}") {{ name }} }}']
    assert digest == document_hash(query) and w.PERSON_P not in texts[0]


@pytest.mark.e2e
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_real_server_signs_the_heads_at_shutdown(tmp_path, database):
    """Checkpoints far apart (an hour, 100,000 entries): only the shutdown one covers these requests."""
    from tests.server import running_gateway

    url = asyncio.run(scratch_url(database, tmp_path, "shutdown_checkpoint"))
    env = {"DATABASE_URL": url, "CREDIT_DATA_DIR": str(tmp_path), "LOAD_DEMO_ON_EMPTY": "false",
           "LOG_CHECKPOINT_SECONDS": "3600", "LOG_CHECKPOINT_ENTRIES": "100000"}
    with running_gateway(tmp_path, env=env) as base:
        for _ in range(3):
            assert httpx.post(f"{base}/graphql", json={"query": "{ departments { code } }"}).status_code == 200
    lines = (tmp_path / "log-checkpoints" / "query_log.jsonl").read_text().splitlines()
    newest = json.loads(lines[-1])

    async def head() -> int:
        engine = create_engine(url)
        async with engine.connect() as connection:
            seq = (await connection.execute(text("SELECT max(seq) FROM query_log"))).scalar()
        await engine.dispose()
        return seq

    assert newest["seq"] == asyncio.run(head()) >= 3
    assert oct((tmp_path / "log-checkpoint-key").stat().st_mode & 0o777) == "0o600"
    assert (tmp_path / "log-checkpoint-key.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert verify_log(url, tmp_path, "--log", "query").returncode == 0
    asyncio.run(as_attacker(url, [f"DELETE FROM query_log WHERE seq = {newest['seq']}"]))
    result = verify_log(url, tmp_path, "--log", "query")
    assert result.returncode == 1 and f"FAULT TRUNCATED at entry {newest['seq']}" in result.stdout, result.stdout
