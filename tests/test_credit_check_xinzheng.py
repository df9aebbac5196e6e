"""creditChecks under the Xinzheng profile, through HTTP (issue 17; XZ-21, XZ-24): each shipped rule of
domain/profiles/xinzheng_rules.yaml fires on the subjects built for it and answers NONE on the
others; an open objection never lowers a restriction (XZ-24). A database of this module's own."""

from __future__ import annotations

import datetime as dt
import functools

import httpx
import pytest

from domain.catalogue import load_profile
from domain.credit_rules import load_rules
from domain.enums import Purpose
from store.bootstrap import initialise
from store.engine import create_engine
from tests import world
from tests.check_helpers import CHECKS, build, exercised, fired, officer
from tests.conftest import app_for, graphql, scratch_url

PROFILE = load_profile("xinzheng")
RULES = load_rules(PROFILE)
org = functools.partial(world.org_code, series="CX")
SUBMITTED, TODAY = dt.date(2026, 11, 2), world.TODAY
CAUTION = "BAD-RECORD-CAUTION"

SUBJECTS = {
    "major": (1, [("XZ-7-12-PENALTY", "SCJG", "2025-06-01", {"penaltyKind": "责令停产停业"},
                   {"actEndedOn": "2025-06-01"})]),
    "fine": (2, [("XZ-7-12-PENALTY", "SCJG", "2026-03-01", {"penaltyKind": "罚款"}, {"actEndedOn": "2026-03-01"})]),
    "debtor": (3, [("XZ-7-7-DISHONEST-DEBTOR", "FY", "2026-05-01", {}, {})]),
    "tax": (4, [("XZ-7-8-TAX-VIOLATION", "SWJ", "2026-04-01", {}, {"actEndedOn": "2026-04-01"})]),
    "accident": (5, [("XZ-7-10-ACCIDENT", "YJGL", "2026-02-01", {"accidentLevel": "重大事故"},
                      {"actEndedOn": "2026-02-01"})]),
    "small_accident": (6, [("XZ-7-10-ACCIDENT", "YJGL", "2026-02-01", {"accidentLevel": "较大事故"},
                            {"actEndedOn": "2026-02-01"})]),
    "honour": (7, [("XZ-7-15-HONOUR", "SCJG", "2026-01-10", {}, {})]),
    "honour_fine": (8, [("XZ-7-15-HONOUR", "SCJG", "2026-01-10", {}, {}),
                        ("XZ-7-12-PENALTY", "SCJG", "2026-03-01", {"penaltyKind": "罚款"},
                         {"actEndedOn": "2026-03-01"})]),
    "clean": (9, [("XZ-7-1-REGISTRATION", "SCJG", "2020-01-06", {}, {})]),
    "disputed": (10, [("XZ-7-7-DISHONEST-DEBTOR", "FY", "2026-05-01", {}, {})]),
}
EXPECTED = {
    "PROCUREMENT": {
        "major": {"PROCUREMENT-MAJOR-VIOLATION-3Y": "RESTRICT", CAUTION: "CAUTION"},
        "fine": {CAUTION: "CAUTION"},
        "debtor": {"PROCUREMENT-JOINT-LISTS": "RESTRICT", CAUTION: "CAUTION"},
        "tax": {"PROCUREMENT-JOINT-LISTS": "RESTRICT", CAUTION: "CAUTION"},
        "accident": {"MAJOR-ACCIDENT-CAUTION": "CAUTION", CAUTION: "CAUTION"},
        "small_accident": {CAUTION: "CAUTION"},
        "honour": {"GOOD-RECORD-INCENTIVE": "INCENTIVE"},
        "honour_fine": {CAUTION: "CAUTION"},
        "clean": {},
        "disputed": {"PROCUREMENT-JOINT-LISTS": "RESTRICT", CAUTION: "CAUTION"},  # XZ-24: the objection changes nothing
    },
    "SUBSIDY": {
        "debtor": {"JOINT-DISHONEST-DEBTOR": "RESTRICT", CAUTION: "CAUTION"},
        "tax": {"JOINT-MAJOR-TAX-VIOLATION": "RESTRICT", CAUTION: "CAUTION"},
        "honour": {"GOOD-RECORD-INCENTIVE": "INCENTIVE"},
        "clean": {},
    },
    "COMMENDATION": {
        "fine": {"COMMENDATION-BAD-RECORD": "RESTRICT"},
        "honour": {"GOOD-RECORD-INCENTIVE": "INCENTIVE"},
        "honour_fine": {"COMMENDATION-BAD-RECORD": "RESTRICT"},
    },
}


@pytest.fixture(scope="module")
async def xz_engine(backend, tmp_path_factory):
    engine = create_engine(await scratch_url(backend, tmp_path_factory.mktemp("credit-check-xz"), "credit_check_xz"))
    await initialise(engine, "xinzheng")
    yield engine
    await engine.dispose()


def client_on(engine, today: dt.date) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(engine, today=today, profile="xinzheng")),
                             base_url="http://gateway")


@pytest.fixture(scope="module")
async def built(xz_engine):
    async with client_on(xz_engine, SUBMITTED) as client:
        await build(client, PROFILE, SUBJECTS, org)
    return {label: org(serial) for label, (serial, _) in SUBJECTS.items()}


@pytest.mark.parametrize("purpose", sorted(EXPECTED))
async def test_each_xinzheng_rule_fires_on_the_records_built_for_it_and_answers_none_on_others(xz_engine, built,
                                                                                               purpose):
    labels = sorted(EXPECTED[purpose])
    async with client_on(xz_engine, TODAY) as client:
        body = await graphql(client, CHECKS, {"codes": [built[label] for label in labels], "purpose": purpose},
                             token=officer("XZSP"), purpose=purpose, basis="XZ-SP-2026-5")
    # class B needs no letter (XZ-15); class C would (XZ-18): the answer says so, and the check goes on
    assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"PURPOSE_REQUIRED"}, body
    of_purpose = [r.code for r in RULES.for_purpose(Purpose(purpose))]
    for label, result in zip(labels, body["data"]["creditChecks"]):
        check = result["check"]
        assert [h["rule"] for h in check["hints"]] == of_purpose
        assert fired(check) == EXPECTED[purpose][label], (purpose, label, check["hints"])
        assert not any(h["cappedByObjection"] for h in check["hints"])
        if label == "disputed":
            assert [a["kind"] for a in check["annotatedRecords"][0]["annotations"]] == ["OBJECTION_OPEN"]
            assert check["verdict"] == "RESTRICT"


def test_every_shipped_xinzheng_rule_is_exercised_firing_and_not_firing():
    fires, quiet, every = exercised(EXPECTED, RULES)
    assert fires == every == quiet
