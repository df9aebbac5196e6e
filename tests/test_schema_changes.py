"""The schema against the previous release's (schema/releases/<version>.graphql), by graphql-inspector
(pinned in tests/peers): every breaking or dangerous change a client would meet is named, by its
schema coordinate, in CHANGELOG.md's [Unreleased] section; additions need no entry.

Needs Node.js and the pinned packages: `npm ci --prefix tests/peers` (`.ci/run` does it).
"""

from __future__ import annotations

import re

import pytest

from tests.peers import missing
from tests.schema_contract import CHANGELOG, RELEASES, SDL, schema_changes, unexplained, unreleased


def inspector_or_skip() -> None:
    reason = missing("@graphql-inspector/core")
    if reason:
        pytest.skip(f"{reason} (compares schema.graphql with the previous release's)")


def release_key(path):
    return tuple(int(part) for part in re.findall(r"\d+", path.stem))


def previous_release():
    releases = sorted(RELEASES.glob("*.graphql"), key=release_key)
    assert releases, f"no release SDL in {RELEASES}"
    return releases[-1]


def test_every_breaking_or_dangerous_change_since_the_last_release_is_in_the_changelog():
    inspector_or_skip()
    release = previous_release()
    missing_entries = unexplained(schema_changes(release, SDL), unreleased(CHANGELOG.read_text(encoding="utf-8")))
    assert not missing_entries, (
        f"schema.graphql changes what {release.name} clients rely on without saying so: name each of these schema "
        "coordinates in CHANGELOG.md under `## [Unreleased]` (### Breaking, ### Deprecated or ### Changed), saying "
        "what a client must do:\n" + "\n".join(f"{c['criticality']} {c.get('path') or c['type']}: {c['message']}"
                                               for c in missing_entries))


def test_a_removed_field_or_a_removed_enum_value_needs_an_entry_and_an_addition_does_not(tmp_path):
    inspector_or_skip()
    sdl = SDL.read_text(encoding="utf-8")
    assert "  searchSubjects(" in sdl and "type Subject implements Node @key" in sdl
    changed = tmp_path / "schema.graphql"
    changed.write_text(sdl.replace("  searchSubjects(", "  findSubjects(")
                       .replace("type Subject implements Node @key(fields: \"id\") @key(fields: \"code\") {",
                                "type Subject implements Node @key(fields: \"id\") @key(fields: \"code\") {\n  \"\"\"New.\"\"\"\n"
                                "  nickname: String"), encoding="utf-8")
    changes = schema_changes(SDL, changed)
    breaking = {c["path"] for c in changes if c["criticality"] == "BREAKING"}
    assert breaking == {"Query.searchSubjects"}, changes
    assert "Subject.nickname" in {c["path"] for c in changes if c["criticality"] == "NON_BREAKING"}

    assert [c["path"] for c in unexplained(changes, "### Added\n- `Query.findSubjects`\n")] == ["Query.searchSubjects"]
    assert unexplained(changes, "### Breaking\n- `Query.searchSubjects` is now `Query.findSubjects`.\n") == []
    # a coordinate named must be that one, not a longer name that starts with it
    assert unexplained(changes, "### Breaking\n- `Query.searchSubjectsByName` went.\n") != []


def test_an_argument_may_be_named_as_a_schema_coordinate():
    change = {"criticality": "DANGEROUS", "type": "FIELD_ARGUMENT_DEFAULT_CHANGED", "path": "Query.subjects.first",
              "message": "default changed"}
    assert unexplained([change], "- `Query.subjects(first:)` defaults to 20 now") == []
    assert unexplained([change], "- `Query.subjects.first` defaults to 20 now") == []
    assert unexplained([change], "- `Query.subjects` got faster") == [change]


def test_only_the_unreleased_section_counts():
    changelog = "# Changelog\n\n## [Unreleased]\n\n### Added\n- a\n\n## [0.1.0] - 2026-12-02\n- `Query.gone`\n"
    assert "Query.gone" not in unreleased(changelog) and "- a" in unreleased(changelog)
    assert unreleased(CHANGELOG.read_text(encoding="utf-8")).strip(), "CHANGELOG.md needs an [Unreleased] section"


def test_the_previous_release_is_the_highest_version():
    assert release_key(previous_release()) >= (0, 1, 0)
    assert release_key(RELEASES / "0.10.0.graphql") > release_key(RELEASES / "0.9.1.graphql")
