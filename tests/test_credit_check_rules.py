"""Credit-check rules as data (issue 17): validated against the catalogue at load, each fault naming its
rule and field; an operator edits the file and every worker follows on its next check, without a
restart; a file that no longer validates is refused and the rules in use stay."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import httpx
import pytest
import yaml

from domain.catalogue import PROFILES_DIR, load_profile
from domain.credit_rules import CreditRulesError, RulesFollower, load_rules, parse_rules
from tests import world
from tests.check_helpers import CHECK
from tests.conftest import app_for, graphql, make_token

HUANCUI = load_profile("huancui")
TEXT = (PROFILES_DIR / "huancui_rules.yaml").read_text(encoding="utf-8")
OFFICER = make_token(user="ck-rules", department="XZSP", roles=["officer"])


def edited(change) -> str:
    raw = yaml.safe_load(TEXT)
    change(raw)
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def problems(change) -> list[str]:
    with pytest.raises(CreditRulesError) as caught:
        parse_rules(edited(change), HUANCUI, "huancui_rules.yaml")
    return caught.value.problems


def rule(raw: dict, code: str) -> dict:
    return next(r for r in raw["rules"] if r["code"] == code)


def test_both_shipped_rule_files_load_against_their_catalogues():
    for code in ("huancui", "xinzheng"):
        rules = load_rules(load_profile(code))
        assert rules.profile_code == code and len(rules.rules) >= 8 and all(r.source for r in rules.rules)
        assert all(item in load_profile(code).items for r in rules.rules for m in r.match for item in m.items or ())


@pytest.mark.parametrize("change, expected", [
    (lambda raw: rule(raw, "MARKET-BAN")["match"][0].update(items=["HC-99-NOT-AN-ITEM"]),
     "rule MARKET-BAN.match[0].items: no catalogue item 'HC-99-NOT-AN-ITEM'"),
    (lambda raw: rule(raw, "MARKET-BAN").update(purposes=["PROCUREMENT", "LOTTERY"]),
     "rule MARKET-BAN.purposes: unknown 'LOTTERY'"),
    (lambda raw: rule(raw, "MARKET-BAN").update(action="FORBID"), "rule MARKET-BAN.action: unknown 'FORBID'"),
    (lambda raw: rule(raw, "MARKET-BAN").pop("source"), "rule MARKET-BAN: missing source"),
    (lambda raw: rule(raw, "MARKET-BAN").update(source="  "), "rule MARKET-BAN.source must be a non-empty text"),
    (lambda raw: rule(raw, "BAD-RECORD-CAUTION")["match"][0].update(categories=["UGLY"]),
     "rule BAD-RECORD-CAUTION.match[0].categories: unknown 'UGLY'"),
    (lambda raw: rule(raw, "PROCUREMENT-MAJOR-VIOLATION-3Y")["match"][0]["content"].update(penaltyKind=["枪毙"]),
     "rule PROCUREMENT-MAJOR-VIOLATION-3Y.match[0].content.penaltyKind: 枪毙 is not a value of HC-13-6-PENALTY"),
    (lambda raw: rule(raw, "MARKET-BAN")["match"][0].update(within_years=0),
     "rule MARKET-BAN.match[0].within_years must be a whole number of years"),
    (lambda raw: raw.update(profile="xinzheng"), "profile: 'xinzheng' but the deployment's profile is 'huancui'"),
    (lambda raw: raw["rules"].append(dict(rule(raw, "MARKET-BAN"))), "rule MARKET-BAN: the code is used twice"),
])
def test_a_fault_is_refused_at_load_naming_the_rule_and_the_field(change, expected):
    found = problems(change)
    assert any(p.startswith(expected) for p in found), found


def test_every_fault_of_a_file_is_reported_at_once():
    def two(raw):
        rule(raw, "MARKET-BAN").pop("source")
        rule(raw, "BAD-RECORD-CAUTION")["match"][0].update(categories=["UGLY"])

    assert len(problems(two)) == 2


@pytest.fixture
def own_files(tmp_path: Path) -> Path:
    """The Huancui catalogue and rules copied where a test may edit them (the deployment's profile path)."""
    shutil.copy(PROFILES_DIR / "huancui.yaml", tmp_path / "huancui.yaml")
    shutil.copy(PROFILES_DIR / "huancui_rules.yaml", tmp_path / "huancui_rules.yaml")
    return tmp_path


def write(path: Path, text: str, bump: int) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = path.stat().st_mtime_ns + bump * 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


async def hints(client) -> tuple[str, list[tuple[str, str]]]:
    body = await graphql(client, CHECK, {"code": world.ORG_A, "purpose": "PROCUREMENT"}, token=OFFICER,
                         purpose="PROCUREMENT", basis="CG-RULES-1")
    check = body["data"]["creditCheck"]
    return check["rulesVersion"], [(h["rule"], h["reasonEn"]) for h in check["hints"]]


async def test_an_edited_rules_file_is_followed_by_every_worker_without_restart(engine, own_files):
    apps = [app_for(engine, profile=str(own_files / "huancui.yaml")) for _ in range(2)]
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://gateway") for a in apps]
    path = own_files / "huancui_rules.yaml"
    try:
        before = [await hints(c) for c in clients]
        assert before[0] == before[1] and "GOOD-RECORD-INCENTIVE" in [r for r, _ in before[0][1]]

        def change(raw):
            raw["rules"] = [r for r in raw["rules"] if r["code"] != "GOOD-RECORD-INCENTIVE"]
            rule(raw, "BAD-RECORD-CAUTION")["reason_en"] = "Weigh the record (edited by the operator)."

        write(path, edited(change), bump=1)
        after = [await hints(c) for c in clients]
        assert after[0] == after[1] and after[0][0] != before[0][0]
        assert "GOOD-RECORD-INCENTIVE" not in [r for r, _ in after[0][1]]
        assert ("BAD-RECORD-CAUTION", "Weigh the record (edited by the operator).") in after[0][1]

        write(path, edited(lambda raw: rule(raw, "MARKET-BAN").pop("source")), bump=2)
        assert [await hints(c) for c in clients] == after, "a bad file is refused: the rules in use stay"
    finally:
        for client in clients:
            await client.aclose()


def test_separate_followers_of_one_file_each_follow_it(own_files):
    """What each worker process holds: its own follower, which re-reads the file when it changes."""
    profile = load_profile(own_files / "huancui.yaml")
    workers = [RulesFollower(profile), RulesFollower(profile)]
    version = workers[0].current().version
    write(own_files / "huancui_rules.yaml", TEXT.replace("并加强监管", "并加强日常监管"), bump=1)
    assert {w.current().version for w in workers} != {version} and len({w.current().version for w in workers}) == 1
    write(own_files / "huancui_rules.yaml", "rules: [", bump=2)
    assert all(w.current().version != version and w.last_error for w in workers)


def test_a_deployment_with_a_bad_rules_file_refuses_to_start(engine, own_files):
    (own_files / "huancui_rules.yaml").write_text(TEXT.replace("source: 《环翠区公共信用信息管理办法》第二十五条",
                                                               "source: ''"), encoding="utf-8")
    with pytest.raises(CreditRulesError, match="GOOD-RECORD-INCENTIVE.source"):
        app_for(engine, profile=str(own_files / "huancui.yaml"))


def test_serve_refuses_a_bad_rules_file_in_one_line(own_files):
    from gateway.cli import _credit_rules_problem
    from tests.conftest import test_settings

    settings = test_settings()
    assert _credit_rules_problem(settings) is None
    (own_files / "huancui_rules.yaml").write_text(TEXT.replace("action: CAUTION", "action: MAYBE", 1), encoding="utf-8")
    problem = _credit_rules_problem(dataclasses.replace(settings, profile=str(own_files / "huancui.yaml")))
    assert "\n" not in problem and "rule BAD-RECORD-CAUTION.action: unknown 'MAYBE'" in problem
