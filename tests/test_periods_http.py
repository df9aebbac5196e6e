"""Periods as a user sees them, over HTTP (SPEC 3.2): an ongoing act stays public until its end is
reported (HC-19(3)); an administrative penalty leaves public view when its publicity ends while a
department still reads it; the act's end may precede the decision but not today; the catalogue
shows each item's update frequency (HC-8) and where its XZ-12 deadline runs from.

Subjects are organisations of series PD (tests/world.org_code), written by this module only.
"""

from __future__ import annotations

import datetime as dt
import functools

import httpx
import pytest

from tests import world
from tests.conftest import TODAY, app_for, graphql, make_token
from tests.test_submission import SUBMIT

org = functools.partial(world.org_code, series="PD")
SCJG = make_token(user="periods-scjg", department="SCJG", roles=["officer"])
FY = make_token(user="periods-fy", department="FY", roles=["officer"])
OFFICER = make_token(user="periods-gaj", department="GAJ", roles=["officer"])
DECLARED = {"purpose": "licensing", "basis": "XK-2026-0001"}
READ = """
query($codes: [ID!]!) {
  subjects(codes: $codes) {
    code
    records(first: 50) { edges { node { documentNumber status decidedOn actEndedOn disclosureEndsOn
                                        publicityEndsOn retainedUntil } } }
  }
}
"""


def penalty(serial: int, decided: str, act_ended: str | None = None) -> dict:
    """A general administrative penalty (HC-13-6, PUBLIC): public 12 months from the decision."""
    record = {
        "subjectCode": org(serial), "subjectName": f"威海市环翠区期限{serial}有限公司", "catalogueItem": "HC-13-6-PENALTY",
        "documentNumber": f"威环市监罚〔{decided[:4]}〕PD{serial}号", "issuingAuthority": "环翠区市场监督管理局",
        "decidedOn": decided,
        "content": {"violation": "销售过期食品", "legalBasis": "《食品安全法》第一百二十四条", "penaltyKind": "罚款",
                    "fineAmount": "800"},
    }
    if act_ended:
        record["actEndedOn"] = act_ended
    return record


def judgment_default(serial: int, decided: str) -> dict:
    """A dishonest judgment debtor (HC-13-1, PUBLIC) that has not performed: no act end."""
    return {
        "subjectCode": org(serial), "subjectName": f"威海市环翠区期限{serial}有限公司",
        "catalogueItem": "HC-13-1-JUDGMENT-DEFAULT", "documentNumber": f"（{decided[:4]}）鲁1002执{serial}号",
        "issuingAuthority": "威海市环翠区人民法院", "decidedOn": decided,
        "content": {"court": "威海市环翠区人民法院", "caseNumber": f"（{decided[:4]}）鲁1002执{serial}号",
                    "basisKind": "判决书", "obligation": "支付货款及利息", "performance": "全部未履行"},
    }


async def submit(client, token: str, records: list[dict]) -> list[dict]:
    body = await graphql(client, SUBMIT, {"input": records, "mode": "BEST_EFFORT"}, token=token)
    return body["data"]["submitRecords"]["result"]["outcomes"]


async def stored(client, token: str, records: list[dict]) -> None:
    outcomes = await submit(client, token, records)
    assert len(outcomes) == len(records) and all(o["status"] in ("STORED", "UNCHANGED") for o in outcomes), outcomes


async def documents(client, code: str, *, token: str | None = None, declared: dict | None = None) -> dict:
    body = await graphql(client, READ, {"codes": [code]}, token=token, **(declared or {}))
    # notices only (SHARED records withheld for want of a query permit), never a failure
    assert all(e["extensions"]["code"] == "PURPOSE_REQUIRED" for e in body.get("errors", [])), body
    subjects = body["data"]["subjects"]
    return {e["node"]["documentNumber"]: e["node"] for s in subjects for e in s["records"]["edges"]}


async def test_a_penalty_leaves_public_view_when_its_publicity_ends_but_departments_still_read_it(client, engine):
    old, recent = penalty(1, "2025-06-02", act_ended="2025-05-20"), penalty(2, "2026-09-30", act_ended="2026-09-01")
    await stored(client, SCJG, [old, recent])

    public = await documents(client, org(1))
    assert old["documentNumber"] not in public, "12 months from 2025-06-02 are over: off public display"
    seen = (await documents(client, org(1), token=OFFICER, declared=DECLARED))[old["documentNumber"]]
    assert seen == {"documentNumber": old["documentNumber"], "status": "ACTIVE", "decidedOn": "2025-06-02",
                    "actEndedOn": "2025-05-20", "disclosureEndsOn": "2030-05-20", "publicityEndsOn": "2026-06-02",
                    "retainedUntil": None}, "a department reads it until 5 years after the act ended (HC-19(3))"
    undeclared = await documents(client, org(1), token=OFFICER)
    assert old["documentNumber"] not in undeclared, "an officer without purpose and basis reads as the public"

    assert recent["documentNumber"] in await documents(client, org(2)), "still within its publicity"
    last_day = app_for(engine, today=dt.date(2027, 9, 30))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=last_day), base_url="http://gateway") as on_it:
        assert recent["documentNumber"] in await documents(on_it, org(2)), "publicityEndsOn is its last public day"
    later = app_for(engine, today=dt.date(2027, 10, 1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=later), base_url="http://gateway") as future:
        assert recent["documentNumber"] not in await documents(future, org(2)), \
            "decided at read time: no sweep needed once 2027-09-30 has passed"
        assert (await documents(future, org(2), token=OFFICER, declared=DECLARED))[
            recent["documentNumber"]]["status"] == "ACTIVE"


async def test_an_ongoing_act_stays_public_until_its_end_is_reported(client):
    debtor = judgment_default(3, "2019-03-01")
    await stored(client, FY, [debtor])
    seen = (await documents(client, org(3)))[debtor["documentNumber"]]
    assert seen["status"] == "ACTIVE", "seven years on, still unperformed: still on the public list"
    assert (seen["actEndedOn"], seen["disclosureEndsOn"], seen["publicityEndsOn"]) == (None, None, None)


async def test_the_acts_end_may_precede_the_decision_but_not_today(client):
    before = penalty(4, "2026-09-30", act_ended="2026-08-01")
    outcomes = await submit(client, SCJG, [before, penalty(5, "2026-09-30", act_ended=str(TODAY + dt.timedelta(1)))])
    assert outcomes[0]["status"] == "STORED", outcomes[0]
    assert outcomes[1]["status"] == "REJECTED"
    [error] = outcomes[1]["errors"]
    assert error["field"].endswith("actEndedOn") and "in the future" in error["message"], error
    seen = (await documents(client, org(4), token=OFFICER, declared=DECLARED))[before["documentNumber"]]
    assert (seen["actEndedOn"], seen["disclosureEndsOn"]) == ("2026-08-01", "2031-08-01")


CATALOGUE = """
query { catalogue { code updateFrequency deadlineRunsFrom deadlineWorkingDays disclosureRule } }
"""


async def test_the_catalogue_shows_update_frequency_and_the_xz12_deadline(client):
    body = await graphql(client, CATALOGUE)
    assert "errors" not in body, body
    items = {i["code"]: i for i in body["data"]["catalogue"]}
    assert items["HC-13-6-PENALTY"] | {"disclosureRule": None} == {
        "code": "HC-13-6-PENALTY", "updateFrequency": "PER_DECISION", "deadlineRunsFrom": "DECISION",
        "deadlineWorkingDays": 7, "disclosureRule": None}
    assert "3–12 months from the decision" in items["HC-13-6-PENALTY"]["disclosureRule"]
    assert "5 years from the day the act ended" in items["HC-13-6-PENALTY"]["disclosureRule"]
    court = items["HC-13-1-JUDGMENT-DEFAULT"]
    assert (court["updateFrequency"], court["deadlineRunsFrom"], court["deadlineWorkingDays"]) == (
        "MONTH", "PERIOD_END", 10), "a court list is no administrative decision (XZ-12(2))"
    assert "public" not in court["disclosureRule"], "no penalty publicity for a court list"
    assert items["HC-12-3-RATING"]["updateFrequency"] == "YEAR"
