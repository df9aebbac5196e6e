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
    """Run an async command against the configured database, disposing of the engine after. A database
    that cannot be used is one clear line and exit 2, not a traceback."""
    from gateway.startup import why_the_database_failed
    from store.engine import create_engine

    settings = _settings()

    async def main() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            return await coroutine_factory(engine) or 0
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except Exception as exc:
        reason = why_the_database_failed(exc, settings)
        if reason is None:
            raise
        print(f"credit-gateway: {reason}", file=sys.stderr)
        return 2


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
    """Prepare the database first (a failure is one line, before anything is served), then serve; the
    GraphiQL address is printed once the server answers, with what it serves. `--demo-source` starts
    the demo licensing source beside it (gateway/demo_source.py) and stops it when serving ends."""
    from gateway.startup import prepare_database

    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    loaded: list[bool] = []

    async def prepare(engine):
        loaded.append(await prepare_database(engine, settings))

    problem = _credit_rules_problem(settings)
    if problem:
        print(f"credit-gateway: {problem}", file=sys.stderr)
        return 2
    code = _run(prepare)
    if code:
        return code
    demo = None
    if args.demo_source:
        from gateway.demo_source import DemoSource

        demo = DemoSource(settings, args.demo_source)
        code = _run(demo.prepare)
        if code:
            demo.stop()
            return code
    try:
        return _serve(args, settings, host, port, loaded)
    finally:
        if demo is not None:
            demo.stop()


def _serve(args: argparse.Namespace, settings: Settings, host: str, port: int, loaded: list[bool]) -> int:
    import uvicorn

    from gateway.startup import database_named

    ready = (f"GraphiQL: http://{host}:{port}/graphql (profile {settings.profile}, database "
             f"{database_named(settings)}{', demo data loaded' if loaded and loaded[0] else ''})")
    # uvloop and httptools (uvicorn[standard]): the event loop and HTTP parser in C, not pure Python.
    # Forwarded headers: only from TRUSTED_PROXIES (gateway/proxies.py).
    options = dict(factory=True, host=host, port=port, log_level=args.log_level, access_log=False,
                   proxy_headers=False, loop="uvloop", http="httptools")
    config = uvicorn.Config("gateway.startup:app_from_env", workers=args.workers, **options)
    if args.workers > 1:  # uvicorn's supervisor starts the workers: say what they will serve
        print(ready + f", {args.workers} workers starting", flush=True)
        uvicorn.run(config.app, workers=args.workers, **options)
        return 0
    server = _announcing_server(config, ready)
    server.run()
    return 0 if server.started else 1


def _credit_rules_problem(settings) -> str | None:
    """Why the profile's credit-check rules file cannot be used (issue 17), in one line; None when it can."""
    from domain.catalogue import CatalogueError, load_profile
    from domain.credit_rules import CreditRulesError, load_rules

    try:
        load_rules(load_profile(settings.profile))
    except CatalogueError:
        return None  # the profile's own faults are reported where it is loaded
    except CreditRulesError as exc:
        return f"{exc.path}: the credit-check rules cannot be used: " + "; ".join(exc.problems)
    return None


def _announcing_server(config, message: str):
    """uvicorn's server, printing `message` once it listens (not before: a port in use fails first)."""
    import uvicorn

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:
                print(message, flush=True)

    return AnnouncingServer(config)


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


def cmd_sweep(args: argparse.Namespace) -> int:
    """Apply what the dates decide (store/sweep.py), one line per committed batch, then a summary."""
    import datetime as dt

    from domain.catalogue import load_profile
    from domain.clock import jurisdiction_day, utc_now
    from store.sweep import sweep, sweep_lock

    settings = _settings()
    profile = load_profile(settings.profile)
    today = jurisdiction_day(utc_now(), profile.time_zone)
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else today
    except ValueError:
        print(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    if as_of > today:
        print(f"--as-of {as_of.isoformat()} is in the future (today is {today.isoformat()} in {profile.time_zone}): "
              "the sweeper applies only what has happened", file=sys.stderr)
        return 2
    if args.batch_size < 1:
        print("--batch-size must be at least 1", file=sys.stderr)
        return 2

    def committed(step, ids) -> None:
        print(f"committed {step.value}: {len(ids)} ids {','.join(map(str, ids))}", flush=True)

    async def go(engine):
        async with sweep_lock(engine) as mine:
            if not mine:
                print("another sweeper holds the lock (a serving process or another cron run): nothing done")
                return 0
            report = await sweep(engine, profile, as_of, batch_size=args.batch_size, on_batch=committed)
        print(report.summary(), flush=True)
        return 0

    return _run(go)


def _chosen_logs(args: argparse.Namespace) -> tuple[str, ...]:
    return ("query", "submission") if args.log == "all" else (args.log,)


def cmd_verify_log(args: argparse.Namespace) -> int:
    from store.checkpoints import load_public_keys, public_key_path, read_checkpoints
    from store.log_archive import TABLES, stored_anchor, verify_segment, verify_stored

    settings = _settings()
    directory = Path(args.checkpoints) if args.checkpoints else settings.checkpoint_dir
    key_files = [Path(k) for k in args.checkpoint_key] or [public_key_path(settings.checkpoint_key_file)]
    try:
        keys = load_public_keys(k for k in key_files if args.checkpoint_key or k.exists())
    except (OSError, ValueError) as exc:
        print(f"cannot read the checkpoints' public key: {exc}", file=sys.stderr)
        return 2

    async def go(engine):
        status = 0
        for name in _chosen_logs(args):
            table = TABLES[name]
            checkpoints, bad = read_checkpoints(directory, table.name, keys)
            for line in bad:
                print(f"{table.name}: FAULT CHECKPOINT_INVALID at line {line.line}: {line.message}")
                status = 1
            exported = None
            if args.segments:
                prev, exported, segments = "0" * 64, {}, sorted(Path(args.segments).glob(f"{table.name}-*.jsonl"))
                for segment in segments:
                    count, fault, prev = verify_segment(segment, table.name, prev, exported)
                    if fault:
                        print(f"{segment}: FAULT {fault.kind} at entry {fault.seq}: {fault.message}")
                        status = 1
                    else:
                        print(f"{segment}: {count} entries verified")
                anchor_seq, anchor_hash = await stored_anchor(engine, table)
                if segments and anchor_seq is not None and prev != anchor_hash:
                    print(f"{table.name}: FAULT SEGMENTS_DETACHED at entry {anchor_seq}: the last exported segment "
                          "does not end at the database's anchor: a segment is missing or was altered")
                    status = 1
            result = await verify_stored(engine, table, checkpoints if keys or checkpoints else None, exported)
            for fault in result.faults:
                print(f"{table.name}: FAULT {fault.kind} at entry {fault.seq}: {fault.message}")
                status = 1
            if not result.faults:
                print(f"{table.name}: {result.checked} entries verified, chain intact; "
                      f"{result.checkpoints} signed checkpoint(s) match")
            for note in result.notes:
                print(f"{table.name}: note: {note}")
            if not checkpoints and not bad and result.checked:
                print(f"{table.name}: WARNING: no signed checkpoints in {directory} (or no public key: "
                      "--checkpoint-key): entries deleted from the end, or a rewrite with recomputed hashes, "
                      "cannot be detected")
        return status

    return _run(go)


def cmd_export_log(args: argparse.Namespace) -> int:
    import datetime as dt

    from domain.catalogue import load_profile
    from store.checkpoints import CheckpointSink
    from store.log_archive import TABLES, RetentionError, export_before
    from store.log_guard import retention_years

    settings = _settings()
    try:
        before = dt.datetime.combine(dt.date.fromisoformat(args.before), dt.time(), dt.timezone.utc)
    except ValueError:
        print(f"--before {args.before!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    retention = retention_years(load_profile(settings.profile).query_log_retention_years)
    try:  # the anchor left behind is signed, or verify-log takes it for one set by hand
        sink = CheckpointSink.for_paths(settings.checkpoint_dir, settings.checkpoint_key_file)
    except (OSError, ValueError) as exc:
        print(f"nothing exported: the checkpoint key cannot be used ({exc})", file=sys.stderr)
        return 2

    async def go(engine):
        for name in _chosen_logs(args):
            try:
                path, count = await export_before(engine, TABLES[name], before, Path(args.out), retention,
                                                  dt.datetime.now(dt.timezone.utc), sink)
            except RetentionError as exc:
                print(f"nothing exported: {exc}", file=sys.stderr)
                return 2
            print(f"{name} log: {count} entries exported to {path} and purged" if path
                  else f"{name} log: no entries before {args.before}")
        return 0

    return _run(go)


def served_sdl() -> str:
    """The schema as a federation router reads it (`_service { sdl }`: the SDL with the federation
    directives it uses, `@link` and `@key`), with a final newline: what `schema.graphql` holds."""
    from schema.build import build_schema

    return build_schema().as_str() + "\n"


def cmd_schema(args: argparse.Namespace) -> int:
    sdl = served_sdl()
    if not args.check:
        if args.out:
            Path(args.out).write_text(sdl, encoding="utf-8")
        else:
            sys.stdout.write(sdl)
        return 0
    import difflib

    path = Path(args.out or "schema.graphql")
    try:
        committed = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 2
    if committed == sdl:
        print(f"{path} matches the served schema")
        return 0
    sys.stdout.writelines(difflib.unified_diff(committed.splitlines(keepends=True), sdl.splitlines(keepends=True),
                                               f"{path} (committed)", "served schema"))
    print(f"{path} differs from the served schema: rewrite it with `credit-gateway schema -o {path}` "
          "(`make schema` for the committed schema.graphql) and add an entry to CHANGELOG.md for each change a client would notice", file=sys.stderr)
    return 1


def _department_registry():
    """The configured profile's departments, for `token` (its checks and its --help), and why they
    are missing when the profile cannot be loaded (the other commands still start and report it)."""
    from domain.catalogue import CatalogueError, load_profile
    from domain.roles import DepartmentRegistry

    try:
        return DepartmentRegistry.of(load_profile(_settings().profile)), None
    except (CatalogueError, OSError, ValueError) as exc:
        return None, f"no token minted: the profile cannot be loaded: {exc}"


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
    p.add_argument("--demo-source", type=int, nargs="?", const=8001, default=None, metavar="PORT",
                   help="also run the demo licensing source on PORT (default 8001) and admit it on first start, "
                        "so Subject.licences is served (README, Federated sources); stopped with the gateway")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("reload-policies", help="replace the stored policies from the policy file",
                       description="Read and check the policy file (POLICY_FILE, or --file), store it in the "
                                   "database and notify every running worker, which reloads within a second. "
                                   "A running worker also reloads on SIGHUP.")
    p.add_argument("--file", help="policy file (default: POLICY_FILE or the shipped policies/default.csv)")
    p.set_defaults(func=cmd_reload_policies)

    p = sub.add_parser("verify-log", help="walk the hash chains of the query and submission logs",
                       description="Recompute every entry's hash and link, hold the chains against their signed "
                                   "checkpoints, and the query log's per-subject index and document texts against "
                                   "its entries; exit 1 naming the first entry that was edited, deleted, inserted, "
                                   "reordered, cut off the end (TRUNCATED) or rewritten (REWRITTEN), and any anchor "
                                   "set by hand.")
    p.add_argument("--log", choices=("query", "submission", "all"), default="all")
    p.add_argument("--segments", help="also verify exported JSON Lines segments in this folder")
    p.add_argument("--checkpoints", help="folder of signed checkpoints (default: LOG_CHECKPOINT_DIR or "
                                         "DATA_DIR/log-checkpoints)")
    p.add_argument("--checkpoint-key", action="append", default=[], metavar="PEM",
                   help="public key the checkpoints are signed with; repeat for several (default: the .pub file "
                        "beside LOG_CHECKPOINT_KEY_FILE, DATA_DIR/log-checkpoint-key.pub)")
    p.set_defaults(func=cmd_verify_log)

    p = sub.add_parser("export-log", help="export log entries past retention to JSON Lines, then purge them",
                       description="Write entries older than --before to a JSON Lines segment whose chain verifies, "
                                   "then purge them. Entries younger than the profile's retention (at least 5 "
                                   "years) are never purged.")
    p.add_argument("--before", required=True, help="date, YYYY-MM-DD: export entries older than this")
    p.add_argument("--out", default="log-archive", help="folder for the segments (default: %(default)s)")
    p.add_argument("--log", choices=("query", "submission", "all"), default="all")
    p.set_defaults(func=cmd_export_log)

    p = sub.add_parser("sweep", help="apply what dates decide: archive, end of publicity, deletions, missed deadlines",
                       description="Archive ACTIVE records past their disclosure end, record the end of penalty "
                                   "publicity, delete Xinzheng persons' bad records past retention (XZ-20), and mark "
                                   "open cases past their deadline (one notice to the credit centre). Each change is a "
                                   "dated event and a submission-log entry; batches commit whole, so a killed run "
                                   "leaves nothing half-applied and running again completes it. For cron; `serve` "
                                   "also runs it (SWEEP_INTERVAL_SECONDS). On PostgreSQL one sweeper at a time holds "
                                   "an advisory lock: a run that finds it taken does nothing.")
    p.add_argument("--as-of", help="apply what ended before this day, YYYY-MM-DD (default: today in the profile's "
                                   "time zone, Asia/Shanghai); a future day is refused")
    p.add_argument("--batch-size", type=int, default=200, help="changes per transaction (default: %(default)s)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("schema", help="print the served GraphQL schema (SDL), or check a file against it",
                       description="Print the schema as the gateway serves it and a federation router reads it "
                                   "(`_service { sdl }`). With --check, exit 1 and print a diff when FILE "
                                   "(default schema.graphql) differs. Needs no database.")
    p.add_argument("-o", "--out", metavar="FILE", help="write the SDL to FILE instead of standard output "
                                                       "(with --check: the file to compare)")
    p.add_argument("--check", action="store_true", help="compare FILE with the served schema instead of writing it")
    p.set_defaults(func=cmd_schema)

    registry, profile_problem = _department_registry()
    add_token_command(sub, lambda: _settings().data_dir, registry,
                      lambda: _settings().max_token_lifetime_seconds, unavailable=profile_problem)

    from gateway.calendar_cli import add_calendar_command
    from gateway.spreadsheet_cli import add_spreadsheet_commands

    add_calendar_command(sub, _settings)
    add_spreadsheet_commands(sub, _settings)
    from gateway.sources_cli import add_sources_command

    add_sources_command(sub, _run, _settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
