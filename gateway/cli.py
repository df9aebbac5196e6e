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
        await seed_if_empty(engine, settings.policy_file, args.profile or settings.profile)
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
                log_level=args.log_level, access_log=False,
                proxy_headers=False)  # forwarded headers: only from TRUSTED_PROXIES (gateway/proxies.py)
    return 0


def cmd_reload_policies(args: argparse.Namespace) -> int:
    from policies.engine import PolicyFileError
    from policies.storage import read_policy_file, store_lines

    settings = _settings()
    path = Path(args.file) if args.file else settings.policy_file
    try:
        lines = read_policy_file(path, settings.profile)
    except (OSError, PolicyFileError) as exc:
        print(f"policies not changed: {exc}", file=sys.stderr)
        return 2

    async def go(engine):
        from store.bootstrap import initialise

        await initialise(engine, settings.profile)
        version = await store_lines(engine, lines, changed_by=os.environ.get("USER", "operator"),
                                    source=str(path or f"shipped default + {settings.profile}"))
        print(f"policies version {version}: {len(lines)} lines from {path or 'the shipped default'}; "
              "running workers follow within a second")

    return _run(go)


def _chosen_logs(args: argparse.Namespace) -> tuple[str, ...]:
    return ("query", "submission") if args.log == "all" else (args.log,)


def cmd_verify_log(args: argparse.Namespace) -> int:
    from store.log_archive import TABLES, verify_segment, verify_stored

    async def go(engine):
        status = 0
        for name in _chosen_logs(args):
            table = TABLES[name]
            if args.segments:
                prev = "0" * 64
                for segment in sorted(Path(args.segments).glob(f"{table.name}-*.jsonl")):
                    count, fault, prev = verify_segment(segment, table.name, prev)
                    if fault:
                        print(f"{segment}: FAULT {fault.kind} at entry {fault.seq}: {fault.message}")
                        status = 1
                    else:
                        print(f"{segment}: {count} entries verified")
            result = await verify_stored(engine, table)
            if result.fault:
                print(f"{table.name}: FAULT {result.fault.kind} at entry {result.fault.seq}: {result.fault.message}")
                status = 1
            else:
                print(f"{table.name}: {result.checked} entries verified, chain intact")
        return status

    return _run(go)


def cmd_export_log(args: argparse.Namespace) -> int:
    import datetime as dt

    from domain.catalogue import load_profile
    from store.log_archive import TABLES, RetentionError, export_before

    settings = _settings()
    try:
        before = dt.datetime.combine(dt.date.fromisoformat(args.before), dt.time(), dt.timezone.utc)
    except ValueError:
        print(f"--before {args.before!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    retention = load_profile(settings.profile).query_log_retention_years

    async def go(engine):
        for name in _chosen_logs(args):
            try:
                path, count = await export_before(engine, TABLES[name], before, Path(args.out), retention,
                                                  dt.datetime.now(dt.timezone.utc))
            except RetentionError as exc:
                print(f"nothing exported: {exc}", file=sys.stderr)
                return 2
            print(f"{name} log: {count} entries exported to {path} and purged" if path
                  else f"{name} log: no entries before {args.before}")
        return 0

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

    p = sub.add_parser("verify-log", help="walk the hash chains of the query and submission logs",
                       description="Recompute every entry's hash and link; exit 1 naming the first entry that was "
                                   "edited, deleted, inserted or reordered.")
    p.add_argument("--log", choices=("query", "submission", "all"), default="all")
    p.add_argument("--segments", help="also verify exported JSON Lines segments in this folder")
    p.set_defaults(func=cmd_verify_log)

    p = sub.add_parser("export-log", help="export log entries past retention to JSON Lines, then purge them",
                       description="Write entries older than --before to a JSON Lines segment whose chain verifies, "
                                   "then purge them. Entries younger than the profile's retention (at least 5 "
                                   "years) are never purged.")
    p.add_argument("--before", required=True, help="date, YYYY-MM-DD: export entries older than this")
    p.add_argument("--out", default="log-archive", help="folder for the segments (default: %(default)s)")
    p.add_argument("--log", choices=("query", "submission", "all"), default="all")
    p.set_defaults(func=cmd_export_log)

    add_token_command(sub, lambda: _settings().data_dir)

    from gateway.calendar_cli import add_calendar_command
    from gateway.spreadsheet_cli import add_spreadsheet_commands

    add_calendar_command(sub, _settings)
    add_spreadsheet_commands(sub, _settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
