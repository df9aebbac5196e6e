"""The committed SDL (schema.graphql) is the schema the gateway serves: a change to the schema cannot
go unnoticed in review, and `credit-gateway schema` prints or checks it without a database."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import graphql
from tests.schema_contract import ROOT, SDL

REWRITE = ("schema.graphql differs from the served schema: rewrite it with `make schema` (or `credit-gateway "
           "schema -o schema.graphql`), review the diff, and add an entry to CHANGELOG.md's [Unreleased] section "
           "for each change a client would notice (name it by its schema coordinate, e.g. `Subject.name`)")


def cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli", "schema", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "DATABASE_URL": "postgresql+asyncpg://nowhere:1/x"})


async def test_the_served_schema_is_the_committed_one(client):
    body = await graphql(client, "{ _service { sdl } }")
    served = body["data"]["_service"]["sdl"] + "\n"
    assert served == SDL.read_text(encoding="utf-8"), REWRITE


def test_the_cli_prints_the_served_schema_without_a_database(tmp_path):
    printed = cli()
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == SDL.read_text(encoding="utf-8"), REWRITE
    assert printed.stdout.startswith('schema @link(url: "https://specs.apollo.dev/federation/')
    assert 'type Subject implements Node @key(fields: "id") @key(fields: "code")' in printed.stdout
    written = tmp_path / "out.graphql"
    assert cli("-o", str(written)).returncode == 0 and written.read_text(encoding="utf-8") == printed.stdout


def test_check_passes_on_the_served_schema_and_fails_with_a_diff_otherwise(tmp_path):
    same = tmp_path / "same.graphql"
    same.write_text(cli().stdout, encoding="utf-8")
    run = cli("--check", "-o", str(same))
    assert run.returncode == 0 and "matches the served schema" in run.stdout, (run.stdout, run.stderr)

    stale = tmp_path / "stale.graphql"
    stale.write_text(same.read_text(encoding="utf-8").replace("  searchSubjects(", "  findSubjects("),
                     encoding="utf-8")
    run = cli("--check", "-o", str(stale))
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "-  findSubjects(" in run.stdout and "+  searchSubjects(" in run.stdout, run.stdout
    assert f"credit-gateway schema -o {stale}" in run.stderr and "CHANGELOG.md" in run.stderr, run.stderr

    run = cli("--check", "-o", str(tmp_path / "absent.graphql"))
    assert run.returncode == 2 and "cannot read" in run.stderr, run.stderr
