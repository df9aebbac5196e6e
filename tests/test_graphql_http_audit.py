"""graphql-http's server audit against a real gateway (SPEC 4: GraphQL over HTTP), several audits at once:
every audit ok, none warned, and the malformed requests of one never fail the others (SPEC 3.6)."""

from __future__ import annotations

import subprocess

import pytest

from tests.peers import PEERS, missing
from tests.server import running_gateway

pytestmark = pytest.mark.e2e


def test_the_graphql_over_http_audit_passes_whole_when_run_concurrently(tmp_path):
    reason = missing("graphql-http")
    if reason:
        pytest.skip(reason)
    with running_gateway(tmp_path / "audit") as base:
        run = subprocess.run(["node", str(PEERS / "audit.mjs"), f"{base}/graphql", "4"], capture_output=True,
                             text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    summaries = [line for line in run.stdout.splitlines() if not line.startswith(" ")]
    assert summaries == ["61 ok, 0 warn, 0 error"] * 4, run.stdout
