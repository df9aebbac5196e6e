"""creditCheck and creditChecks under the Huancui profile, through HTTP (issue 17, SPEC 3.5; HC-24..26).

Subjects built for the shipped rules (domain/profiles/huancui_rules.yaml), each record submitted by
its provider on 2026-11-02; checks read on 2026-11-20 by a 行政审批服务局 officer with a purpose and
a basis. Each rule fires on the subjects built for it and answers NONE on the others; a batch
answers bad codes per position; asOf re-examines the days around a repair and a revocation; a reader
without SHARED rights is told what was withheld. A database of this module's own.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

import httpx
import pytest
from sqlalchemy import select

from domain.catalogue import load_profile
from domain.credit_rules import load_rules
from domain.enums import Purpose
from store.models import CreditCheckReceipt, QueryLogEntry
from tests import world
from tests.check_helpers import CHECK, CHECKS, build, exercised, fired, officer, record_input, submit
from tests.conftest import app_for, graphql
from tests.history_helpers import client_on
from tests.permits import register
from tests.sweep_world import fresh

PROFILE = load_profile("huancui")
RULES = load_rules(PROFILE)
org = functools.partial(world.org_code, series="CK")
SUBMITTED = dt.date(2026, 11, 2)
TODAY = world.TODAY  # 2026-11-20
XZSP = officer("XZSP")
BASIS = "CG-HC-2026-017"

# label -> (serial, [(item, provider, decided_on, content, extra)])
SUBJECTS = {
    "major": (1, [("HC-13-6-PENALTY", "SCJG", "2025-06-01", {"penaltyKind": "吊销许可证件"},
                   {"actEndedOn": "2025-06-01"})]),
    "old_major": (2, [("HC-13-6-PENALTY", "SCJG", "2023-06-01", {"penaltyKind": "吊销许可证件"},
                       {"actEndedOn": "2023-06-01"})]),
    "fine": (3, [("HC-13-6-PENALTY", "SCJG", "2026-03-01", {"penaltyKind": "罚款"}, {"actEndedOn": "2026-03-01"})]),
    "debtor": (4, [("HC-13-1-JUDGMENT-DEFAULT", "FY", "2026-05-01", {}, {})]),
    "tax": (5, [("HC-13-2-TAX-VIOLATION", "SWJ", "2026-04-01", {}, {"actEndedOn": "2026-04-01"})]),
    "ban": (6, [("HC-13-9-INDUSTRY-BAN", "SCJG", "2026-02-01", {}, {"actEndedOn": "2026-02-01"})]),
    "honour": (7, [("HC-12-1-HONOUR", "SCJG", "2026-01-10", {}, {})]),
    "honour_fine": (8, [("HC-12-1-HONOUR", "SCJG", "2026-01-10", {}, {}),
                        ("HC-13-6-PENALTY", "SCJG", "2026-03-01", {"penaltyKind": "罚款"},
                         {"actEndedOn": "2026-03-01"})]),
    "clean": (9, [("HC-10-1-REGISTRATION", "SCJG", "2020-01-06", {}, {})]),
    "disputed": (10, [("HC-13-1-JUDGMENT-DEFAULT", "FY", "2026-05-01", {}, {})]),
    "arrears": (11, [("HC-13-4-FEE-ARREARS", "SWJ", "2026-06-01", {}, {"actEndedOn": "2026-06-01"})]),
}
CAUTION = "BAD-RECORD-CAUTION"
# purpose -> label -> the rules that fire (rule -> action); every other rule of the purpose answers NONE
EXPECTED = {
    "PROCUREMENT": {
        "major": {"PROCUREMENT-MAJOR-VIOLATION-3Y": "RESTRICT", CAUTION: "CAUTION"},
        "old_major": {CAUTION: "CAUTION"},
        "fine": {CAUTION: "CAUTION"},
        "debtor": {"PROCUREMENT-JOINT-LISTS": "RESTRICT", CAUTION: "CAUTION"},
        "tax": {"PROCUREMENT-JOINT-LISTS": "RESTRICT", CAUTION: "CAUTION"},
        "ban": {"MARKET-BAN": "RESTRICT", CAUTION: "CAUTION"},
        "honour": {"GOOD-RECORD-INCENTIVE": "INCENTIVE"},
        "honour_fine": {CAUTION: "CAUTION"},
        "clean": {},
        "disputed": {"PROCUREMENT-JOINT-LISTS": "CAUTION", CAUTION: "CAUTION"},  # HC-29: under open objection
    },
    "BIDDING": {
        "major": {CAUTION: "CAUTION"},
        "debtor": {"JOINT-DISHONEST-DEBTOR": "RESTRICT", CAUTION: "CAUTION"},
        "tax": {"JOINT-MAJOR-TAX-VIOLATION": "RESTRICT", CAUTION: "CAUTION"},
        "ban": {"MARKET-BAN": "RESTRICT", CAUTION: "CAUTION"},
        "honour": {"GOOD-RECORD-INCENTIVE": "INCENTIVE"},
        "clean": {},
    },
    "COMMENDATION": {
        "fine": {"COMMENDATION-BAD-RECORD": "RESTRICT"},
        "honour": {"GOOD-RECORD-INCENTIVE": "INCENTIVE"},
        "honour_fine": {"COMMENDATION-BAD-RECORD": "RESTRICT"},
        "clean": {},
    },
}
VERDICT = {"RESTRICT": 3, "CAUTION": 2, "INCENTIVE": 1, "NONE": 0}


def reader(engine, today: dt.date = TODAY) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(engine, today=today)), base_url="http://gateway")


async def ask(client, query: str, variables: dict, token=XZSP, purpose: str | None = "PROCUREMENT",
              basis: str | None = BASIS) -> dict:
    return await graphql(client, query, variables, token=token, purpose=purpose, basis=basis)


def unexpected(body: dict) -> list:
    """Errors other than the notice that SHARED records need a query permit (HC-23): expected here."""
    return [e for e in body.get("errors", []) if e["extensions"]["code"] != "PURPOSE_REQUIRED"]


@pytest.fixture(scope="module")
async def own_engine(backend, tmp_path_factory):
    engine = await fresh(backend, tmp_path_factory.mktemp("credit-check"), "credit_check")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def built(own_engine):
    """The subjects above (label -> code) and their records (label -> [record id]); the objection filed."""
    async with client_on(own_engine, SUBMITTED) as client:
        records = await build(client, PROFILE, SUBJECTS, org)
    return {label: org(serial) for label, (serial, _) in SUBJECTS.items()}, records


@pytest.mark.parametrize("purpose", sorted(EXPECTED))
async def test_each_rule_fires_on_the_records_built_for_it_and_answers_none_on_others(own_engine, built, purpose):
    codes, _ = built
    labels = sorted(EXPECTED[purpose])
    async with reader(own_engine) as client:
        body = await ask(client, CHECKS, {"codes": [codes[label] for label in labels], "purpose": purpose},
                         purpose=purpose)
    assert not unexpected(body), body
    results = body["data"]["creditChecks"]
    of_purpose = [r.code for r in RULES.for_purpose(Purpose(purpose))]
    for label, result in zip(labels, results):
        check = result["check"]
        assert result["error"] is None and check["purpose"] == purpose and check["asOf"] == TODAY.isoformat()
        assert [h["rule"] for h in check["hints"]] == of_purpose, "one hint per rule of the purpose, in file order"
        assert fired(check) == EXPECTED[purpose][label], (purpose, label, check["hints"])
        strongest = max(EXPECTED[purpose][label].values(), key=VERDICT.__getitem__, default="NONE")
        assert check["verdict"] == strongest
        for hint in check["hints"]:
            assert hint["reasonZh"] and hint["reasonEn"] and hint["source"]
            assert (hint["records"] == []) == (hint["action"] == "NONE")


def test_every_shipped_rule_is_exercised_firing_and_not_firing():
    fires, quiet, every = exercised(EXPECTED, RULES)
    assert fires == every == quiet


async def test_the_answer_lists_bad_good_and_annotated_records_and_the_triggers(own_engine, built):
    codes, records = built
    async with reader(own_engine) as client:
        disputed = (await ask(client, CHECK, {"code": codes["disputed"], "purpose": "PROCUREMENT"}))["data"]
        honour_fine = (await ask(client, CHECK, {"code": codes["honour_fine"], "purpose": "PROCUREMENT"}))["data"]
    check = disputed["creditCheck"]
    [bad] = check["badRecords"]
    assert (bad["record"]["id"], bad["catalogueItem"]["code"], bad["category"], bad["severity"],
            bad["provider"]["code"], bad["decidedOn"]) == (records["disputed"][0], "HC-13-1-JUDGMENT-DEFAULT", "BAD",
                                                           "SERIOUS", "FY", "2026-05-01")
    assert [r["record"]["id"] for r in check["annotatedRecords"]] == records["disputed"]
    assert [a["kind"] for a in check["annotatedRecords"][0]["annotations"]] == ["OBJECTION_OPEN"]
    joint = next(h for h in check["hints"] if h["rule"] == "PROCUREMENT-JOINT-LISTS")
    assert joint["cappedByObjection"] and joint["source"].startswith("财政部") and "财库〔2016〕125号" in joint["source"]
    assert [r["record"]["id"] for r in joint["records"]] == records["disputed"]
    both = honour_fine["creditCheck"]
    assert [r["category"] for r in both["goodRecords"]] == ["GOOD"] and len(both["badRecords"]) == 1
    assert both["subject"]["code"] == codes["honour_fine"]
    assert both["withheld"][0]["visibility"] in ("LIMITED", "SHARED")


async def test_a_batch_answers_bad_codes_per_position_and_never_fails(own_engine, built):
    codes, _ = built
    good = codes["debtor"]
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    asked = [good, "123", wrong_check, "110105********002X", good, codes["clean"]]
    async with reader(own_engine) as client:
        body = await ask(client, CHECKS, {"codes": asked, "purpose": "PROCUREMENT"})
        too_many = await ask(client, CHECKS, {"codes": [good] * 501, "purpose": "PROCUREMENT"})
    assert not unexpected(body), body
    results = body["data"]["creditChecks"]
    assert [r["index"] for r in results] == list(range(6))
    assert [r["error"] is None for r in results] == [True, False, False, False, True, True]
    assert [r["error"]["fault"] for r in results if r["error"]][2] == "MASKED"
    assert all(r["check"] is None for r in results if r["error"])
    assert results[0]["check"]["verdict"] == results[4]["check"]["verdict"] == "RESTRICT"
    assert results[5]["check"]["verdict"] == "NONE"
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and "500" in too_many["errors"][0]["message"]


async def test_an_unknown_subject_is_answered_with_no_record_and_an_invalid_code_is_an_error(own_engine):
    async with reader(own_engine) as client:
        unknown = await ask(client, CHECK, {"code": org(999), "purpose": "PROCUREMENT"})
        invalid = await ask(client, CHECK, {"code": "91371002MA0000001X", "purpose": "PROCUREMENT"})
        future = await ask(client, CHECK, {"code": org(999), "purpose": "PROCUREMENT", "asOf": "2026-11-21"})
    check = unknown["data"]["creditCheck"]
    assert check["subject"] is None and check["verdict"] == "NONE" and check["badRecords"] == []
    assert invalid["data"] is None and invalid["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert future["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_purpose_argument_must_agree_with_the_declared_purpose(own_engine, built):
    codes, _ = built
    async with reader(own_engine) as client:
        body = await ask(client, CHECK, {"code": codes["debtor"], "purpose": "BIDDING"}, purpose="PROCUREMENT")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "X-Query-Purpose" in body["errors"][0]["message"]


async def test_a_reader_without_shared_rights_is_told_what_was_withheld(own_engine, built):
    codes, records = built
    code = codes["arrears"]
    async with reader(own_engine) as client:
        without = await ask(client, CHECK, {"code": code, "purpose": "PROCUREMENT"})
        public = await ask(client, CHECK, {"code": code, "purpose": "PROCUREMENT"}, token=None, purpose=None,
                           basis=None)
    check = without["data"]["creditCheck"]
    withheld = {w["visibility"]: [i["code"] for i in w["catalogueItems"]] for w in check["withheld"]}
    assert "HC-13-4-FEE-ARREARS" in withheld["SHARED"] and check["badRecords"] == [] and check["verdict"] == "NONE"
    assert [e["extensions"]["code"] for e in without["errors"]] == ["PURPOSE_REQUIRED"]
    assert "query permit" in without["errors"][0]["message"]
    assert "HC-13-4-FEE-ARREARS" in {i["code"] for w in public["data"]["creditCheck"]["withheld"]
                                     for i in w["catalogueItems"]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(own_engine)),
                                 base_url="http://gateway") as client:  # the clock runs: the permit is valid now
        assert (await register(client, "HCXC-2026-CK1", "XZSP", classes=["SHARED"]))["errors"] == []
        allowed = await ask(client, CHECK, {"code": code, "purpose": "PROCUREMENT"}, basis="HCXC-2026-CK1")
    check = allowed["data"]["creditCheck"]
    assert [r["record"]["id"] for r in check["badRecords"]] == records["arrears"]
    assert "SHARED" not in {w["visibility"] for w in check["withheld"]} and check["verdict"] == "CAUTION"


async def test_a_check_is_logged_with_its_purpose_codes_and_receipts(own_engine, built):
    codes, _ = built
    asked = [codes["debtor"], codes["clean"]]
    async with reader(own_engine) as client:
        body = await ask(client, CHECKS, {"codes": asked, "purpose": "PROCUREMENT"})
    receipts = {r["check"]["receipt"]["id"]: r["check"]["receipt"] for r in body["data"]["creditChecks"]}
    for receipt in receipts.values():
        assert hashlib.sha256(receipt["answerJson"].encode()).hexdigest() == receipt["answerHash"]
        answer = json.loads(receipt["answerJson"])
        assert answer["purpose"] == "PROCUREMENT" and answer["rulesVersion"] == RULES.version
    async with own_engine.connect() as connection:
        rows = (await connection.execute(select(CreditCheckReceipt.__table__).where(
            CreditCheckReceipt.receipt_id.in_(list(receipts))))).all()
        entry = (await connection.execute(select(QueryLogEntry.__table__).where(
            QueryLogEntry.seq == rows[0].log_seq))).one()
    assert {r.subject_code for r in rows} == set(asked) and len({r.log_seq for r in rows}) == 1
    assert entry.purpose == "PROCUREMENT" and entry.basis == BASIS and set(asked) <= set(entry.subjects)
    assert {(r["receipt"], r["hash"]) for r in entry.receipts} == {(k, v["answerHash"]) for k, v in receipts.items()}


# ------------------------------------------------------------------------------------------- asOf

REPAIRED_ON, REPORTED_ON = dt.date(2026, 9, 8), dt.date(2026, 9, 10)


async def _step(engine, on: dt.date, mutation: str, name: str, values: dict, department: str) -> None:
    async with client_on(engine, on) as client:
        body = await graphql(client, mutation, {"i": values}, token=officer(department))
    assert body["data"][name]["errors"] == [], body


async def _verdicts(engine, code: str, purpose: str, days: list[dt.date]) -> list[tuple[str, dict, int]]:
    async with reader(engine) as client:
        found = []
        for on in days:
            body = await ask(client, CHECK, {"code": code, "purpose": purpose, "asOf": on.isoformat()},
                             purpose=purpose)
            assert not unexpected(body), body
            check = body["data"]["creditCheck"]
            assert check["asOf"] == on.isoformat()
            found.append((check["verdict"], fired(check), len(check["badRecords"])))
        live = (await ask(client, CHECK, {"code": code, "purpose": purpose}, purpose=purpose))["data"]["creditCheck"]
    return [*found, (live["verdict"], fired(live), len(live["badRecords"]))]


async def test_as_of_before_and_after_a_repair(own_engine):
    code = org(20)
    async with client_on(own_engine, dt.date(2026, 6, 2)) as client:
        record_id = await submit(client, "SCJG", record_input(PROFILE, "HC-13-6-PENALTY", code, 20, "2026-06-01",
                                                              {"penaltyKind": "罚款"}, actEndedOn="2026-06-01"))
    await _step(own_engine, REPAIRED_ON, "mutation($i: CertifyRepairInput!) { certifyRepair(input: $i) { errors { "
                "code message } } }", "certifyRepair", {"recordId": record_id, "document": "信用修复证明CK20"}, "SCJG")
    seen = await _verdicts(own_engine, code, "PROCUREMENT",
                           [dt.date(2026, 6, 1), REPAIRED_ON - dt.timedelta(days=1), REPAIRED_ON])
    assert seen == [("NONE", {}, 0), ("CAUTION", {CAUTION: "CAUTION"}, 1), ("NONE", {}, 0), ("NONE", {}, 0)]


async def test_as_of_before_and_after_a_revocation(own_engine):
    code = org(21)
    async with client_on(own_engine, dt.date(2026, 9, 2)) as client:
        record_id = await submit(client, "FY", record_input(PROFILE, "HC-13-1-JUDGMENT-DEFAULT", code, 21,
                                                            "2026-09-01"))
    await _step(own_engine, REPORTED_ON, "mutation($i: ReportRevocationInput!) { reportRevocation(input: $i) { "
                "errors { code message } } }", "reportRevocation",
                {"recordId": record_id, "revokedOn": "2026-09-09", "document": "撤销书CK21"}, "FY")
    seen = await _verdicts(own_engine, code, "BIDDING", [REPORTED_ON - dt.timedelta(days=1), REPORTED_ON])
    assert seen == [("RESTRICT", {"JOINT-DISHONEST-DEBTOR": "RESTRICT", CAUTION: "CAUTION"}, 1), ("NONE", {}, 0),
                    ("NONE", {}, 0)]


async def test_a_batch_as_of_a_past_day_answers_what_was_known_then(own_engine, built):
    codes, _ = built
    async with reader(own_engine) as client:
        before = await ask(client, CHECKS, {"codes": [codes["debtor"], codes["honour"]], "purpose": "PROCUREMENT",
                                            "asOf": (SUBMITTED - dt.timedelta(days=1)).isoformat()})
    assert [(r["check"]["subject"], r["check"]["verdict"]) for r in before["data"]["creditChecks"]] == \
        [(None, "NONE"), (None, "NONE")], "submitted on 2026-11-02: unknown the day before"


@pytest.mark.parametrize("as_of", [None, "2026-11-10"])
async def test_a_batch_costs_the_same_statements_for_1_50_and_500_codes(own_engine, built, as_of):
    from tests.test_statement_count import StatementCounter

    class CheckStatements(StatementCounter):
        """The check's own statements: the reader's permits and grants are cached for 5 s
        (resolvers/grant_cache.py), so whether a request re-reads them depends on the clock."""

        def _count(self, connection, cursor, statement, *args, **kwargs):
            if not any(t in statement for t in ("query_permits", "authorizations")):
                super()._count(connection, cursor, statement, *args, **kwargs)

    codes, _ = built
    known = sorted(codes.values())
    counts = {}
    async with reader(own_engine) as client:
        await ask(client, CHECKS, {"codes": known[:1], "purpose": "PROCUREMENT", "asOf": as_of})  # snapshots read
        for n in (1, 50, 500):
            asked = known[:n] + [org(1000 + i) for i in range(n - len(known))]
            with CheckStatements(own_engine) as counter:
                body = await ask(client, CHECKS, {"codes": asked[:n], "purpose": "PROCUREMENT", "asOf": as_of})
            assert not unexpected(body) and len(body["data"]["creditChecks"]) == n, body
            counts[n] = counter.count
    assert counts[1] == counts[50] == counts[500], counts
