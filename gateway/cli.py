"""`credit-gateway`: the operators' command line (SPEC 4, last point).

Each subcommand has --help. Configuration comes from the environment (see the README), so the
same command works against the SQLite default and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from gateway.settings import Settings


def _settings() -> Settings:
    return Settings.from_env()


def _run(coroutine_factory) -> int:
    """Run an async command against the configured database, disposing of the engine after."""
    from store.engine import create_engine

    async def main() -> int:
        engine = create_engine(_settings().resolved_database_url)
        try:
            return await coroutine_factory(engine) or 0
        finally:
            await engine.dispose()

    return asyncio.run(main())


def cmd_init_db(args: argparse.Namespace) -> int:
    from store.bootstrap import initialise

    settings = _settings()

    async def go(engine):
        from policies.storage import seed_if_empty

        await initialise(engine, args.profile or settings.profile)
        await seed_if_empty(engine, settings.policy_file)
        print(f"database ready ({settings.resolved_database_url.split('@')[-1]}), "
              f"profile {args.profile or settings.profile}")

    return _run(go)


def cmd_load_demo(args: argparse.Namespace) -> int:
    from store.bootstrap import initialise, is_empty
    from store.demo import load_demo_data

    settings = _settings()

    async def go(engine):
        await initialise(engine, settings.profile)
        if not await is_empty(engine) and not args.force:
            print("the database already holds records; pass --force to add the demo data anyway", file=sys.stderr)
            return 1
        counts = await load_demo_data(engine, settings.profile, seed=args.seed, subjects=args.subjects,
                                      records=args.records)
        print("demo data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))

    return _run(go)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"GraphiQL: http://{host}:{port}/graphql", flush=True)
    uvicorn.run("gateway.startup:app_from_env", factory=True, host=host, port=port, workers=args.workers,
                log_level=args.log_level, access_log=False)
    return 0


def cmd_reload_policies(args: argparse.Namespace) -> int:
    from policies.engine import PolicyFileError
    from policies.storage import read_policy_file, store_lines

    settings = _settings()
    path = Path(args.file) if args.file else settings.policy_file
    try:
        lines = read_policy_file(path)
    except (OSError, PolicyFileError) as exc:
        print(f"policies not changed: {exc}", file=sys.stderr)
        return 2

    async def go(engine):
        from store.bootstrap import initialise

        await initialise(engine, settings.profile)
        version = await store_lines(engine, lines)
        print(f"policies version {version}: {len(lines)} lines from {path or 'the shipped default'}; "
              "running workers follow within a second")

    return _run(go)


def build_parser() -> argparse.ArgumentParser:
    from gateway.identity import add_token_command

    parser = argparse.ArgumentParser(
        prog="credit-gateway",
        description="Public credit information gateway (公共信用信息共享网关): operators' commands.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init-db", help="create or migrate the database and load the profile's catalogue",
                       description="Apply migrations, then load the jurisdiction profile's departments and "
                                   "catalogue items. Safe to run again.")
    p.add_argument("--profile", help="jurisdiction profile (huancui or xinzheng); default: CREDIT_PROFILE")
    p.set_defaults(func=cmd_init_db)

    p = sub.add_parser("load-demo", help="load the deterministic demo data set",
                       description="Generate the demo data set (fixed seed): departments, about 2,000 subjects "
                                   "and 20,000 records across every catalogue item and visibility class.")
    p.add_argument("--seed", type=int, default=20171001, help="random seed (default: %(default)s)")
    p.add_argument("--subjects", type=int, default=2000, help="number of subjects (default: %(default)s)")
    p.add_argument("--records", type=int, default=20000, help="number of records (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="add the demo data even if records exist")
    p.set_defaults(func=cmd_load_demo)

    p = sub.add_parser("serve", help="serve GraphQL (and GraphiQL) over HTTP",
                       description="Serve the gateway with uvicorn. On first start the database is created and "
                                   "the demo data loaded (unless LOAD_DEMO_ON_EMPTY=false).")
    p.add_argument("--host", help="address to bind (default: HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: PORT or 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default: %(default)s)")
    p.add_argument("--log-level", default="info", help="uvicorn log level (default: %(default)s)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("reload-policies", help="replace the stored policies from the policy file",
                       description="Read and check the policy file (POLICY_FILE, or --file), store it in the "
                                   "database and notify every running worker, which reloads within a second. "
                                   "A running worker also reloads on SIGHUP.")
    p.add_argument("--file", help="policy file (default: POLICY_FILE or the shipped policies/default.csv)")
    p.set_defaults(func=cmd_reload_policies)

    add_token_command(sub, lambda: _settings().data_dir)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
