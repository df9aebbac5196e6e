"""Policy changes without a restart: the CLI changes the stored policies, running workers follow.

Two real worker processes (uvicorn) on one database; the CLI removes the officer's SHARED line
while they run; within a second both refuse what they allowed before, then the default file
restores it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from gateway.identity import load_or_create_dev_secret, mint_token
from tests.permits import register_served
from tests.server import running_gateway

pytestmark = pytest.mark.e2e


def cli(*args, env):
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def shared_count(base: str, token: str, code: str) -> int:
    query = "query($c: ID!){ subject(code: $c){ records(first: 100){ edges { node { visibility } } } } }"
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": {"c": code}}, timeout=10, headers={
        "Authorization": f"Bearer {token}", "X-Query-Purpose": "licensing", "X-Query-Basis": "XK-1"}).json()
    return sum(e["node"]["visibility"] == "SHARED" for e in body["data"]["subject"]["records"]["edges"])


def wait_for(predicate, timeout=3.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_two_workers_follow_a_policy_change_made_while_they_run(tmp_path, database):
    env = {**os.environ, "CREDIT_DATA_DIR": str(tmp_path), "LOAD_DEMO_ON_EMPTY": "false"}
    import asyncio

    from tests.conftest import scratch_url

    env["DATABASE_URL"] = asyncio.run(scratch_url(database, tmp_path, "policies"))
    assert cli("init-db", env=env).returncode == 0
    loaded = cli("load-demo", "--subjects", "60", "--records", "600", env=env)
    assert loaded.returncode == 0, loaded.stderr
    token = mint_token(load_or_create_dev_secret(tmp_path), user="o1", name="测试员", department="SCJG", roles=["officer"])

    with running_gateway(tmp_path, env=env) as first, running_gateway(tmp_path, env=env) as second:
        _register_permit(first, tmp_path, "XK-1", "SCJG")  # Huancui: SHARED needs a query permit (HC-23)
        code = _subject_with_shared_records(first, token)
        before = shared_count(first, token, code)
        assert before > 0 and shared_count(second, token, code) == before

        restricted = tmp_path / "restricted.csv"
        from policies.engine import DEFAULT_POLICY_FILE

        restricted.write_text("\n".join(line for line in DEFAULT_POLICY_FILE.read_text().splitlines()
                                        if line.strip() != "p, officer, SHARED, *, read, purpose"))
        changed = cli("reload-policies", "--file", str(restricted), env=env)
        assert changed.returncode == 0, changed.stderr
        for base in (first, second):
            assert wait_for(lambda: shared_count(base, token, code) == 0, timeout=1.5) <= 1.5

        assert cli("reload-policies", env=env).returncode == 0
        for base in (first, second):
            wait_for(lambda: shared_count(base, token, code) == before, timeout=1.5)


def _register_permit(base: str, data_dir, number: str, department: str) -> None:
    register_served(f"{base}/graphql", load_or_create_dev_secret(data_dir), number, department)


def _subject_with_shared_records(base: str, token: str) -> str:
    query = '{ searchSubjects(name: "公司", first: 50) { code records(first: 100) { edges { node { visibility } } } } }'
    body = httpx.post(f"{base}/graphql", json={"query": query}, timeout=10, headers={
        "Authorization": f"Bearer {token}", "X-Query-Purpose": "licensing", "X-Query-Basis": "XK-1"}).json()
    for subject in body["data"]["searchSubjects"]:
        if any(e["node"]["visibility"] == "SHARED" for e in subject["records"]["edges"]):
            return subject["code"]
    raise AssertionError("the demo data has no organisation with SHARED records")


def test_a_bad_policy_file_changes_nothing(tmp_path):
    env = {**os.environ, "CREDIT_DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bad.sqlite3'}"}
    bad = tmp_path / "bad.csv"
    bad.write_text("p, officer, SHARED, *, read\n")
    result = cli("reload-policies", "--file", str(bad), env=env)
    assert result.returncode == 2 and "a p line has 5 fields" in result.stderr


def test_sighup_reloads_the_policy_file(tmp_path):
    import signal

    from policies.engine import DEFAULT_POLICY_FILE

    policy_file = tmp_path / "policies.csv"
    policy_file.write_text(DEFAULT_POLICY_FILE.read_text())
    env = {**os.environ, "CREDIT_DATA_DIR": str(tmp_path), "LOAD_DEMO_ON_EMPTY": "false",
           "POLICY_FILE": str(policy_file), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hup.sqlite3'}"}
    assert cli("init-db", env=env).returncode == 0
    assert cli("load-demo", "--subjects", "60", "--records", "600", env=env).returncode == 0
    token = mint_token(load_or_create_dev_secret(tmp_path), user="o1", name="测试员", department="SCJG", roles=["officer"])
    processes: list = []
    with running_gateway(tmp_path, env=env, processes=processes) as base:
        code = _subject_with_shared_records(base, token)
        assert shared_count(base, token, code) > 0
        policy_file.write_text("\n".join(line for line in DEFAULT_POLICY_FILE.read_text().splitlines()
                                         if line.strip() != "p, officer, SHARED, *, read, purpose"))
        processes[0].send_signal(signal.SIGHUP)
        wait_for(lambda: shared_count(base, token, code) == 0, timeout=3)
