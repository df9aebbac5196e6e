"""Tests that kill the survivors `make mutation` found in the access code (issue 12; tests/MUTATION.md): each pins one
rule, through HTTP where that is how the rule is used, and names the mutant it kills."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import insert, select

from domain.enums import RecordStatus
from policies.engine import CONDITIONS, Decision, PolicyEngine, PolicyFileError, parse_policy_lines
from store.models import Record, SubmissionLogEntry, Subject
from resolvers.node_ids import NodeKind, global_id
from tests import permits
from tests import world as w
from tests.conftest import TODAY, app_for, graphql, make_token
from tests.test_access_matrix import GRANT, _window


# ---- resolvers/scope.py: a grantee's right never reaches archived records (SPEC 3.2, HC-19) ------

PERSON_ARCHIVED = w.person_code(161)  # this module's own person: an archived AUTHORIZED record only


@pytest.fixture
async def person_with_archived_record(engine):
    """A person whose one AUTHORIZED record is archived (swept); inserted once per database."""
    async with engine.begin() as connection:
        if (await connection.execute(select(Subject.code).where(Subject.code == PERSON_ARCHIVED))).scalar():
            return PERSON_ARCHIVED
        await connection.execute(insert(Subject).values(code=PERSON_ARCHIVED, kind="NATURAL_PERSON", name="钱七",
                                                        status="ACTIVE"))
        row = (await connection.execute(select(Record.__table__).where(
            Record.id == w.WORLD.records["P-AUTHORIZED"]))).one()._asdict()
        row.pop("id")
        await connection.execute(insert(Record).values(**{
            **row, "subject_code": PERSON_ARCHIVED, "document_number": "TEST〔2025〕K1号",
            "status": RecordStatus.ARCHIVED.value, "status_changed_on": dt.date(2026, 1, 5)}))
    return PERSON_ARCHIVED


async def test_a_grantee_does_not_see_the_archived_records_of_its_grantor(client, person_with_archived_record):
    """Mutant scope.py `SubjectRight.archived_too = True` by default: grantees saw archived records."""
    start, end = _window()
    body = await graphql(client, GRANT, {"grantee": {"user": "bank-kill-archive"}, "scope": {"classes": ["AUTHORIZED"]},
                                         "purpose": "LICENSING", "from": start, "until": end, "ref": "SQ-K-1"},
                         token=make_token(user="k-self", subject=person_with_archived_record))
    assert "errors" not in body and body["data"]["grantAuthorization"]["errors"] == [], body
    query = """query($c: [ID!]!){ subjects(codes: $c){ records(status: ARCHIVED, first: 5){ totalCount } } }"""
    subject = await graphql(client, query, {"c": [person_with_archived_record]},
                            token=make_token(user="k-self", subject=person_with_archived_record))
    assert subject["data"]["subjects"][0]["records"]["totalCount"] == 1  # the subject itself sees it
    grantee = await graphql(client, query, {"c": [person_with_archived_record]}, token=make_token(user="bank-kill-archive"),
                            purpose="licensing", basis="SQ-K-1")
    assert grantee["data"]["subjects"][0]["records"]["totalCount"] == 0, grantee


# ---- resolvers/scope.py: policies switched off (benchmarks only) means every record --------------

async def test_policies_switched_off_answer_every_record_even_revoked(engine):
    """Mutant scope.py UNRESTRICTED_SCOPE `all_records=False`: revoked records disappeared with the
    policies off (bench/policy_overhead.py compares against exactly this)."""
    import httpx

    from tests.conftest import app_for

    app = app_for(engine)
    app.state.gateway.policies.enabled = False
    query = """query($c: [ID!]!){ subjects(codes: $c){ code queryCount
      records(status: REVOKED, first: 5){ totalCount edges { node { versions { version } } } } } }"""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as off:
        body = await graphql(off, query, {"c": [w.ORG_A]})
    assert "errors" not in body, body  # no field is protected either
    subject = body["data"]["subjects"][0]
    assert subject["records"]["totalCount"] == 1, body  # A-REVOKED
    assert isinstance(subject["queryCount"], int) and subject["records"]["edges"][0]["node"]["versions"]


# ---- resolvers/scope.py: the last day of a disclosure period is still inside it (HC-19) -----------

ORG_LAST_DAY = w.org_code(1, series="MK")  # this module's own organisation


@pytest.fixture
async def org_on_its_last_day(engine):
    """An organisation with two PUBLIC records: one whose period ends today, one that ended yesterday."""
    async with engine.begin() as connection:
        if (await connection.execute(select(Subject.code).where(Subject.code == ORG_LAST_DAY))).scalar():
            return ORG_LAST_DAY
        await connection.execute(insert(Subject).values(code=ORG_LAST_DAY, kind="ORGANISATION",
                                                        name="威海市环翠区末日商贸有限公司", status="ACTIVE"))
        row = (await connection.execute(select(Record.__table__).where(
            Record.id == w.WORLD.records["A-PUBLIC"]))).one()._asdict()
        row.pop("id")
        for number, ends_on in (("K2", TODAY), ("K3", TODAY - dt.timedelta(days=1))):
            await connection.execute(insert(Record).values(**{
                **row, "subject_code": ORG_LAST_DAY, "document_number": f"TEST〔2025〕{number}号",
                "disclosure_ends_on": ends_on}))
    return ORG_LAST_DAY


async def test_a_record_is_public_on_the_last_day_of_its_period_and_archived_the_day_after(client, org_on_its_last_day):
    """Mutants scope.py `disclosure_ends_on >= today` -> `>` and `< today` -> `<=` (the SQL, not the
    domain function): the last day read as expired."""
    query = """query($c: [ID!]!, $s: RecordStatus){ subjects(codes: $c){
      records(status: $s, first: 5){ edges { node { documentNumber status } } } } }"""
    active = await graphql(client, query, {"c": [org_on_its_last_day], "s": "ACTIVE"})
    assert [e["node"] for e in active["data"]["subjects"][0]["records"]["edges"]] == [
        {"documentNumber": "TEST〔2025〕K2号", "status": "ACTIVE"}], active
    auditor = make_token(user="k-aud", department="FGJ", roles=["auditor"])
    archived = await graphql(client, query, {"c": [org_on_its_last_day], "s": "ARCHIVED"}, token=auditor,
                             purpose="supervision", basis="JD-2026-K")
    assert [e["node"] for e in archived["data"]["subjects"][0]["records"]["edges"]] == [
        {"documentNumber": "TEST〔2025〕K3号", "status": "ARCHIVED"}], archived


# ---- policies/engine.py: the policy file's format, each fault named with its line (SPEC 3.1) -----

def test_policy_lines_skip_comments_and_blanks_and_keep_g_lines():
    """Mutants of parse_policy_lines' skipping, stripping and line types."""
    text = "# the common lines\n\n   \np,officer , SHARED, *, read, purpose\ng, alice, officer\ng2, FY, ITEM-1\n" \
           "p, agency, SHARED, *, read, never\n  # indented comment\n"
    assert parse_policy_lines(text) == [["p", "officer", "SHARED", "*", "read", "purpose"],
                                        ["g", "alice", "officer"], ["g2", "FY", "ITEM-1"],
                                        ["p", "agency", "SHARED", "*", "read", "never"]]
    for condition in CONDITIONS:
        assert parse_policy_lines(f"p, officer, SHARED, *, read, {condition}")[0][5] == condition


@pytest.mark.parametrize("text, fault", [
    ("p, officer, SHARED, *, read", "mine:2: a p line has 5 fields (role, class, item, action, condition), found 4"),
    ("p, officer, SHARED, *, read, purpose, extra", "found 6"),
    ("g, alice", "mine:2: a g line has 2 fields, found 1"),
    ("g2, FY, ITEM-1, more", "mine:2: a g2 line has 2 fields, found 3"),
    ("q, officer, SHARED", "mine:2: unknown line type 'q' (use p, g or g2)"),
    ("p, officer, SHARED, *, read, sometimes", "mine:2: condition 'sometimes' is not one of"),
    ("p, officer, , *, read, purpose", "mine:2: empty field in"),
    ("g, , officer", "mine:2: empty field in"),
])
def test_each_fault_of_a_policy_file_is_named_with_its_line(text, fault):
    with pytest.raises(PolicyFileError) as raised:
        parse_policy_lines("# first line\n" + text, source="mine")
    assert fault in str(raised.value)


def test_a_policy_fault_without_a_source_names_the_policy():
    with pytest.raises(PolicyFileError, match=r"^policy:1: a p line has 5 fields"):
        parse_policy_lines("p, officer")


def test_a_reload_swaps_in_a_new_numbered_version_with_a_cache_of_its_own():
    """Mutants of PolicyEngine's version numbers, its lines and its per-version cache."""
    pairs = frozenset({("SHARED", "X-1"), ("LIMITED", "X-2")})
    first = parse_policy_lines("p, officer, SHARED, *, read, purpose\np, officer, LIMITED, *, read, never")
    policies = PolicyEngine(first, pairs)
    assert policies.version == 1 and policies.lines == first and policies.enabled
    assert policies.allowed_pairs("officer", "FY", "declared") == {("SHARED", "X-1")}
    assert policies.allowed_pairs("officer", "FY", "none") == frozenset()
    assert policies.decide("officer", "FY", "SHARED", "X-1", "read", "declared") == Decision(
        True, "p, officer, SHARED, *, read, purpose")
    second = parse_policy_lines("p, officer, SHARED, *, read, permit")
    assert policies.reload(second) == 2 and policies.version == 2 and policies.lines == second
    assert policies.allowed_pairs("officer", "FY", "declared") == frozenset()
    assert policies.decide("officer", "FY", "SHARED", "X-1", "read", "permit").rule == "p, officer, SHARED, *, read, permit"
    assert policies.reload(first) == 3


# ---- resolvers/access.py: a purpose and a basis, both; the explanation names the deciding line ---

async def test_a_purpose_or_a_basis_alone_is_not_a_declaration(client):
    """Mutant access.py `purpose is not None and basis` -> `or`: either header alone counted as both
    (tests sent both or neither). FY reads SHARED with its permit; half the headers open nothing."""
    await permits.ensure(client, "HC-SQ-2026-FY", "FY", ["SHARED", "LIMITED"])
    officer = make_token(user="k-half", department="FY", roles=["officer"])
    auditor = make_token(user="k-half-aud", department="FGJ", roles=["auditor"])
    query = """query($c: [ID!]!, $s: RecordStatus){ subjects(codes: $c){ code
      records(status: $s, first: 9){ edges { node { visibility } } } } }"""
    for declared in ({"basis": "HC-SQ-2026-FY"}, {"purpose": "licensing"}):
        body = await graphql(client, query, {"c": [w.ORG_A, w.PERSON_P]}, token=officer, **declared)
        seen = [e["node"]["visibility"] for s in body["data"]["subjects"] for e in s["records"]["edges"]]
        assert seen == ["PUBLIC", "PUBLIC"], (declared, body)
        assert body["data"]["subjects"][1]["code"] == w.PERSON_P[:6] + "********" + w.PERSON_P[-4:]
        notices = [e["message"] for e in body["errors"] if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
        lacking = "X-Query-Purpose" if "basis" in declared else "X-Query-Basis"
        assert len(notices) == 1 and f"declare {lacking} (HC-23" in notices[0], notices
        # an auditor's archived records need both as well (SPEC 3.2)
        body = await graphql(client, query, {"c": [w.ORG_A], "s": "ARCHIVED"}, token=auditor, **declared)
        assert body["data"]["subjects"][0]["records"]["edges"] == [], (declared, body)
    body = await graphql(client, query, {"c": [w.ORG_A, w.PERSON_P]}, token=officer, purpose="licensing",
                         basis="HC-SQ-2026-FY")
    assert sorted(e["node"]["visibility"] for s in body["data"]["subjects"] for e in s["records"]["edges"]) == [
        "LIMITED", "PUBLIC", "PUBLIC", "SHARED", "SHARED"], body


EXPLAIN = "query($id: ID!){ accessExplanation(recordId: $id){ allowed decidedBy reasons } }"


async def _explained(client, label, token, **declared):
    """(the record's global id, as the reasons name it; its explanation), asked by its number."""
    record = w.WORLD.records[label]
    body = await graphql(client, EXPLAIN, {"id": str(record)}, token=token, **declared)
    return global_id(NodeKind.RECORD, record), body["data"]["accessExplanation"]


async def test_the_explanation_names_the_first_allowing_line_and_every_role_considered(client):
    """Mutants of explain(): the last allowing line named instead of the deciding one, a role dropped."""
    provider = w.WORLD.items["ORGANISATION-PUBLIC"].providers[0]
    record, explanation = await _explained(client, "A-PUBLIC", make_token(user="k-pv", department=provider,
                                                                          roles=["officer"]))
    item = w.WORLD.items["ORGANISATION-PUBLIC"].code
    assert explanation == {"allowed": True, "decidedBy": "p, public, PUBLIC, *, read, always", "reasons": [
        f"record {record}: class PUBLIC, item {item}, status ACTIVE; you: roles public, officer, department "
        f"{provider}, condition none",
        "role public (any subject): p, public, PUBLIC, *, read, always",
        "role officer (any subject): p, officer, PUBLIC, *, read, always",
        "role provider (your department provided it): p, provider, *, *, read, always"]}


async def test_an_archived_record_is_explained_by_the_role_that_may_read_it(client):
    """Mutants of explain()'s live-only rule: the public and officers read active records only; an
    auditor with a basis and the record's provider read it archived (SPEC 3.2, HC-19)."""
    item = w.WORLD.items["org-bad-public"]
    provider = item.providers[0]
    record, explanation = await _explained(client, "A-ARCHIVED", make_token(user="k-aud2", department="FGJ",
                                                                            roles=["auditor"]),
                                           purpose="supervision", basis="JD-2026-K2")
    assert explanation == {"allowed": True, "decidedBy": "p, officer, PUBLIC, *, read, always", "reasons": [
        f"record {record}: class PUBLIC, item {item.code}, status ARCHIVED; you: roles public, auditor, department "
        "FGJ, condition declared",
        "role public (any subject): p, public, PUBLIC, *, read, always",
        "the record is ARCHIVED: role public reads active records only (HC-19, SPEC 3.2)",
        "role auditor (any subject): p, officer, PUBLIC, *, read, always"]}
    record, explanation = await _explained(client, "A-ARCHIVED", make_token(user="k-pv2", department=provider,
                                                                            roles=["officer"]))
    assert explanation == {"allowed": True, "decidedBy": "p, provider, *, *, read, always", "reasons": [
        f"record {record}: class PUBLIC, item {item.code}, status ARCHIVED; you: roles public, officer, department "
        f"{provider}, condition none",
        "role public (any subject): p, public, PUBLIC, *, read, always",
        "the record is ARCHIVED: role public reads active records only (HC-19, SPEC 3.2)",
        "role officer (any subject): p, officer, PUBLIC, *, read, always",
        "the record is ARCHIVED: role officer reads active records only (HC-19, SPEC 3.2)",
        "role provider (your department provided it): p, provider, *, *, read, always"]}


async def test_each_token_role_is_a_policy_role(client):
    """Mutant access.py TOKEN_ROLES without `agency` (or another): the token's role ignored; under
    Huancui an agency reads what the public reads, so only the explanation shows whose line decided."""
    item = w.WORLD.items["ORGANISATION-PUBLIC"].code
    for dept, role in (("ZXJG", "agency"), ("XYZX", "operator"), ("FGJ", "auditor"), ("MZJ", "officer")):
        record, explanation = await _explained(client, "A-PUBLIC", make_token(user=f"k-{role}", department=dept,
                                                                              roles=[role]))
        assert explanation["reasons"][0] == (f"record {record}: class PUBLIC, item {item}, status ACTIVE; you: roles "
                                             f"public, {role}, department {dept}, condition none"), explanation
        assert explanation["reasons"][2].startswith(f"role {role} (any subject): p, "), explanation
    # a role from the identity provider that the gateway does not know grants nothing
    record, explanation = await _explained(client, "A-PUBLIC", make_token(user="k-x", department="MZJ",
                                                                          roles=["offline_access"]))
    assert "roles public, department MZJ" in explanation["reasons"][0]


async def test_the_subject_reads_its_own_records_protected_fields_and_others_do_not(client):
    """Mutants of Access._relations' subject look-up (`subject_code` of a record, `code` of a
    subject): the subject's own right to protected fields (versions, queryCount) was lost."""
    query = """query($c: ID!){ subject(code: $c){ queryCount records(first: 9){ edges { node { versions { version } } } } } }"""
    mine = await graphql(client, query, {"c": w.ORG_A}, token=make_token(user="k-org", subject=w.ORG_A))
    assert "errors" not in mine, mine
    subject = mine["data"]["subject"]
    assert isinstance(subject["queryCount"], int) and subject["records"]["edges"]
    assert all(e["node"]["versions"] for e in subject["records"]["edges"])
    other = await graphql(client, query, {"c": w.ORG_A}, token=make_token(user="k-other", subject=w.ORG_B))
    assert other["data"]["subject"]["queryCount"] is None
    assert all(e["node"]["versions"] is None for e in other["data"]["subject"]["records"]["edges"])
    assert {e["extensions"]["code"] for e in other["errors"]} == {"FORBIDDEN"}


async def test_an_operator_is_told_about_cases_only_when_it_declares_something(client):
    """Mutant access.py `purpose is not None` -> `is None`: the case notice went to operators that
    declared nothing and not to those that gave a purpose alone."""
    operator = make_token(user="k-op", department="XYZX", roles=["operator"])
    query = "query($c: [ID!]!){ subjects(codes: $c){ records(first: 9){ totalCount } } }"

    def case_notices(body):
        return [e for e in body.get("errors", []) if "open case" in e["message"]]

    assert case_notices(await graphql(client, query, {"c": [w.PERSON_P]}, token=operator)) == []
    for declared in ({"purpose": "supervision"}, {"basis": "repair:1"}):
        notices = case_notices(await graphql(client, query, {"c": [w.PERSON_P]}, token=operator, **declared))
        assert len(notices) == 1 and notices[0]["extensions"]["code"] == "PURPOSE_REQUIRED", declared


async def test_a_permit_covering_one_item_names_what_it_does_not_cover(engine, client):
    """Mutants of _pair_list: at most ten class/item entries named, then how many more."""
    from domain.catalogue import load_profile
    from policies.storage import policy_engine
    from resolvers.scope import compress

    policies = policy_engine(load_profile("huancui"))
    needs = policies.allowed_pairs("officer", "STHJ", "permit") - policies.allowed_pairs("officer", "STHJ", "declared")
    item = sorted(needs)[0]
    outside = compress(needs - {item}, policies.pairs)
    shown = [f"class {c}" for c in sorted(outside.classes)] + [
        f"{c}/{i}" for c, items in outside.class_items for i in sorted(items)]
    assert len(shown) > 11  # so that the message must cut the list
    await permits.ensure(client, "K-ONE-ITEM", "STHJ", [], [item[1]])
    body = await graphql(client, "query($c: [ID!]!){ subjects(codes: $c){ records(first: 1){ totalCount } } }",
                         {"c": [w.ORG_A]},
                         token=make_token(user="k-one", department="STHJ", roles=["officer"]),
                         purpose="licensing", basis="K-ONE-ITEM")
    notices = [e["message"] for e in body["errors"] if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
    assert notices == [f"query permit K-ONE-ITEM does not cover class or item {', '.join(shown[:10])} and "
                       f"{len(shown) - 10} more: those records were withheld (HC-23, XZ-18)"], notices


@pytest.mark.parametrize("covered, cut", [(4, True), (5, False)])
async def test_a_permit_leaving_exactly_eleven_or_ten_entries_uncovered(engine, client, covered, cut):
    """Mutants of _pair_list's cut (`> 10` -> `>= 10`, 10 -> 11): eleven entries are cut to ten and "1
    more"; ten are named in full. STHJ's permit-only pairs are 15 SHARED items: a permit of 4 or 5 of
    them leaves 11 or 10."""
    from domain.catalogue import load_profile
    from policies.storage import policy_engine

    policies = policy_engine(load_profile("huancui"))
    needs = policies.allowed_pairs("officer", "STHJ", "permit") - policies.allowed_pairs("officer", "STHJ", "declared")
    assert {c for c, _ in needs} == {"SHARED"} and len(needs) == 15
    items = sorted(i for _, i in needs)
    left = [f"SHARED/{i}" for i in items[covered:]]
    number = f"K-CUT-{covered}"
    await permits.ensure(client, number, "STHJ", [], items[:covered])
    body = await graphql(client, "query($c: [ID!]!){ subjects(codes: $c){ records(first: 1){ totalCount } } }",
                         {"c": [w.ORG_A]}, token=make_token(user=f"k-cut-{covered}", department="STHJ", roles=["officer"]),
                         purpose="licensing", basis=number)
    notices = [e["message"] for e in body["errors"] if e["extensions"]["code"] == "PURPOSE_REQUIRED"]
    named = f"{', '.join(left[:10])} and 1 more" if cut else ", ".join(left)
    assert len(left) == (11 if cut else 10)
    assert notices == [f"query permit {number} does not cover class or item {named}: those records were withheld "
                       "(HC-23, XZ-18)"], notices


async def test_a_grantee_explanation_names_its_authorisation(client):
    """Mutant access.py role="grantee" -> "": a grantee's right no longer explained as a grantee's."""
    start, end = _window()
    granted = await graphql(client, GRANT, {"grantee": {"user": "bank-k-explain"}, "scope": {"classes": ["AUTHORIZED"]},
                                            "purpose": "LICENSING", "from": start, "until": end, "ref": "SQ-K-2"},
                            token=make_token(user="k-p", subject=w.PERSON_P))
    ident = granted["data"]["grantAuthorization"]["authorization"]["id"]  # reasons name it by its global id
    record, explanation = await _explained(client, "P-AUTHORIZED", make_token(user="bank-k-explain"),
                                           purpose="licensing", basis="SQ-K-2")
    assert explanation["allowed"] and explanation["decidedBy"] == "p, grantee, *, *, read, always", explanation
    assert f"role grantee (authorisation {ident}): p, grantee, *, *, read, always" in explanation["reasons"]
    assert not any("does not cover" in r for r in explanation["reasons"]), explanation  # its class is granted
    # the reader's authorisations over the record's subject, each with why it does not open this record
    token = make_token(user="bank-k-explain")
    for declared, reason in (
            ({"purpose": "licensing", "basis": "SQ-K-2"}, f"authorisation {ident} does not cover class PUBLIC or item "),
            ({"purpose": "licensing"}, f"authorisation {ident} applies only with X-Query-Basis as well as X-Query-Purpose"),
            ({}, f"authorisation {ident} is for purpose LICENSING; the request declares none"),
            ({"purpose": "hiring", "basis": "SQ-K-2"},
             f"authorisation {ident} is for purpose LICENSING; the request declares HIRING")):
        _, explanation = await _explained(client, "P-PUBLIC", token, **declared)
        assert any(r.startswith(reason) for r in explanation["reasons"]), (declared, explanation)


async def test_the_public_is_never_told_of_a_departments_authorisation(engine, client, org_on_its_last_day):
    """Mutant access.py `is_anonymous or row is None` -> `and`: the anonymous reader's held
    authorisations were looked up with user NULL, which matches every department-wide grant.
    (This module's own organisation: a department grant on the shared world's subjects would change
    what test_access_matrix's officers see.)"""
    start, end = _window()
    granted = await graphql(client, GRANT, {"grantee": {"department": "MZJ"}, "scope": {"classes": ["SHARED"]},
                                            "purpose": "LICENSING", "from": start, "until": end, "ref": "SQ-K-3"},
                            token=make_token(user="k-p3", subject=org_on_its_last_day))
    assert "errors" not in granted, granted
    async with engine.connect() as connection:
        record = (await connection.execute(select(Record.id).where(
            Record.document_number == "TEST〔2025〕K2号"))).scalar()
    body = await graphql(client, EXPLAIN, {"id": str(record)})
    explanation = body["data"]["accessExplanation"]
    assert explanation["allowed"] and not any("authorisation" in r for r in explanation["reasons"]), explanation


async def test_the_subject_explains_its_own_archived_record_by_its_own_right(client):
    """Mutants of explain()'s `self` candidate and live-only rule (lines for `self` and `operator`):
    the subject reads its archived record as itself (SPEC 3.2)."""
    record, explanation = await _explained(client, "A-ARCHIVED", make_token(user="k-self-org", subject=w.ORG_A))
    assert explanation["allowed"] and explanation["decidedBy"] == "p, self, *, *, read, always", explanation
    assert explanation["reasons"][1:] == [
        "role public (any subject): p, public, PUBLIC, *, read, always",
        "the record is ARCHIVED: role public reads active records only (HC-19, SPEC 3.2)",
        "role self (it is about you): p, self, *, *, read, always"], explanation


# ---- resolvers/permits.py: registering, revoking and using a query permit (HC-23, XZ-18) --------

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Huancui on the test world's day


def _permit_input(number, *, department="STHJ", classes=("SHARED",), items=(), valid_from=NOW,
                  valid_until=NOW + dt.timedelta(days=30), document="环翠区生态环境局查询申请"):
    return {"input": {"number": number, "department": department,
                      "scope": {"classes": list(classes), "catalogueItems": list(items)},
                      "validFrom": valid_from.isoformat(), "validUntil": valid_until.isoformat(),
                      "documentRef": document}}


_APPS: dict = {}


def _app_at(engine, now):
    """The app on `engine` with its clock fixed at `now`; one per (database, instant), reused."""
    key = (id(engine), now)
    if key not in _APPS:
        _APPS[key] = app_for(engine, now=now)
    return _APPS[key]


async def _register_at(engine, now, variables) -> dict:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app_at(engine, now)),
                                 base_url="http://gateway") as at:
        body = await graphql(at, permits.REGISTER, variables, token=permits.CENTRE)
    assert "errors" not in body, body
    return body["data"]["registerQueryPermit"]


def _problems(payload) -> list[tuple[str, str]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


@pytest.mark.parametrize("label, changes, problems", [
    ("number of 129 characters", {"number": "K" * 129}, [("INVALID", "number")]),
    ("blank number", {"number": "  "}, [("INVALID", "number")]),
    ("unknown department", {"department": "NOPE"}, [("UNKNOWN_DEPARTMENT", "department")]),
    ("the centre itself", {"department": "XYZX"}, [("INVALID", "department")]),
    ("empty scope", {"classes": ()}, [("EMPTY_SCOPE", "scope")]),
    ("a PUBLIC class", {"classes": ("SHARED", "PUBLIC")}, [("INVALID", "scope.classes")]),
    ("an AUTHORIZED class", {"classes": ("AUTHORIZED",)}, [("INVALID", "scope.classes")]),
    ("unknown item", {"classes": (), "items": ("NOPE-1",)}, [("UNKNOWN_ITEM", "scope.catalogueItems")]),
    ("until equal to from", {"valid_from": NOW + dt.timedelta(days=1), "valid_until": NOW + dt.timedelta(days=1)},
     [("INVALID", "validUntil")]),
    ("over five years", {"valid_until": NOW + dt.timedelta(days=366 * 5, seconds=1)}, [("INVALID", "validUntil")]),
    ("ended already", {"valid_from": NOW - dt.timedelta(days=9), "valid_until": NOW}, [("INVALID", "validUntil")]),
    ("document of 201 characters", {"document": "函" * 201}, [("INVALID", "documentRef")]),
    ("blank document", {"document": " "}, [("INVALID", "documentRef")]),
])
async def test_each_fault_of_a_permit_is_named_alone(engine, label, changes, problems):
    """Mutants of register_permit's checks: each bad field gives exactly its own problem, no other."""
    changes = dict(changes)
    payload = await _register_at(engine, NOW, _permit_input(changes.pop("number", f"K-BAD-{label}"), **changes))
    assert payload["permit"] is None and _problems(payload) == problems, payload


async def test_a_permit_at_each_limit_is_registered_and_logged(engine, client):
    """The limits themselves are allowed: 128-character number, 200-character document, exactly the
    longest validity, items only; each registration is a submission-log entry (HC-35)."""
    limited_item = w.WORLD.items["NATURAL_PERSON-LIMITED"].code
    number = "K-LIMITS-" + "9" * 119
    payload = await _register_at(engine, NOW, _permit_input(
        f" {number} ", classes=(), items=(limited_item, limited_item), document="函" * 200,
        valid_until=NOW + dt.timedelta(days=366 * 5)))
    assert payload["errors"] == [], payload
    permit = payload["permit"]
    assert (permit["number"], permit["department"], permit["classes"], permit["catalogueItems"]) == (
        number, "STHJ", [], [limited_item])
    async with engine.connect() as connection:
        logged = (await connection.execute(select(SubmissionLogEntry.__table__).where(
            SubmissionLogEntry.action == "REGISTER_QUERY_PERMIT").order_by(SubmissionLogEntry.seq.desc()))).first()
    assert (logged.user, logged.department) == ("centre-op", "XYZX")
    assert logged.detail["number"] == number and logged.detail["items"] == [limited_item]


async def test_revoking_a_permit_names_each_fault_and_is_logged(engine, client):
    permit = (await _register_at(engine, NOW, _permit_input("K-REVOKE", classes=("SHARED", "LIMITED"))))["permit"]
    for reason, problem in (("", "INVALID"), ("x" * 501, "INVALID")):
        body = await graphql(client, permits.REVOKE, {"input": {"id": permit["id"], "reason": reason}},
                             token=permits.CENTRE)
        assert _problems(body["data"]["revokeQueryPermit"]) == [(problem, "reason")], body
    body = await graphql(client, permits.REVOKE, {"input": {"id": permit["id"], "reason": "r" * 500}},
                         token=permits.CENTRE)
    revoked = body["data"]["revokeQueryPermit"]
    assert revoked["errors"] == [] and revoked["permit"]["revokedBy"] == "centre-op", body
    assert revoked["permit"]["revocationReason"] == "r" * 500 and revoked["permit"]["revokedAt"]
    again = await graphql(client, permits.REVOKE, {"input": {"id": permit["id"], "reason": "again"}},
                          token=permits.CENTRE)
    assert _problems(again["data"]["revokeQueryPermit"]) == [("ALREADY_REVOKED", "id")]
    async with engine.connect() as connection:
        logged = (await connection.execute(select(SubmissionLogEntry.__table__).where(
            SubmissionLogEntry.action == "REVOKE_QUERY_PERMIT").order_by(SubmissionLogEntry.seq.desc()))).first()
    assert logged.detail["number"] == "K-REVOKE" and logged.detail["reason"] == "r" * 500
    assert logged.user == "centre-op"


async def test_a_permit_opens_records_from_its_first_instant_to_just_before_its_end(engine):
    """Mutants of why_not_valid's and list_permits' boundaries: valid from `validFrom` inclusive,
    until `validUntil` exclusive, as a reader and as the centre's list see it."""
    end = NOW + dt.timedelta(days=2)
    assert (await _register_at(engine, NOW, _permit_input("K-WINDOW", department="STHJ", valid_until=end)))["permit"]
    officer = make_token(user="k-sthj", department="STHJ", roles=["officer"])
    query = "query($c: [ID!]!){ subjects(codes: $c){ records(first: 9){ edges { node { visibility } } } } }"
    listed = """query{ queryPermits(department: "STHJ", validOnly: true){ number } }"""
    for now, opens in ((NOW - dt.timedelta(seconds=1), False), (NOW, True), (end - dt.timedelta(seconds=1), True),
                       (end, False)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app_at(engine, now)),
                                     base_url="http://gateway") as at:
            body = await graphql(at, query, {"c": [w.ORG_A]}, token=officer, purpose="licensing", basis="K-WINDOW")
            seen = sorted(e["node"]["visibility"] for e in body["data"]["subjects"][0]["records"]["edges"])
            assert seen == (["PUBLIC", "SHARED"] if opens else ["PUBLIC"]), (now, body)
            numbers = [p["number"] for p in (await graphql(at, listed, token=permits.CENTRE))["data"]["queryPermits"]]
            assert ("K-WINDOW" in numbers) is opens, (now, numbers)


async def test_only_an_operator_of_the_centre_registers_or_lists_permits_not_its_other_staff(client):
    """Mutants of require_centre_operator / require_permit_reader (`or` <-> `and`): a token of the credit
    centre without the operator role is refused registering, revoking and listing permits (HC-23)."""
    staff = make_token(user="centre-clerk", department="XYZX", roles=[])
    body = await graphql(client, permits.REGISTER, _permit_input("K-CLERK"), token=staff)
    assert body["data"] is None or body["data"]["registerQueryPermit"] is None, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
    body = await graphql(client, permits.REVOKE, {"input": {"id": "1", "reason": "x"}}, token=staff)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
    listed = await graphql(client, "{ queryPermits { __typename } }", token=staff)
    assert [e["extensions"]["code"] for e in listed["errors"]] == ["FORBIDDEN"], listed
    # the operator of the same department is let in (the test would pass for anyone refused otherwise)
    assert "errors" not in await graphql(client, "{ queryPermits { __typename } }", token=permits.CENTRE)


# ---- policies/storage.py: seeding, numbering and logging the stored policy lines (SPEC 3.1) ------

async def _policy_changes(engine) -> list[tuple]:
    async with engine.connect() as connection:
        return [(r.user, r.detail) for r in (await connection.execute(
            select(SubmissionLogEntry).where(SubmissionLogEntry.action == "POLICY_CHANGE")
            .order_by(SubmissionLogEntry.seq))).all()]


async def test_policies_are_seeded_once_numbered_logged_and_a_superseded_shipped_file_replaced(
        backend, tmp_path, caplog):
    """Mutants of seed_if_empty, store_lines and load_lines: an empty store is seeded (version 1,
    under the settings key earlier releases wrote: `policy_version`), a stored policy is left alone,
    each change is numbered, returned and logged, and a superseded shipped file is replaced with a
    warning and a log entry by "upgrade" naming what it replaced."""
    from policies.storage import SUPERSEDED, fingerprint, load_lines, read_policy_file, seed_if_empty, store_lines
    from store.bootstrap import initialise
    from store.engine import create_engine
    from store.models import Setting
    from tests.conftest import scratch_url
    from tests.test_policy_profiles import OLD_DEFAULT

    engine = create_engine(await scratch_url(backend, tmp_path, "policy_seed"))
    try:
        await initialise(engine, "huancui")
        shipped = read_policy_file(None, "huancui")
        assert await load_lines(engine, "huancui") == (shipped, 0)  # nothing stored: the shipped lines
        await seed_if_empty(engine, None, "huancui")
        assert await load_lines(engine, "huancui") == (shipped, 1)
        async with engine.connect() as connection:
            assert (await connection.execute(select(Setting.value).where(Setting.key == "policy_version"))).scalar() == "1"
        assert await _policy_changes(engine) == [(None, {"version": 1, "lines": len(shipped), "source": None})]
        await seed_if_empty(engine, None, "huancui")  # something stored: left as it is
        assert (await load_lines(engine, "huancui"))[1] == 1 and len(await _policy_changes(engine)) == 1

        mine = parse_policy_lines("p, officer, PUBLIC, *, read, always\ng, auditor, officer")
        assert await store_lines(engine, mine, changed_by="ops", source="mine.csv") == 2
        assert await load_lines(engine, "huancui") == (mine, 2)
        old = parse_policy_lines(OLD_DEFAULT)
        assert await store_lines(engine, old) == 3
        assert SUPERSEDED.get(fingerprint(old))
        with caplog.at_level("WARNING", logger="gateway.policies"):
            await seed_if_empty(engine, None, "huancui")
        assert await load_lines(engine, "huancui") == (shipped, 4)
        assert [(r.name, r.levelname) for r in caplog.records if "stored policies were" in r.getMessage()] == [
            ("gateway.policies", "WARNING")]
        assert (await _policy_changes(engine))[-1] == ("upgrade", {
            "version": 4, "lines": len(shipped),
            "source": "replacing the shipped default.csv before issue 11 (auditors read every class with any "
                      "basis; no query permits)"})
        assert (await _policy_changes(engine))[1] == ("ops", {"version": 2, "lines": 2, "source": "mine.csv"})
    finally:
        await engine.dispose()


async def test_a_configured_policy_file_seeds_an_empty_store_as_it_is(backend, tmp_path):
    """seed_if_empty's `path`: the operator's file, not the shipped one."""
    from policies.storage import load_lines, seed_if_empty
    from store.bootstrap import initialise
    from store.engine import create_engine
    from tests.conftest import scratch_url

    path = tmp_path / "mine.csv"
    path.write_text("p, officer, PUBLIC, *, read, always\n")
    engine = create_engine(await scratch_url(backend, tmp_path, "policy_file_seed"))
    try:
        await initialise(engine, "huancui")
        await seed_if_empty(engine, path, "huancui")
        assert await load_lines(engine, "huancui") == ([["p", "officer", "PUBLIC", "*", "read", "always"]], 1)
    finally:
        await engine.dispose()


def test_a_profile_without_a_policy_file_of_its_own_reads_the_shipped_default():
    """Mutant of read_policy_file's overlay test: no profile, or a profile with no policies/<code>.csv,
    is the shipped default.csv as it is."""
    from policies.engine import DEFAULT_POLICY_FILE
    from policies.storage import read_policy_file

    default = parse_policy_lines(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
    assert read_policy_file(None, None) == default
    assert read_policy_file(None, "no_such_profile") == default
    assert read_policy_file(None, "huancui") != default


async def test_a_stored_policy_change_is_announced_to_the_workers_on_postgresql(backend, tmp_path):
    """Mutants of store_lines' NOTIFY (dialect name, the statement dropped): on PostgreSQL the workers
    LISTEN on the policy channel and reload at once, so each change must be announced with its version."""
    if backend != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's; SQLite workers poll the version")
    import asyncio

    import asyncpg
    from sqlalchemy.engine import make_url

    from policies.storage import NOTIFY_CHANNEL, store_lines
    from store.bootstrap import initialise
    from store.engine import create_engine
    from tests.conftest import scratch_url

    url = await scratch_url(backend, tmp_path, "policy_notify")
    engine = create_engine(url)
    listener = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    heard: asyncio.Queue = asyncio.Queue()
    try:
        await initialise(engine, "huancui")
        await listener.add_listener(NOTIFY_CHANNEL, lambda _c, _pid, _channel, payload: heard.put_nowait(payload))
        version = await store_lines(engine, parse_policy_lines("p, officer, PUBLIC, *, read, always"))
        assert await asyncio.wait_for(heard.get(), 10) == str(version)
    finally:
        await listener.close()
        await engine.dispose()


@pytest.mark.parametrize("basis, case", [
    ("case:1", 1),
    (" case:42 ", 42),
    (f"case:{2 ** 63 - 1}", 2 ** 63 - 1),
    (f"case:{2 ** 63}", None),  # past the id column: names no case, never an overflow
    ("case:0", None),
    ("global-of-case-5", 5),
    ("global-of-record-5", None),  # another kind's id never names a case (SPEC 3.1: the basis names the case)
    ("global-of-case-max", 2 ** 63 - 1),
    ("global-of-case-past", None),
    ("global-of-case-20-digits", None),
    ("global-of-case-not-a-number", None),
    ("objection:5", None),
    (None, None),
])
def test_which_case_a_basis_names(basis, case):
    """An operator's basis opens a subject's records only through the open case it names (SPEC 3.1):
    `case:<number>` or the case's global id, within the id column's range, and nothing else."""
    from resolvers.access import case_named

    ids = {"global-of-case-5": global_id(NodeKind.CASE, 5), "global-of-record-5": global_id(NodeKind.RECORD, 5),
           "global-of-case-max": global_id(NodeKind.CASE, 2 ** 63 - 1),
           "global-of-case-past": global_id(NodeKind.CASE, 2 ** 63),
           "global-of-case-20-digits": global_id(NodeKind.CASE, "00000000000000000005"),
           "global-of-case-not-a-number": global_id(NodeKind.CASE, "5a")}
    assert case_named(ids.get(basis, basis)) == case


async def test_a_users_cached_grants_are_those_of_its_department_of_the_moment(client):
    """A grant to a department opens records to its officers; the same user name under another
    department's token gets none of it, however recently the first token's grants were cached. (Meant
    for the mutant that drops the department from the grant cache's key, access.py:227, which it does
    not kill yet: tests/MUTATION.md, fourth session.)"""
    from tests.test_authorization_reasons import P_SELF, REVOKE

    records = "query($c: ID!){ subject(code: $c){ records(first: 100){ totalCount } } }"
    user = "k-moved-officer"

    async def visible(department: str) -> int:
        body = await graphql(client, records, {"c": w.PERSON_P}, purpose="licensing", basis="SQ-K-MOVED",
                             token=make_token(user=user, department=department, roles=["officer"]))
        assert "errors" not in body or all(e["extensions"]["code"] == "PURPOSE_REQUIRED" for e in body["errors"]), body
        return body["data"]["subject"]["records"]["totalCount"] if body["data"]["subject"] else 0

    before = {d: await visible(d) for d in ("SCJG", "GAJ")}
    start, end = _window()
    body = await graphql(client, GRANT, {"grantee": {"department": "SCJG"}, "scope": {"classes": ["AUTHORIZED"]},
                                         "purpose": "LICENSING", "from": start, "until": end, "ref": "SQ-K-MOVED"},
                         token=P_SELF)
    granted = body["data"]["grantAuthorization"]["authorization"]["id"]
    try:
        assert await visible("SCJG") > before["SCJG"]  # the department's grants, now cached
        assert await visible("GAJ") == before["GAJ"]
    finally:
        revoked = await graphql(client, REVOKE, {"id": granted}, token=P_SELF)
        assert revoked["data"]["revokeAuthorization"]["errors"] == [], revoked
