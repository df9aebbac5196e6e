"""A gateway server for benchmarks only: `--no-query-log` exists here, never in the product's CLI."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from gateway.app import create_app
from gateway.identity import IdentityConfig, TokenVerifier
from gateway.settings import Settings

SECRET = b"bench-secret-bench-secret-bench-secret!!"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-query-log", action="store_true")
    args = parser.parse_args()
    settings = Settings(data_dir=Path("/tmp"), database_url=args.database_url, load_demo_on_empty=False)
    app = create_app(settings, verifier=TokenVerifier(IdentityConfig(mode="hs256", hs256_secret=SECRET)),
                     query_log=not args.no_query_log)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
