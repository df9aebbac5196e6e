"""Reading rights as Casbin data per profile (SPEC 3.1): a profile's file adds or overrides lines,
and a deployment still storing a superseded shipped file gets the current lines at start."""

from __future__ import annotations

import pytest

from policies.engine import DEFAULT_POLICY_FILE, PolicyFileError, merge_lines, parse_policy_lines
from policies.storage import load_lines, read_policy_file, seed_if_empty, store_lines
from store.bootstrap import initialise
from store.engine import create_engine
from tests.conftest import scratch_url

OLD_DEFAULT = """
p, public, PUBLIC, *, read, always
p, self, *, *, read, always
p, self, *, *, unmask, always
p, self, *, *, field:Subject.queryCount, always
p, self, *, *, field:Subject.queryHistory, always
p, self, *, *, field:CreditRecord.versions, always
p, grantee, *, *, read, always
p, grantee, *, *, unmask, always
p, officer, PUBLIC, *, read, always
p, officer, SHARED, *, read, purpose
p, officer, LIMITED, *, read, listed
p, officer, *, *, unmask, purpose
p, officer, *, *, field:CreditRecord.lateWorkingDays, purpose
p, agency, PUBLIC, *, read, always
p, agency, SHARED, *, read, purpose
p, agency, LIMITED, *, read, listed
p, provider, *, *, read, always
p, provider, *, *, unmask, always
p, provider, *, *, field:CreditRecord.lateWorkingDays, always
p, provider, *, *, field:CreditRecord.versions, always
p, operator, PUBLIC, *, read, always
p, operator, *, *, read, case
p, operator, *, *, unmask, case
p, operator, *, *, field:CreditRecord.lateWorkingDays, always
p, auditor, PUBLIC, *, read, always
p, auditor, *, *, read, purpose
p, auditor, *, *, unmask, purpose
p, auditor, *, *, field:Subject.queryCount, always
p, auditor, *, *, field:Subject.queryHistory, always
p, auditor, *, *, field:CreditRecord.versions, always
p, auditor, *, *, field:CreditRecord.lateWorkingDays, always
p, auditor, *, *, field:Query.queryLog, always
"""


def test_a_profile_overrides_adds_and_removes_lines():
    base = parse_policy_lines("p, officer, SHARED, *, read, purpose\np, agency, SHARED, *, read, purpose\n"
                              "p, officer, PUBLIC, *, read, always")
    overlay = parse_policy_lines("p, officer, SHARED, *, read, permit\np, agency, SHARED, *, read, never\n"
                                 "p, officer, LIMITED, *, read, listed_permit\ng, auditor, officer")
    assert merge_lines(base, overlay) == [["p", "officer", "SHARED", "*", "read", "permit"],
                                          ["p", "officer", "PUBLIC", "*", "read", "always"],
                                          ["p", "officer", "LIMITED", "*", "read", "listed_permit"],
                                          ["g", "auditor", "officer"]]
    with pytest.raises(PolicyFileError, match="condition 'sometimes'"):
        parse_policy_lines("p, officer, SHARED, *, read, sometimes")


@pytest.mark.parametrize("profile, shared_for_agency, officer_limited", [
    ("huancui", None, "listed_permit"), ("xinzheng", "purpose", "listed_permit")])
def test_each_profile_reads_its_own_lines(profile, shared_for_agency, officer_limited):
    lines = read_policy_file(None, profile)
    rule = {tuple(p[1:5]): p[5] for p in lines if p[0] == "p"}
    assert rule.get(("agency", "SHARED", "*", "read")) == shared_for_agency
    assert rule[("officer", "LIMITED", "*", "read")] == officer_limited
    assert rule[("officer", "SHARED", "*", "read")] == ("permit" if profile == "huancui" else "purpose")
    assert ["g", "auditor", "officer"] in lines and ("auditor", "*", "*", "read") not in rule
    # a configured file is the operator's whole policy, as written
    assert read_policy_file(DEFAULT_POLICY_FILE, profile) == parse_policy_lines(DEFAULT_POLICY_FILE.read_text())


async def test_a_deployment_still_storing_the_old_shipped_policy_gets_the_new_one(backend, tmp_path):
    """Before issue 11 an auditor with any purpose and basis read AUTHORIZED records; a database
    that stored that file unchanged must not keep the hole after the upgrade."""
    engine = create_engine(await scratch_url(backend, tmp_path, "stock_policy"))
    try:
        await initialise(engine, "huancui")
        await store_lines(engine, parse_policy_lines(OLD_DEFAULT), changed_by="old release")
        await seed_if_empty(engine, None, "huancui")
        lines, _ = await load_lines(engine, "huancui")
        assert lines == read_policy_file(None, "huancui")
        assert ["p", "auditor", "*", "*", "read", "purpose"] not in lines
        # an edited policy is left as the operator wrote it
        edited = parse_policy_lines(OLD_DEFAULT + "p, officer, AUTHORIZED, *, read, purpose\n")
        await store_lines(engine, edited)
        await seed_if_empty(engine, None, "huancui")
        assert (await load_lines(engine, "huancui"))[0] == edited
    finally:
        await engine.dispose()
