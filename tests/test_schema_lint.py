"""graphql-schema-linter (pinned in tests/peers) on schema.graphql: every rule on but the ordering
rules, the federation spec's definitions excluded, and no finding beyond the committed baseline
(tests/peers/schema-lint-baseline.txt), which only shrinks until it is empty.

Needs Node.js and the pinned packages: `npm ci --prefix tests/peers` (`.ci/run` does it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from graphql import print_schema

from schema.build import build_schema
from tests.peers import PEERS, missing
from tests.schema_contract import (FEDERATION, LINT_BASELINE, LINTER_CONFIG, SDL, against_baseline, coordinate_at,
                                   lint, read_baseline)

ORDERING_RULES = {"enum-values-sorted-alphabetically", "input-object-fields-sorted-alphabetically",
                  "interface-fields-sorted-alphabetically", "type-fields-sorted-alphabetically"}
FEDERATION_NAMES = {"Query._entities", "Query._service", "_Any", "_Entity", "_Service", "_FieldSet", "link__Import",
                    "link__Purpose"}


def linter_or_skip() -> None:
    reason = missing("graphql-schema-linter")
    if reason:
        pytest.skip(f"{reason} (lints schema.graphql)")


def test_no_finding_beyond_the_baseline_and_every_baseline_line_still_found():
    linter_or_skip()
    new, fixed = against_baseline(lint(SDL, FEDERATION), read_baseline())
    problems = []
    if new:
        problems.append("graphql-schema-linter findings on schema.graphql that tests/peers/schema-lint-baseline.txt "
                        "does not list: fix them (describe it, say its unit and article; see the README's schema "
                        "conventions) rather than adding them to the baseline:\n" + "\n".join(new))
    if fixed:
        problems.append("fixed, so delete these lines from tests/peers/schema-lint-baseline.txt (it only shrinks):\n"
                        + "\n".join(fixed))
    assert not problems, "\n\n".join(problems)


def test_a_new_undescribed_member_is_a_finding_the_baseline_does_not_cover(tmp_path):
    linter_or_skip()
    sdl = SDL.read_text(encoding="utf-8")
    changed = tmp_path / "schema.graphql"
    changed.write_text(sdl + '\n"""A type of the test."""\ntype Unlisted {\n  undescribed: String\n  '
                             '"""described lower-case."""\n  lowered: Int\n}\n'
                             '\nextend type Query {\n  """The test type."""\n  unlisted: Unlisted\n}\n',
                       encoding="utf-8")
    new, fixed = against_baseline(lint(changed, FEDERATION), read_baseline())
    assert new == ["descriptions-are-capitalized Unlisted.lowered", "fields-have-descriptions Unlisted.undescribed"]
    assert fixed == []


def test_a_line_of_the_baseline_that_is_fixed_is_reported():
    found = ["fields-have-descriptions Subject.name"]
    new, fixed = against_baseline(found, ["fields-have-descriptions Subject.name", "types-have-descriptions Query"])
    assert (new, fixed) == ([], ["types-have-descriptions Query"])
    assert against_baseline(found + ["types-have-descriptions Mutation"], found) == (
        ["types-have-descriptions Mutation"], [])


def test_findings_are_named_by_schema_coordinate():
    sdl = 'type Query {\n  """x"""\n  a(first: Int, b: String): Int\n}\n\nenum E {\n  ONE\n  TWO\n}\n' \
          'directive @d(x: Int) on FIELD\n'
    assert coordinate_at(sdl, 1, 6) == "Query"
    assert coordinate_at(sdl, 3, 3) == "Query.a"
    assert coordinate_at(sdl, 3, 17) == "Query.a(b:)"
    assert coordinate_at(sdl, 8, 3) == "E.TWO"
    assert coordinate_at(sdl, 10, 14) == "@d(x:)"
    assert coordinate_at(sdl, 5, 1) == "5:1"


def test_every_rule_is_on_but_the_ordering_rules_each_with_a_reason():
    linter_or_skip()
    config = yaml.safe_load(LINTER_CONFIG.read_text(encoding="utf-8"))
    rules_dir = PEERS / "node_modules" / "graphql-schema-linter" / "lib" / "rules"
    every_rule = {p.stem.replace("_", "-") for p in rules_dir.glob("*.js") if p.stem != "index"}
    on, off = set(config["rules"]), config["turned-off"]
    assert on | set(off) == every_rule and not on & set(off), (every_rule - on - set(off), on & set(off))
    assert set(off) == ORDERING_RULES, "only the ordering rules may be off"
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in off.values()), off


def test_only_the_federation_spec_definitions_are_excluded():
    config = yaml.safe_load(LINTER_CONFIG.read_text(encoding="utf-8"))
    assert set(config["federation"]) == FEDERATION_NAMES
    assert config["ignore"] == {rule: config["federation"] for rule in config["rules"]}


def test_the_federation_definitions_file_is_what_the_served_schema_declares():
    """The file the tools read beside schema.graphql holds strawberry's own federation definitions."""
    served = print_schema(build_schema()._schema).split("\n\n")
    blocks = [b.strip() for b in FEDERATION.read_text(encoding="utf-8").split("\n\n")
              if b.strip() and not b.lstrip().startswith("#")]
    assert blocks and all(block in served for block in blocks), [b for b in blocks if b not in served]
    assert {"directive @key(", "directive @link("} <= {b[:b.index("(") + 1] for b in blocks if "(" in b}


def test_the_baseline_is_sorted_and_has_no_duplicates():
    lines = read_baseline()
    assert lines == sorted(set(lines)), "keep tests/peers/schema-lint-baseline.txt sorted, one finding a line"
    assert all(len(line.split()) == 2 for line in lines), [line for line in lines if len(line.split()) != 2]
