"""Issue 14, goal 1 against what a team might pick instead: PostGraphile 4.14 on the same PostgreSQL
tables, with JWT verification and a row-level-security policy that opens the same records to the
officer as the gateway's policies do (PUBLIC, and SHARED under the officer's query permit).

PostGraphile is installed from npm into `bench/postgraphile/` (pinned in its package.json, never
part of `make test`); the benchmark data are `bench/common.py`'s. Both servers are driven by the
same load generator, interleaved, in one run; the ratio is the goal.

    .venv/bin/python -m bench.postgraphile --postgres URL [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import jwt
from sqlalchemy.engine import make_url

from bench.common import PERMIT
from tests.server import free_port

FOLDER = Path(__file__).with_name("postgraphile")
SECRET = "bench-postgraphile-secret-bench-postgraphile"

# The gateway's officer reads PUBLIC records and, under its query permit, SHARED ones (HC-20, HC-23):
# the same rule as a PostgreSQL policy on the roles PostGraphile switches to from the token.
ROW_LEVEL_SECURITY = f"""
DO $$ BEGIN CREATE ROLE bench_anon NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE bench_officer NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT USAGE ON SCHEMA public TO bench_anon, bench_officer;
GRANT SELECT ON subjects, records TO bench_anon, bench_officer;
ALTER TABLE records ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS bench_public ON records;
DROP POLICY IF EXISTS bench_shared ON records;
CREATE POLICY bench_public ON records FOR SELECT TO bench_anon, bench_officer USING (visibility = 'PUBLIC');
CREATE POLICY bench_shared ON records FOR SELECT TO bench_officer USING (
    visibility = 'SHARED' AND current_setting('jwt.claims.department', true) = 'SCJG'
    AND current_setting('jwt.claims.permit', true) = '{PERMIT}');
"""

QUERY = """query One($c: String!) { subjectByCode(code: $c) { code name
  recordsBySubjectCode(first: 5, orderBy: [DECIDED_ON_DESC, ID_DESC], condition: {status: "ACTIVE"}) {
    totalCount edges { node { id category documentNumber } } } } }"""


def install() -> Path:
    """PostGraphile's command, installed from npm (bench/postgraphile/package.json) on first use."""
    command = FOLDER / "node_modules" / ".bin" / "postgraphile"
    if not command.exists():
        if shutil.which("npm") is None:
            raise RuntimeError("npm is not installed: the PostGraphile comparison needs Node.js and npm")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(FOLDER)], check=True,
                       capture_output=True)
    return command


async def enable_row_level_security(url: str) -> None:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(ROW_LEVEL_SECURITY)
    finally:
        await connection.close()


def token() -> str:
    return jwt.encode({"role": "bench_officer", "department": "SCJG", "permit": PERMIT, "aud": "postgraphile",
                       "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")


@contextlib.contextmanager
def running_postgraphile(url: str):
    command = install()
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    port = free_port()
    process = subprocess.Popen([str(command), "-c", plain, "--schema", "public", "--host", "127.0.0.1",
                                "--port", str(port), "--jwt-secret", SECRET, "--default-role", "bench_anon",
                                "--disable-query-log", "--disable-graphiql"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"PostGraphile exited: {process.stderr.read()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def check_same_answer(base: str, code: str, expected_total: int) -> None:
    """PostGraphile sees what the gateway's officer sees: the same number of records."""
    answer = httpx.post(f"{base}/graphql", json={"query": QUERY, "variables": {"c": code}},
                        headers={"Authorization": f"Bearer {token()}"}, timeout=10).json()
    total = answer["data"]["subjectByCode"]["recordsBySubjectCode"]["totalCount"]
    if total != expected_total:
        raise RuntimeError(f"PostGraphile's officer sees {total} records, the gateway's {expected_total}: "
                           "the comparison would not be like for like")


def main(argv: list[str] | None = None) -> int:
    from bench import goals

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, metavar="URL", help="scratch database, dropped and created")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    from store.engine import recreate_postgres_database

    deployment = goals.seed(asyncio.run(recreate_postgres_database(args.postgres)))
    with tempfile.TemporaryDirectory() as folder:
        rows = goals.against_postgraphile(deployment, args.seconds, Path(folder))
    print("| goal | target | measured | met |\n| --- | --- | --- | --- |")
    for row in rows:
        print(row.line())
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
