"""Reading what the ecosystem's schema tools say about schema.graphql (not a test module).

graphql-schema-linter and graphql-inspector are npm packages pinned in tests/peers; they report
lines and columns, or paths. Here their findings become `rule coordinate` lines, so that a
baseline and CHANGELOG.md can name them the way a client names a field (`Subject.name`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from graphql import Source, parse
from graphql.language import ast

from tests.peers import PEERS

ROOT = PEERS.parent.parent
SDL = ROOT / "schema.graphql"
FEDERATION = PEERS / "federation-definitions.graphql"
LINTER_CONFIG = PEERS / ".graphql-schema-linterrc"
LINT_BASELINE = PEERS / "schema-lint-baseline.txt"
RELEASES = ROOT / "schema" / "releases"
CHANGELOG = ROOT / "CHANGELOG.md"

_MEMBERS = (ast.FieldDefinitionNode, ast.InputValueDefinitionNode, ast.EnumValueDefinitionNode)


def coordinates(text: str) -> list[tuple[int, int, str]]:
    """(start, end, schema coordinate) of every definition and member in an SDL, outer ones first:
    `Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`, `Input.field`, `@directive(arg:)`."""
    found = []
    for definition in parse(Source(text)).definitions:
        name = getattr(definition, "name", None)
        if name is None:  # the schema definition
            found.append((definition.loc.start, definition.loc.end, "schema"))
            continue
        owner = f"@{name.value}" if isinstance(definition, ast.DirectiveDefinitionNode) else name.value
        found.append((definition.loc.start, definition.loc.end, owner))
        for argument in getattr(definition, "arguments", None) or ():
            found.append((argument.loc.start, argument.loc.end, f"{owner}({argument.name.value}:)"))
        for member in (getattr(definition, "fields", None) or ()) + (getattr(definition, "values", None) or ()):
            found.append((member.loc.start, member.loc.end, f"{owner}.{member.name.value}"))
            for argument in getattr(member, "arguments", None) or ():
                found.append((argument.loc.start, argument.loc.end,
                              f"{owner}.{member.name.value}({argument.name.value}:)"))
    return found


class Coordinates:
    """Schema coordinates by line and column in one SDL text (parsed once)."""

    def __init__(self, text: str) -> None:
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.spans = coordinates(text)

    def at(self, line: int, column: int) -> str:
        """The innermost definition or member at a 1-based line and column (`line:column` outside any)."""
        offset = self.line_starts[line - 1] + column - 1 if 0 < line <= len(self.line_starts) else -1
        inside = [(end - start, coordinate) for start, end, coordinate in self.spans if start <= offset < end]
        return min(inside)[1] if inside else f"{line}:{column}"


def coordinate_at(text: str, line: int, column: int) -> str:
    return Coordinates(text).at(line, column)


def lint(*paths: Path) -> list[str]:
    """graphql-schema-linter's findings on the SDL files, with the committed configuration, as sorted
    `rule coordinate` lines (a finding outside schema.graphql names its file too)."""
    run = subprocess.run([shutil.which("node"), "node_modules/graphql-schema-linter/lib/cli.js", "--config-directory",
                          ".", "--format", "json", *map(str, paths)], cwd=PEERS, capture_output=True, text=True,
                         timeout=120)
    if run.returncode not in (0, 1):
        raise RuntimeError(f"graphql-schema-linter exited with {run.returncode}:\n{run.stderr}{run.stdout}")
    by_file: dict[Path, Coordinates] = {}
    findings = set()
    for error in json.loads(run.stdout)["errors"]:
        where = error["location"]
        file = Path(where["file"])
        if file not in by_file:
            by_file[file] = Coordinates(file.read_text(encoding="utf-8"))
        coordinate = by_file[file].at(where["line"], where["column"])
        prefix = "" if file.resolve() == paths[0].resolve() else f"{file.name}:"
        findings.add(f"{error['rule']} {prefix}{coordinate}")
    return sorted(findings)


def read_baseline(path: Path = LINT_BASELINE) -> list[str]:
    """The baseline's findings: its lines that are not comments or blank."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def against_baseline(found: list[str], baseline: list[str]) -> tuple[list[str], list[str]]:
    """(findings the baseline does not list, baseline lines no longer found)."""
    return sorted(set(found) - set(baseline)), sorted(set(baseline) - set(found))


def schema_changes(old: Path, new: Path) -> list[dict]:
    """graphql-inspector's changes from the old SDL to the new one: criticality, type, path, message."""
    run = subprocess.run([shutil.which("node"), "schema-diff.mjs", str(old), str(new), str(FEDERATION)], cwd=PEERS,
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        raise RuntimeError(f"tests/peers/schema-diff.mjs exited with {run.returncode}:\n{run.stderr}{run.stdout}")
    return json.loads(run.stdout)


def unreleased(changelog: str) -> str:
    """The text of CHANGELOG.md's `## [Unreleased]` section."""
    match = re.search(r"^## \[Unreleased\][^\n]*\n(.*?)(?=^## |\Z)", changelog, re.M | re.S)
    return match.group(1) if match else ""


def spellings(path: str) -> list[str]:
    """How a change's path may be written: as graphql-inspector writes it (`Query.subject.code`) or as
    a schema coordinate (`Query.subject(code:)`)."""
    parts = path.split(".")
    if len(parts) == 3:
        return [path, f"{parts[0]}.{parts[1]}({parts[2]}:)"]
    return [path]


def unexplained(changes: list[dict], section: str) -> list[dict]:
    """The breaking and dangerous changes whose coordinate the section does not name."""
    def named(path: str) -> bool:
        return any(re.search(rf"(?<![\w.@]){re.escape(s)}(?![\w(])", section) for s in spellings(path))

    return [c for c in changes if c["criticality"] in ("BREAKING", "DANGEROUS")
            and not named(c.get("path") or c["type"])]
