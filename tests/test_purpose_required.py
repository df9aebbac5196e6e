"""Reading non-public records without a declared purpose or basis (HC-23, XZ-18): the answer's
PURPOSE_REQUIRED error says which is missing, in its message and in `extensions.missing`, so a
client can ask its user for the right one. One code for both: clients match on PURPOSE_REQUIRED."""

from __future__ import annotations

import pytest

from tests import permits
from tests import world as w
from tests.conftest import graphql, make_token

QUERY = "query($c: [ID!]!) { subjects(codes: $c) { code records(first: 50) { totalCount } } }"
OFFICER = make_token(user="pr-o1", department="FY", roles=["officer"])
DECLARATIONS = {
    "neither": ({}, ["purpose", "basis"], ["X-Query-Purpose", "X-Query-Basis"]),
    "no basis": ({"purpose": "licensing"}, ["basis"], ["X-Query-Basis"]),
    "no purpose": ({"basis": "HC-SQ-PR-1"}, ["purpose"], ["X-Query-Purpose"]),
    "a blank basis": ({"purpose": "licensing", "basis": "   "}, ["basis"], ["X-Query-Basis"]),
}


def purpose_required(body: dict) -> list[dict]:
    return [e for e in body.get("errors", []) if e["extensions"]["code"] == "PURPOSE_REQUIRED"]


@pytest.mark.parametrize("declared", DECLARATIONS, ids=list(DECLARATIONS))
async def test_the_error_names_what_was_not_declared(client, declared):
    headers, missing, named = DECLARATIONS[declared]
    body = await graphql(client, QUERY, {"c": [w.ORG_A, w.PERSON_P]}, token=OFFICER, **headers)
    errors = purpose_required(body)
    assert len(errors) == 1, body.get("errors")
    assert errors[0]["extensions"] == {"code": "PURPOSE_REQUIRED", "missing": missing}
    message = errors[0]["message"]
    assert f"declare {' and '.join(named)} (HC-23, XZ-18)" in message, message
    assert all(header not in message for header in {"X-Query-Purpose", "X-Query-Basis"} - set(named)), message


async def test_with_both_declared_no_record_is_withheld_for_want_of_them(client):
    await permits.ensure(client, "HC-SQ-PR-FY", "FY", ["SHARED", "LIMITED"])
    both = await graphql(client, QUERY, {"c": [w.ORG_A, w.PERSON_P]}, token=OFFICER, purpose="licensing",
                         basis="HC-SQ-PR-FY")
    assert not purpose_required(both), both.get("errors")
    without = await graphql(client, QUERY, {"c": [w.ORG_A, w.PERSON_P]}, token=OFFICER)
    total = lambda body: sum(s["records"]["totalCount"] for s in body["data"]["subjects"])  # noqa: E731
    assert total(both) > total(without)
