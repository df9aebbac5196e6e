"""Issue 3 benchmark: the officer's list query (100 subjects × 10 records) with policies on and off.

Goal: on/off time ≤ 1.25. Run: `make bench` or `.venv/bin/python -m bench.policy_overhead`.
Both variants run in one process, interleaved in rounds, against the same SQLite database.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import httpx

from bench.common import PERMIT, Timing, seeded_engine, time_requests
from gateway.app import create_app
from gateway.identity import IdentityConfig, TokenVerifier, mint_token
from gateway.settings import Settings

SECRET = b"bench-secret-bench-secret-bench-secret!!"
QUERY = """
query List($codes: [ID!]!) {
  subjects(codes: $codes) {
    code name
    records(first: 10) {
      totalCount
      edges { node { id category visibility documentNumber decidedOn status
                     catalogueItem { code name } provider { code name } } }
    }
  }
}
"""


async def main(rounds: int = 5, per_round: int = 40, url: str | None = None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        engine, codes = await seeded_engine(url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}")
        settings = Settings(data_dir=Path(tmp), database_url="unused", load_demo_on_empty=False)
        verifier = TokenVerifier(IdentityConfig(mode="hs256", hs256_secret=SECRET))
        on_app = create_app(settings, engine=engine, verifier=verifier)
        off_app = create_app(settings, engine=engine, verifier=verifier)
        off_app.state.gateway.policies.enabled = False
        token = mint_token(SECRET, user="bench", name="测试员", department="SCJG", roles=["officer"])
        headers = {"Authorization": f"Bearer {token}", "X-Query-Purpose": "licensing", "X-Query-Basis": PERMIT}
        payload = {"query": QUERY, "variables": {"codes": codes}}
        on, off = Timing("policies on", []), Timing("policies off", [])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=on_app), base_url="http://b") as c_on, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=off_app), base_url="http://b") as c_off:
            for client in (c_on, c_off):  # warm caches (parser, validation, policy decisions)
                await time_requests(client, "warm", payload, headers, 5)
            for _ in range(rounds):
                on.samples += (await time_requests(c_on, "on", payload, headers, per_round)).samples
                off.samples += (await time_requests(c_off, "off", payload, headers, per_round)).samples
        await engine.dispose()
    ratio = on.mean_ms / off.mean_ms
    print(on.row())
    print(off.row())
    print(f"ratio on/off (mean): {ratio:.3f}   p99 ratio: {on.pct_ms(0.99) / off.pct_ms(0.99):.3f}   goal ≤ 1.25")
    return ratio


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(main()) <= 1.25 else 1)
