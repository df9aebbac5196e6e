"""One mutation convention (README, "Mutations"): one `input` argument, a `<Mutation>Payload` with the
result and `errors { code field message }` of one shared type; and the `Authorization` type's links.
Through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from domain.problems import ProblemCode
from tests import permits
from tests import world as w
from tests.conftest import graphql, make_token
from tests.test_access_matrix import grant

README = Path(__file__).resolve().parent.parent / "README.md"
P_SELF = make_token(user="conv-p", subject=w.PERSON_P)
MUTATIONS = ("grantAuthorization", "revokeAuthorization", "registerQueryPermit", "revokeQueryPermit",
             "submitRecords", "correctRecord")
TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }"


def _mutations_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n### Mutations\n", 1)[1].split("\n### ", 1)[0]


async def test_the_readme_example_answers_what_the_readme_shows(client):
    section = _mutations_section()
    [request] = re.findall(r"```graphql\n(.*?)```", section, re.S)
    [response] = re.findall(r"```json\n(.*?)```", section, re.S)
    body = await graphql(client, request, token=P_SELF)
    assert body == json.loads(response), body


def _named(ref: dict) -> str:
    """A type reference as SDL writes it: `[MutationError!]!`."""
    if ref["kind"] == "NON_NULL":
        return _named(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return "[" + _named(ref["ofType"]) + "]"
    return ref["name"]


async def test_every_mutation_takes_one_input_and_returns_its_payload_with_shared_errors(client):
    body = await graphql(client, """{ __schema { mutationType { fields { name args { name type { %s } }
        type { %s } } } } }""" % (TYPE_REF, TYPE_REF))
    fields = {f["name"]: f for f in body["data"]["__schema"]["mutationType"]["fields"]}
    assert set(MUTATIONS) <= set(fields), sorted(fields)
    for name in MUTATIONS:
        stem = name[0].upper() + name[1:]
        assert [(a["name"], _named(a["type"])) for a in fields[name]["args"]] == [("input", f"{stem}Input!")], name
        assert _named(fields[name]["type"]) == f"{stem}Payload!", name
        payload = await graphql(client, '{ __type(name: "%sPayload") { fields { name type { %s } } } }'
                                % (stem, TYPE_REF))
        types = {f["name"]: _named(f["type"]) for f in payload["data"]["__type"]["fields"]}
        assert types["errors"] == "[MutationError!]!", (name, types)
    outcome = await graphql(client, '{ __type(name: "SubmissionOutcome") { fields { name type { %s } } } }' % TYPE_REF)
    assert {f["name"]: _named(f["type"]) for f in outcome["data"]["__type"]["fields"]}["errors"] == \
        "[MutationError!]!"


async def test_every_error_code_is_described_and_the_field_path_rule_is_stated(client):
    body = await graphql(client, """{ code: __type(name: "MutationErrorCode") { enumValues { name description } }
        error: __type(name: "MutationError") { fields { name description } } }""")
    values = {v["name"]: v["description"] for v in body["data"]["code"]["enumValues"]}
    assert set(values) == {c.value for c in ProblemCode}
    assert all(d and len(d) > 20 for d in values.values()), values
    fields = {f["name"]: f["description"] for f in body["data"]["error"]["fields"]}
    assert set(fields) == {"code", "field", "message"}
    assert "records[3].content.fineAmount" in fields["field"] and "from `input`" in fields["field"]
    for value in values:  # and the README lists each
        assert f"`{value}`" in _mutations_section(), value


async def test_query_permits_answer_with_the_shared_error_type_and_keep_their_codes(client):
    start, end = permits.window()
    body = await graphql(client, """mutation($input: RegisterQueryPermitInput!) { registerQueryPermit(input: $input) {
        permit { id } errors { __typename code field message } } }""", {"input": {
        "number": "", "department": "NOPE", "scope": {}, "validFrom": start, "validUntil": end, "documentRef": "x"}},
        token=permits.CENTRE)
    payload = body["data"]["registerQueryPermit"]
    assert payload["permit"] is None
    assert [(e["__typename"], e["code"], e["field"]) for e in payload["errors"]] == [
        ("MutationError", "INVALID", "number"), ("MutationError", "UNKNOWN_DEPARTMENT", "department"),
        ("MutationError", "EMPTY_SCOPE", "scope")], payload


# ---- the Authorization type (HC-22, XZ-18) -------------------------------------------------------

MINE = """{ myAuthorizations { id subjectCode subject { code kind name } granteeUser
    granteeDepartment { code name kind } catalogueItems { code name visibility } classes } }"""
GRANT_TO_DEPARTMENT = """mutation($input: GrantAuthorizationInput!) { grantAuthorization(input: $input) {
    authorization { id subject { code } granteeUser granteeDepartment { code name } catalogueItems { code } }
    errors { code field message } } }"""


async def test_an_authorization_links_its_subject_department_and_catalogue_items(client):
    item = w.WORLD.items["NATURAL_PERSON-LIMITED"].code
    # valid only from next year: the department's officers read nothing more through it in other tests
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=366)
    body = await graphql(client, GRANT_TO_DEPARTMENT, {"input": {
        "grantee": {"department": "SCJG"}, "scope": {"catalogueItems": [item], "classes": ["SHARED"]},
        "purpose": "LICENSING", "validFrom": start.isoformat(), "validUntil": (start + dt.timedelta(days=9)).isoformat(),
        "writtenAuthorizationRef": "SQ-CONV-1"}}, token=P_SELF)
    assert "errors" not in body and body["data"]["grantAuthorization"]["errors"] == [], body
    given = body["data"]["grantAuthorization"]["authorization"]
    assert given["subject"] == {"code": w.PERSON_P} and given["granteeUser"] is None
    assert given["granteeDepartment"]["code"] == "SCJG" and given["granteeDepartment"]["name"]
    assert given["catalogueItems"] == [{"code": item}]

    mine = await graphql(client, MINE, token=P_SELF)
    assert "errors" not in mine, mine
    [row] = [a for a in mine["data"]["myAuthorizations"] if a["id"] == given["id"]]
    # the subject reads itself unmasked, through the ordinary subject path
    assert row["subject"]["code"] == row["subjectCode"] == w.PERSON_P and "*" not in row["subject"]["name"]
    assert row["subject"]["kind"] == "NATURAL_PERSON"
    assert row["catalogueItems"] == [{"code": item, "name": w.WORLD.items["NATURAL_PERSON-LIMITED"].name,
                                      "visibility": "LIMITED"}]
    assert row["granteeDepartment"]["kind"] == "GOVERNMENT" and row["classes"] == ["SHARED"]


async def test_a_grantee_learns_nothing_new_about_the_grants_naming_it(client):
    await grant(client, "conv-bank", {"classes": ["AUTHORIZED"]})
    for token in (make_token(user="conv-bank"), make_token(user="conv-o", department="SCJG", roles=["officer"])):
        body = await graphql(client, MINE, token=token)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    other = await graphql(client, MINE, token=make_token(user="conv-q", subject=w.PERSON_Q))
    assert other["data"]["myAuthorizations"] == [], "another subject sees none of P's grants"


async def test_the_authorization_type_is_described_and_subject_code_deprecated(client):
    body = await graphql(client, """{ t: __type(name: "Authorization") { description
          fields(includeDeprecated: true) { name description isDeprecated deprecationReason } }
        old: __type(name: "AuthorizationType") { name }
        g: __type(name: "GranteeInput") { description inputFields { name description } }
        s: __type(name: "AuthorizationScopeInput") { description inputFields { name description } }
        i: __type(name: "GrantAuthorizationInput") { description inputFields { name description } } }""")
    data = body["data"]
    assert data["old"] is None and "HC-22" in data["t"]["description"] and "XZ-18" in data["t"]["description"]
    fields = {f["name"]: f for f in data["t"]["fields"]}
    assert all(f["description"] for f in fields.values()), [n for n, f in fields.items() if not f["description"]]
    assert [n for n, f in fields.items() if f["isDeprecated"]] == ["subjectCode"]
    assert "subject { code }" in fields["subjectCode"]["deprecationReason"]
    for name in ("g", "s", "i"):
        assert data[name]["description"] and all(f["description"] for f in data[name]["inputFields"]), data[name]
