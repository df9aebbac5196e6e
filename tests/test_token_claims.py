"""A validly signed token is still checked against the deployment (SPEC 3.1, last paragraphs):
its department is in the profile's registry, its roles fit that department's kind, it lives no
longer than the maximum, its subject code is normalised and valid, and it names the querier
(HC-23). Every refusal is HTTP 401 with a JSON error naming what is wrong, and no data; the CLI
refuses to mint the same tokens with the same words."""

from __future__ import annotations

import time

import jwt
import pytest
from sqlalchemy import select

from gateway.cli import main as cli_main
from gateway.identity import IdentityConfig, TokenVerifier
from gateway.settings import Settings
from gateway.startup import identity_config
from store.models import QueryLogEntry, Record, Subject
from tests import world as w
from tests.conftest import TEST_SECRET, app_for, graphql, make_token

SHARED_READ = """query Peek($codes: [ID!]!) { subjects(codes: $codes) { code
  records(first: 50) { edges { node { id visibility } } } } }"""
PURPOSE = {"purpose": "licensing", "basis": "XK-2026-0001"}
PERSON_X = w.person_code(906)  # a resident ID whose check character is X
assert PERSON_X.endswith("X")


def signed(**claims) -> str:
    """A token signed with the suite's secret, its claims exactly as given (not through mint_token)."""
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + 600, **claims}, TEST_SECRET, algorithm="HS256")


async def refused(client, token: str, reason: str, **declared) -> str:
    response = await client.post("/graphql", json={"query": SHARED_READ, "variables": {"codes": [w.ORG_A]}},
                                 headers={"Authorization": f"Bearer {token}",
                                          **({"X-Query-Purpose": declared["purpose"],
                                              "X-Query-Basis": declared["basis"]} if declared else {})})
    assert response.status_code == 401, response.text
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}, error
    return error["message"]


# ---- the department and the role (SPEC 3.1) -------------------------------------------------------

async def test_a_department_not_in_the_registry_reads_nothing(client):
    """Today a token for NOPE reads SHARED records with a purpose."""
    message = await refused(client, signed(sub="n1", name="某人", dept="NOPE", roles=["officer"]),
                            "unknown_department", **PURPOSE)
    assert "'NOPE'" in message and "huancui" in message and "SCJG" in message
    # without any role too: the department itself does not exist
    await refused(client, signed(sub="n2", name="某人", dept="NOPE"), "unknown_department")


async def test_an_auditor_of_an_unknown_department_reads_nothing(client):
    """Today an auditor of NOPE reads everything with a basis."""
    message = await refused(client, signed(sub="n3", name="某人", dept="NOPE", roles=["auditor"]),
                            "unknown_department", **PURPOSE)
    assert "NOPE" in message


@pytest.mark.parametrize("dept, role, kind", [
    ("SCJG", "operator", "GOVERNMENT"),   # operator only for the credit centre
    ("FY", "operator", "JUDICIAL"),
    ("SCJG", "auditor", "GOVERNMENT"),    # auditor only for the supervising department
    ("XYZX", "auditor", "CREDIT_CENTRE"),
    ("SCJG", "agency", "GOVERNMENT"),     # agency only for a recognised credit agency
    ("FGJ", "agency", "SUPERVISOR"),
    ("ZXJG", "officer", "CREDIT_AGENCY"),  # officers work in information providers
    ("XYZX", "officer", "CREDIT_CENTRE"),
    ("FGJ", "submitter", "SUPERVISOR"),
])
async def test_a_role_that_does_not_fit_the_department_is_refused(client, dept, role, kind):
    message = await refused(client, signed(sub="r1", name="某人", dept=dept, roles=[role]), "role_not_allowed",
                            **PURPOSE)
    assert f"department {dept} is a {kind} department" in message and f"not {role}" in message


async def test_a_role_without_a_department_is_refused(client):
    message = await refused(client, signed(sub="r2", name="某人", roles=["officer"]), "role_needs_department",
                            **PURPOSE)
    assert "officer" in message and "'dept'" in message


@pytest.mark.parametrize("dept, roles", [("FGJ", ["auditor"]), ("XYZX", ["operator"]), ("ZXJG", ["agency"]),
                                         ("SCJG", ["officer", "submitter"]), ("FY", ["officer"]),
                                         ("SCJG", ["officer", "offline_access"])])
async def test_roles_that_fit_are_accepted(client, dept, roles):
    body = await graphql(client, "{ departments { code } }", token=signed(sub="ok", name="某人", dept=dept,
                                                                          roles=roles))
    assert "errors" not in body and body["data"]["departments"]


async def test_the_upload_route_checks_the_department_too(client):
    response = await client.post("/import", headers={"Authorization": "Bearer " + signed(
        sub="n4", name="某人", dept="NOPE", roles=["officer"])}, files={"file": ("x.csv", b"a,b\n")})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["reason"] == "unknown_department"


async def test_a_refused_token_is_logged_with_who_it_claimed_to_be(engine, client):
    await refused(client, signed(sub="insider-7", name="内鬼", dept="NOPE", roles=["auditor"]), "unknown_department")
    async with engine.connect() as connection:
        entry = (await connection.execute(select(QueryLogEntry.__table__).where(QueryLogEntry.user == "insider-7")
                                          .order_by(QueryLogEntry.seq.desc()).limit(1))).one()
    assert (entry.user_name, entry.department, entry.roles, entry.outcome) == ("内鬼", "NOPE", ["auditor"],
                                                                               "UNAUTHENTICATED")
    assert entry.refused[0]["rule"] == "unknown_department"


# ---- lifetime ---------------------------------------------------------------------------------

async def test_a_token_living_a_century_is_refused(client):
    now = int(time.time())
    century = now + 100 * 365 * 86400
    message = await refused(client, signed(sub="l1", name="某人", dept="SCJG", roles=["officer"], exp=century),
                            "lifetime_too_long")
    assert "43200" in message and "MAX_TOKEN_LIFETIME_SECONDS" in message
    # without iat the lifetime counts from now
    no_iat = jwt.encode({"sub": "l2", "name": "某人", "dept": "SCJG", "roles": ["officer"], "exp": century},
                        TEST_SECRET, algorithm="HS256")
    await refused(client, no_iat, "lifetime_too_long")
    # an old iat cannot stretch it either
    await refused(client, signed(sub="l3", name="某人", iat=now - 86400, exp=now + 600), "lifetime_too_long")


async def test_a_numeric_string_exp_is_refused_not_a_crash(client):
    token = jwt.encode({"sub": "l4", "name": "某人", "exp": str(int(time.time()) + 600)}, TEST_SECRET,
                       algorithm="HS256")
    await refused(client, token, "invalid_claim")


async def test_the_maximum_lifetime_is_configurable(engine, tmp_path):
    import httpx

    settings = Settings.from_env({"MAX_TOKEN_LIFETIME_SECONDS": "600", "CREDIT_DATA_DIR": str(tmp_path)})
    assert settings.max_token_lifetime_seconds == 600
    assert identity_config(settings).max_lifetime_seconds == 600
    assert Settings.from_env({}).max_token_lifetime_seconds == 12 * 3600
    from gateway.app import create_app

    verifier = TokenVerifier(IdentityConfig(mode="hs256", hs256_secret=TEST_SECRET, max_lifetime_seconds=600))
    app = create_app(Settings(data_dir=tmp_path, database_url="unused", load_demo_on_empty=False,
                              subject_id_key="5e" * 64), engine=engine, verifier=verifier)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as short:
        now = int(time.time())
        await refused(short, signed(sub="l5", name="某人", exp=now + 3600), "lifetime_too_long")
        body = await graphql(short, "{ departments { code } }", token=signed(sub="l6", name="某人", exp=now + 500))
        assert "errors" not in body


# ---- the subject claim ----------------------------------------------------------------------

@pytest.fixture(scope="module")
async def person_x(engine):
    """A person whose resident ID ends in X, with one AUTHORIZED record (copied from the world's P)."""
    async with engine.begin() as connection:
        if (await connection.execute(select(Subject.code).where(Subject.code == PERSON_X))).first() is None:
            await connection.execute(Subject.__table__.insert(), [
                {"code": PERSON_X, "kind": "NATURAL_PERSON", "name": "赵十", "status": "ACTIVE"}])
            row = (await connection.execute(select(Record.__table__).where(
                Record.id == w.WORLD.records["P-AUTHORIZED"]))).one()._asdict()
            del row["id"]
            await connection.execute(Record.__table__.insert(), [{**row, "subject_code": PERSON_X,
                                                                 "document_number": "TEST〔2025〕X号"}])
    return PERSON_X


async def test_a_self_token_with_a_lowercase_x_sees_its_records(client, person_x):
    """The CLI minted `subject` as typed; today the lowercase x matched no stored subject."""
    token = signed(sub="x-self", subject=person_x.lower())
    body = await graphql(client, SHARED_READ, {"codes": [person_x]}, token=token)
    [subject] = body["data"]["subjects"]
    assert subject["code"] == person_x  # unmasked: the subject itself
    assert [e["node"]["visibility"] for e in subject["records"]["edges"]] == ["AUTHORIZED"]


async def test_an_invalid_subject_code_is_refused(client):
    wrong_check = w.PERSON_P[:-1] + ("1" if w.PERSON_P[-1] != "1" else "2")
    message = await refused(client, signed(sub="s1", subject=wrong_check), "invalid_claim")
    assert "'subject'" in message and wrong_check not in message  # the resident ID is masked
    assert wrong_check[:6] + "********" in message
    await refused(client, signed(sub="s2", subject="12345"), "invalid_claim")


# ---- the querier's name (HC-23) -----------------------------------------------------------

@pytest.mark.parametrize("claims", [dict(dept="SCJG", roles=["officer"]), dict(dept="FGJ", roles=["auditor"]),
                                    dict(dept="XYZX", roles=["operator"]), dict(),  # a grantee's user
                                    dict(dept="SCJG", subject=w.ORG_A)])
async def test_every_token_but_a_subjects_own_names_the_querier(client, claims):
    message = await refused(client, signed(sub="nameless", **claims), "missing_claim")
    assert "'name'" in message and "HC-23" in message


async def test_a_subjects_own_token_needs_no_name(client):
    body = await graphql(client, SHARED_READ, {"codes": [w.PERSON_P]}, token=signed(sub="p", subject=w.PERSON_P))
    assert body["data"]["subjects"][0]["code"] == w.PERSON_P


async def test_the_name_is_in_the_log_for_auditors_only(client):
    officer = make_token(user="o-named", name="张三丰", department="SCJG", roles=["officer"])
    await graphql(client, "query NamedLook { subject(code: \"%s\") { name } }" % w.PERSON_Q, token=officer,
                  purpose="hiring", basis="ZP-NAME-1")
    auditor = make_token(user="aud-name", name="审计员甲", department="FGJ", roles=["auditor"])
    body = await graphql(client, """query($f: QueryLogFilter) { queryLog(filter: $f, first: 1) {
        edges { node { user userName operationName } } } }""", {"f": {"user": "o-named"}}, token=auditor)
    assert body["data"]["queryLog"]["edges"][0]["node"] == {"user": "o-named", "userName": "张三丰",
                                                            "operationName": "NamedLook"}
    history = "{ subject(code: \"%s\") { queryHistory(first: 50) { user userName basis } } }" % w.PERSON_Q
    body = await graphql(client, history, token=auditor)
    assert {"user": "o-named", "userName": "张三丰", "basis": "ZP-NAME-1"} in body["data"]["subject"]["queryHistory"]
    # the subject sees who (user, department) but not the officer's personal name
    body = await graphql(client, history, token=make_token(user="q", subject=w.PERSON_Q, name=None))
    mine = [h for h in body["data"]["subject"]["queryHistory"] if h["basis"] == "ZP-NAME-1"]
    assert mine == [{"user": "o-named", "userName": None, "basis": "ZP-NAME-1"}]


# ---- the CLI mints only what the gateway accepts ------------------------------------------

def cli(monkeypatch, tmp_path, capsys, *args: str, lifetime: str | None = None) -> tuple[int, str, str]:
    monkeypatch.setenv("CREDIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CREDIT_PROFILE", "huancui")
    if lifetime:
        monkeypatch.setenv("MAX_TOKEN_LIFETIME_SECONDS", lifetime)
    else:
        monkeypatch.delenv("MAX_TOKEN_LIFETIME_SECONDS", raising=False)
    try:
        status = cli_main(["token", *args])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


CLI_REFUSALS = {
    "unknown department": (["--user", "u", "--name", "某人", "--department", "NOPE", "--role", "officer"],
                           dict(sub="u", name="某人", dept="NOPE", roles=["officer"])),
    "role unfit": (["--user", "u", "--name", "某人", "--department", "SCJG", "--role", "auditor"],
                   dict(sub="u", name="某人", dept="SCJG", roles=["auditor"])),
    "operator outside the centre": (["--user", "u", "--name", "某人", "--department", "FY", "--role", "operator"],
                                    dict(sub="u", name="某人", dept="FY", roles=["operator"])),
    "missing name": (["--user", "u", "--department", "SCJG", "--role", "officer"],
                     dict(sub="u", dept="SCJG", roles=["officer"])),
    "too long": (["--user", "u", "--name", "某人", "--expires-in", str(100 * 365 * 86400)],
                 dict(sub="u", name="某人", exp=int(time.time()) + 100 * 365 * 86400)),
}


@pytest.mark.parametrize("case", CLI_REFUSALS)
async def test_the_cli_refuses_what_the_gateway_refuses_in_the_same_words(client, monkeypatch, tmp_path, capsys,
                                                                          case):
    args, claims = CLI_REFUSALS[case]
    status, out, err = cli(monkeypatch, tmp_path, capsys, *args)
    assert status == 2 and out == ""
    response = await client.post("/graphql", json={"query": "{ departments { code } }"},
                                 headers={"Authorization": f"Bearer {signed(**claims)}"})
    assert response.status_code == 401
    server_message = response.json()["errors"][0]["message"]
    if case == "too long":  # the server counts from iat to exp; the message differs only in the number
        server_message = server_message.split(" seconds, ", 1)[1]
    assert server_message in err, (server_message, err)


def test_the_cli_follows_the_configured_maximum(monkeypatch, tmp_path, capsys):
    status, _, err = cli(monkeypatch, tmp_path, capsys, "--user", "u", "--name", "某人", "--expires-in", "3600",
                         lifetime="600")
    assert status == 2 and "maximum of 600" in err
    status, out, _ = cli(monkeypatch, tmp_path, capsys, "--user", "u", "--name", "某人", "--expires-in", "600",
                         lifetime="600")
    assert status == 0 and out.count(".") == 2


def test_the_cli_refuses_unknown_roles(monkeypatch, tmp_path, capsys):
    status, _, err = cli(monkeypatch, tmp_path, capsys, "--user", "u", "--name", "某人", "--department", "FGJ",
                         "--role", "auditer")
    assert status == 2 and "auditer" in err and "auditor" in err


async def test_the_cli_mints_a_normalised_subject_the_gateway_accepts(client, monkeypatch, tmp_path, capsys,
                                                                     person_x):
    status, out, _ = cli(monkeypatch, tmp_path, capsys, "--user", "x-cli", "--subject", person_x.lower())
    assert status == 0
    assert jwt.decode(out.strip(), options={"verify_signature": False})["subject"] == person_x


def test_token_help_lists_the_profiles_real_departments(monkeypatch, tmp_path, capsys):
    status, out, _ = cli(monkeypatch, tmp_path, capsys, "--help")
    assert status == 0
    for code in ("FGJ", "XYZX", "SCJG", "ZXJG", "FY"):
        assert code in out
    assert "TAX" not in out and "MARKET_REG" not in out
    assert "auditor" in out and "operator" in out


# ---- the name is part of the chain ---------------------------------------------------------

@pytest.mark.parametrize("forgery", ["UPDATE query_log SET user_name = '李鬼' WHERE \"user\" = 'o-chain'",
                                     "UPDATE query_log SET user_name = NULL WHERE \"user\" = 'o-chain'",
                                     "UPDATE query_log SET user_name = '李鬼' WHERE \"user\" IS NULL AND seq = 1"])
async def test_editing_a_name_in_the_database_is_caught_by_verify_log(backend, tmp_path, forgery):
    import httpx

    from store.bootstrap import initialise
    from store.engine import create_engine
    from tests.conftest import scratch_url
    from tests.test_query_log import unguarded, verify_log

    url = await scratch_url(backend, tmp_path, "name_chain")
    engine = create_engine(url)
    await initialise(engine, "huancui")
    app = app_for(engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        await graphql(client, "{ departments { code } }")  # seq 1: the public, no name
        await graphql(client, "{ departments { code } }",
                      token=make_token(user="o-chain", name="张三丰", department="SCJG", roles=["officer"]))
        await graphql(client, "{ departments { code } }")
    async with engine.connect() as connection:
        names = (await connection.execute(select(QueryLogEntry.seq, QueryLogEntry.user_name)
                                          .order_by(QueryLogEntry.seq))).all()
    assert [tuple(r) for r in names] == [(1, None), (2, "张三丰"), (3, None)]
    intact = verify_log(url)
    assert intact.returncode == 0 and "3 entries verified" in intact.stdout, intact.stdout + intact.stderr
    await unguarded(engine, [forgery])
    await engine.dispose()
    result = verify_log(url)
    seq = 1 if "seq = 1" in forgery else 2
    assert result.returncode == 1 and f"EDITED at entry {seq}" in result.stdout, result.stdout + result.stderr


def test_entries_written_before_names_keep_their_hashes():
    """An entry without a name hashes as it did before the column existed (value computed by the
    previous store/chain.py), so logs written before revision 0003 still verify."""
    import datetime as dt

    from store.chain import GENESIS, entry_hash

    entry = dict(at=dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.timezone.utc), request_id="r-old", user="o-old",
                 department="SCJG", roles=["officer"], client="127.0.0.1", operation_name="Old",
                 operation_type="query", document_hash="ab" * 32, variables={"c": "x"}, purpose="LICENSING",
                 basis="XK-1", authorization_id=None, subjects=["91371002MA0000001X"], record_ids=[1, 2],
                 refused=[], outcome="OK", duration_ms=1.2345)
    before = "443a90ae7813bbabfa808e3f163c445664a8f25fcccd288568e4bb4372709337"
    assert entry_hash("query_log", entry, GENESIS) == before
    assert entry_hash("query_log", {**entry, "user_name": None}, GENESIS) == before
    assert entry_hash("query_log", {**entry, "user_name": "张三"}, GENESIS) != before
