"""Objections through HTTP under the Xinzheng profile (XZ-22..24): the centre forwards within 3
working days, the provider verifies within 15, the centre's written notice within 2 closes the
case; an open objection never hides the record (XZ-24), even with the provider past its day.
On a database of this module's own (the Xinzheng catalogue)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from store.bootstrap import initialise
from store.engine import create_engine
from tests import world
from tests.conftest import app_for, graphql, make_token, scratch_url
from tests.test_cases import OPERATOR, SCJG, forbidden, payload, submit
from tests.test_objections import COMPARE, DECIDE, FILE, FORWARD, NOTIFY, READ


@pytest.fixture(scope="module")
async def xz_engine(backend, tmp_path_factory):
    url = await scratch_url(backend, tmp_path_factory.mktemp("objections-xz"), "objections_xz")
    engine = create_engine(url)
    await initialise(engine, "xinzheng")
    yield engine
    await engine.dispose()


def on(engine, today: dt.date) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(engine, today=today, profile="xinzheng")),
                             base_url="http://gateway")


def penalty(subject: str) -> dict:
    return {"subjectCode": subject, "subjectName": "新郑市异议测试有限公司", "catalogueItem": "XZ-7-12-PENALTY",
            "documentNumber": "新市监罚〔2026〕YX1号", "issuingAuthority": "新郑市市场监督管理局",
            "decidedOn": "2026-09-21", "content": {"violation": "异议测试违法事实", "legalBasis": "《食品安全法》",
                                                   "penaltyKind": "罚款", "fineAmount": "0.30"}}


async def test_xinzheng_forward_verify_notify_and_the_record_never_hidden(xz_engine):
    subject = world.org_code(1, series="YX")
    me = make_token(user="yx-org1", subject=subject)
    async with on(xz_engine, dt.date(2026, 9, 29)) as client:
        record_id = await submit(client, penalty(subject), SCJG)
        case = payload(await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "ERROR_OR_OMISSION",
                                                          "statement": "与事实不符"}}, token=me), "fileObjection")["case"]
        assert (case["state"], case["dueOn"]) == ("FILED", "2026-10-09")
        refused = payload(await graphql(client, COMPARE, {"i": {"caseId": case["id"], "outcome": "SAME",
                                                                "note": "一致"}}, token=OPERATOR), "compareObjection")
        assert refused["errors"][0]["message"].startswith("the objection workflow")
        for token in (None, SCJG, me):
            assert forbidden(await graphql(client, FORWARD, {"i": {"caseId": case["id"]}}, token=token))
        forwarded = payload(await graphql(client, FORWARD, {"i": {"caseId": case["id"]}}, token=OPERATOR),
                            "forwardObjection")["case"]
        assert (forwarded["state"], forwarded["nextParty"], forwarded["dueOn"]) == ("FORWARDED", "PROVIDER",
                                                                                   "2026-10-26")
    async with on(xz_engine, dt.date(2026, 10, 27)) as client:  # the provider is late: still shown (XZ-24)
        record = (await graphql(client, READ, {"id": record_id}))["data"]["record"]
        assert record is not None and [a["kind"] for a in record["annotations"]] == ["OBJECTION_OPEN"]
        verified = payload(await graphql(client, DECIDE, {"i": {"caseId": case["id"], "decision": "REJECTED",
                                                                "reason": "核查无误"}}, token=SCJG),
                           "decideObjection")["case"]
        # received Tuesday 27 October: 2 working days are 28 and 29 October
        assert (verified["state"], verified["nextParty"], verified["dueOn"]) == ("VERIFIED_REJECTED", "CENTRE",
                                                                                "2026-10-29")
        for token in (None, SCJG, me):
            assert forbidden(await graphql(client, NOTIFY, {"i": {"caseId": case["id"], "letterReference": "函1"}},
                                           token=token))
        done = payload(await graphql(client, NOTIFY, {"i": {"caseId": case["id"],
                                                            "letterReference": "新信异复〔2026〕1号"}}, token=OPERATOR),
                       "notifyObjectionResult")["case"]
        assert (done["state"], done["nextParty"], done["closedAt"] is not None) == ("REJECTED", "NONE", True)
        assert [s["kind"] for s in done["steps"]][-1] == "OBJECTION_RESULT_NOTIFIED"
        assert done["steps"][-1]["document"] == "新信异复〔2026〕1号"
        assert (await graphql(client, READ, {"id": record_id}))["data"]["record"]["annotations"] == []
