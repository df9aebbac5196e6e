"""Who reads a penalty past its public display (SPEC 3.2; issue 12: resolvers/access.py's `departmental`).

Once an administrative penalty's publicity ends (12 months from the decision), the public no longer
sees it; department officers and auditors that declared a purpose and a basis still read it until its
disclosure ends. A credit agency is not a department: with a purpose and a basis it reads PUBLIC
records only while they are on public display, as the public does. Subjects are organisations of
series DP, written by this module only.
"""

from __future__ import annotations

import functools

from tests import world
from tests.conftest import make_token
from tests.test_periods_http import DECLARED, SCJG, documents, stored

org = functools.partial(world.org_code, series="DP")
AUDITOR = make_token(user="dp-audit", department="FGJ", roles=["auditor"])
OFFICER = make_token(user="dp-officer", department="GAJ", roles=["officer"])
AGENCY = make_token(user="dp-agency", department="ZXJG", roles=["agency"])


def penalty(serial: int, decided: str, act_ended: str) -> dict:
    return {
        "subjectCode": org(serial), "subjectName": f"威海市环翠区公示期{serial}有限公司", "catalogueItem": "HC-13-6-PENALTY",
        "documentNumber": f"威环市监罚〔{decided[:4]}〕DP{serial}号", "issuingAuthority": "环翠区市场监督管理局",
        "decidedOn": decided, "actEndedOn": act_ended,
        "content": {"violation": "销售过期食品", "legalBasis": "《食品安全法》第一百二十四条", "penaltyKind": "罚款",
                    "fineAmount": "800"}}


async def test_officers_and_auditors_that_declared_read_a_penalty_past_its_publicity_agencies_do_not(client):
    old, recent = penalty(1, "2025-06-02", "2025-05-20"), penalty(2, "2026-09-30", "2026-09-01")
    await stored(client, SCJG, [old, recent])
    both = {old["documentNumber"], recent["documentNumber"]}

    assert set(await documents(client, org(1))) | set(await documents(client, org(2))) == \
        {recent["documentNumber"]}, "the public: the recent one only (publicity of the old one ended 2026-06-02)"
    for name, token in (("officer", OFFICER), ("auditor", AUDITOR)):
        seen = set(await documents(client, org(1), token=token, declared=DECLARED)) | \
            set(await documents(client, org(2), token=token, declared=DECLARED))
        assert seen == both, (name, seen)
        undeclared = set(await documents(client, org(1), token=token))
        assert undeclared == set(), (name, "without purpose and basis: as the public")
    agency = set(await documents(client, org(1), token=AGENCY, declared=DECLARED)) | \
        set(await documents(client, org(2), token=AGENCY, declared=DECLARED))
    assert agency == {recent["documentNumber"]}, agency
