"""`credit-gateway sources add|list|refresh|remove`: the operators' hand on federated sources (issue 18).

`add` fetches the source's `_service { sdl }`, checks it, binds every field to a catalogue item and
prints the signing key once; running workers serve the new fields within a second. Exit codes: 0 done,
2 refused (every fault named) or the database unusable.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Callable

from gateway.settings import Settings


def add_sources_command(subparsers: argparse._SubParsersAction, run: Callable, settings: Callable[[], Settings]) -> None:
    """Add `sources` and its subcommands to the `credit-gateway` parser; `run` is cli._run."""
    p = subparsers.add_parser("sources", help="admit, list, refresh and remove departments' live GraphQL sources",
                              description="Federated sources (README, Federated sources): a department's GraphQL "
                                          "subgraph whose read-only, nullable fields extend Subject, each bound to a "
                                          "catalogue item whose class and share list govern it.")
    sub = p.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="admit a source", description=(
        "Fetch the source's `_service { sdl }` at URL, check it, bind its fields and store it; print the HMAC "
        "signing key once (give it to the source's department)."))
    add.add_argument("name", metavar="NAME", help="the source's name (lower-case letters, digits, - and _)")
    add.add_argument("url", metavar="URL", help="the http(s) address of its GraphQL subgraph")
    add.add_argument("--item", dest="items", action="append", required=True, metavar="ITEM",
                     help="catalogue item for every field, or FIELD=ITEM (repeat for each field)")
    add.add_argument("--user", help="who admits it, for the submission log (default: cli:<login name>)")
    add.add_argument("--key-file", metavar="F", help="sign with the key in F instead of a fresh one: for a source "
                     "that already answers only calls signed with it (the demo source); the SDL call is signed too")
    listing = sub.add_parser("list", help="the admitted sources, their version and fields")
    listing.add_argument("--json", action="store_true", help="print JSON")
    refresh = sub.add_parser("refresh", help="fetch and check sources' SDL again (all, or NAME)",
                             description="A new version is stored only when the SDL or the binding changed.")
    refresh.add_argument("name", metavar="NAME", nargs="?", help="one source (default: every admitted source)")
    refresh.add_argument("--item", dest="items", action="append", default=[], metavar="ITEM",
                         help="binding of new or rebound fields: ITEM or FIELD=ITEM")
    refresh.add_argument("--user", help="who refreshes, for the submission log (default: cli:<login name>)")
    remove = sub.add_parser("remove", help="take a source out of the served schema (its versions are kept)")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--user", help="who removes it, for the submission log (default: cli:<login name>)")
    p.set_defaults(func=lambda args: _command(args, run, settings()))


def _command(args: argparse.Namespace, run: Callable, settings: Settings) -> int:
    from domain.catalogue import load_profile
    from resolvers import sources
    from schema.remote_fields import gateway_names
    from store.bootstrap import initialise
    from store.sources import admitted

    user = getattr(args, "user", None) or f"cli:{getpass.getuser()}"
    action = args.sources_command

    async def go(engine) -> int:
        await initialise(engine, settings.profile)
        profile = load_profile(settings.profile)
        try:
            if action == "add":
                key = _key_from(args.key_file) if args.key_file else None
                if key == "":
                    return 2
                admission = await sources.admit_source(engine, profile, gateway_names(), name=args.name, url=args.url,
                                                       items=args.items, user=user, signing_key=key)
                print(f"source {admission.source.name} admitted, version {admission.source.version}: "
                      f"{_fields(admission.source)}; running workers serve it within a second")
                if not args.key_file:
                    print(f"signing key (shown once; give it to the source's department): {admission.signing_key}")
            elif action == "list":
                stored, _ = await admitted(engine)
                if args.json:
                    print(json.dumps([{"name": s.name, "url": s.url, "version": s.version, "fields": dict(s.fields),
                                       "admittedAt": s.admitted_at.isoformat()} for s in stored], ensure_ascii=False))
                for s in [] if args.json else stored:
                    print(f"{s.name}\t{s.url}\tversion {s.version}\t{_fields(s)}\tadmitted {s.admitted_at:%Y-%m-%d}")
                if not stored and not args.json:
                    print("no source is admitted")
            elif action == "refresh":
                names = [args.name] if args.name else [s.name for s in (await admitted(engine))[0]]
                for name in names:
                    stored, changed = await sources.refresh_source(engine, profile, gateway_names(), name=name,
                                                                   items=args.items, user=user)
                    print(f"source {name}: " + (f"new version {stored.version}: {_fields(stored)}" if changed else
                                                f"unchanged, version {stored.version}"))
            else:
                stored = await sources.remove_source(engine, name=args.name, user=user)
                print(f"source {stored.name} removed; running workers stop serving it within a second")
        except sources.SourceProblems as refused:
            for problem in refused.problems:
                print(f"credit-gateway: sources {action}: {problem}", file=sys.stderr)
            return 2
        return 0

    return run(go)


def _key_from(path: str) -> str:
    """The key in the file, stripped; "" (said on standard error) when it cannot be read or is empty."""
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        print(f"credit-gateway: sources add: cannot read the key file {path}: {error}", file=sys.stderr)
        return ""
    if not key:
        print(f"credit-gateway: sources add: the key file {path} is empty", file=sys.stderr)
    return key


def _fields(source) -> str:
    return ", ".join(f"{f} ({i})" for f, i in sorted(source.fields.items()))
