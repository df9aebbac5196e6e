"""Starting the gateway as an operator does (SPEC 5): a database that cannot be used is one clear line and
exit 2, never a traceback after the address was printed; the address comes once the server answers, with
the profile, the database and whether the demo data was loaded."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import httpx
import pytest

from tests.conftest import PG_HINT
from tests.server import free_port

pytestmark = pytest.mark.e2e


def cli(*argv: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *argv], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)


def refused_in_one_line(run: subprocess.CompletedProcess, *words: str) -> None:
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and "GraphiQL" not in run.stdout, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("credit-gateway: "), run.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_a_database_of_another_profile_is_refused_before_anything_is_served(tmp_path):
    env = {"CREDIT_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "LOAD_DEMO_ON_EMPTY": "false"}
    assert cli("init-db", env=env).returncode == 0
    run = cli("serve", "--port", str(free_port()), env={**env, "CREDIT_PROFILE": "xinzheng"})
    refused_in_one_line(run, "profile 'huancui'", "CREDIT_PROFILE=huancui")


def test_an_unreachable_database_is_one_line(tmp_path):
    env = {"CREDIT_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"}
    refused_in_one_line(cli("init-db", env=env), "cannot use the database", "127.0.0.1:1/nowhere")
    refused_in_one_line(cli("serve", "--port", str(free_port()), env=env), "cannot use the database")


def test_a_postgresql_database_never_created_says_how_to_create_it(tmp_path):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip(PG_HINT)
    url = os.environ["TEST_DATABASE_URL"].rsplit("/", 1)[0] + "/credit_gateway_never_created"
    run = cli("init-db", env={"CREDIT_DATA_DIR": str(tmp_path), "DATABASE_URL": url})
    refused_in_one_line(run, "does not exist", "createdb credit_gateway_never_created")


def test_the_address_is_printed_once_the_server_answers_with_what_it_serves(tmp_path):
    port = free_port()
    env = {**os.environ, "CREDIT_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "LOAD_DEMO_ON_EMPTY": "false"}
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--log-level",
                                "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed: list[str] = []
    announced = threading.Event()

    def read() -> None:
        for line in process.stdout:
            printed.append(line)
            if line.startswith("GraphiQL:"):
                announced.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert announced.wait(120), "".join(printed)
        # printed only once listening: the very next request is answered
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        line = next(line for line in printed if line.startswith("GraphiQL:"))
        assert f"http://127.0.0.1:{port}/graphql" in line and "profile huancui" in line
        assert str(tmp_path) in line and "demo data loaded" not in line
    finally:
        process.terminate()
        process.wait(timeout=20)
        reader.join(timeout=5)
        process.stdout.close()
