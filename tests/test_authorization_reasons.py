"""Why an authorisation does not apply (HC-22, XZ-18), as `accessExplanation` tells its grantee, one
reason for each way it can fail (resolvers/authorizations.py `why_not_applicable`, and the two the
explanation adds); and a subject revokes only its own authorisations.

Each test's grantee is a user of its own, so the grants it makes open nothing to any other test.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, insert, select

from store.models import Authorization, SubmissionLogEntry
from tests import world as w
from resolvers.node_ids import NodeKind, global_id
from tests.conftest import graphql, make_token, row_number

EXPLAIN = "query($id: ID!){ accessExplanation(recordId: $id){ allowed decidedBy reasons } }"
GRANT = """
mutation($grantee: GranteeInput!, $scope: AuthorizationScopeInput!, $purpose: Purpose!,
         $from: DateTime!, $until: DateTime!) {
  grantAuthorization(input: {grantee: $grantee, scope: $scope, purpose: $purpose, validFrom: $from,
                             validUntil: $until, writtenAuthorizationRef: "SQ-WHY-1"}) { authorization { id } errors { message } }
}
"""
REVOKE = ("mutation($id: ID!){ revokeAuthorization(input: {id: $id}){ authorization { id revokedAt } "
          "errors { code field message } } }")
MINE = "{ myAuthorizations { id granteeUser revokedAt } }"
P_SELF = make_token(user="p-why", subject=w.PERSON_P)
Q_SELF = make_token(user="q-why", subject=w.PERSON_Q)


def _grantee() -> str:
    return f"why-{uuid.uuid4().hex[:10]}"


async def grant(client, user: str, *, purpose="LICENSING", classes=("AUTHORIZED",), items=(), days_from=-1,
                days_until=30) -> str:
    now = dt.datetime.now(dt.timezone.utc)
    body = await graphql(client, GRANT, {
        "grantee": {"user": user}, "scope": {"classes": list(classes), "catalogueItems": list(items)},
        "purpose": purpose, "from": (now + dt.timedelta(days=days_from)).isoformat(),
        "until": (now + dt.timedelta(days=days_until)).isoformat()}, token=P_SELF)
    assert "errors" not in body and body["data"]["grantAuthorization"]["errors"] == [], body
    return body["data"]["grantAuthorization"]["authorization"]["id"]


async def expired_grant(engine, user: str) -> str:
    """Stored as time left it: the mutation refuses a validity already over."""
    now = dt.datetime.now(dt.timezone.utc)
    async with engine.begin() as connection:
        result = await connection.execute(insert(Authorization).values(
            subject_code=w.PERSON_P, grantee_user=user, scope_items=[], scope_classes=["AUTHORIZED"],
            purpose="LICENSING", valid_from=now - dt.timedelta(days=60), valid_until=now - dt.timedelta(days=1),
            written_ref="SQ-WHY-OLD", created_at=now - dt.timedelta(days=60)))
    return str(result.inserted_primary_key[0])


async def explain(client, user: str, label: str, **declared) -> dict:
    body = await graphql(client, EXPLAIN, {"id": str(w.WORLD.records[label])}, token=make_token(user=user),
                         **declared)
    assert "errors" not in body, body
    return body["data"]["accessExplanation"]


def number(ident: str) -> str:
    """The global id reasons and refusals name an authorisation by, from its id (global, or a bare number)."""
    return global_id(NodeKind.AUTHORIZATION, int(ident)) if ident.isdigit() else ident


def reasons_about(explanation: dict, grant_id: str) -> list[str]:
    return [r for r in explanation["reasons"] if r.startswith(f"authorisation {number(grant_id)} ")]


async def test_each_reason_an_authorisation_does_not_apply_is_named(engine, client):
    user = _grantee()
    valid = await grant(client, user)
    revoked = await grant(client, user)
    assert (await graphql(client, REVOKE, {"id": revoked}, token=P_SELF))["data"]["revokeAuthorization"][
        "authorization"]["revokedAt"]
    future = await grant(client, user, days_from=2)
    expired = await expired_grant(engine, user)
    hiring = await grant(client, user, purpose="HIRING")
    limited_item = w.WORLD.items["NATURAL_PERSON-LIMITED"].code
    items_only = await grant(client, user, classes=(), items=(limited_item,))

    # P's PUBLIC record: anyone reads it, so its explanation goes through every authorisation held
    declared = {"purpose": "licensing", "basis": "SQ-WHY-1"}
    public = await explain(client, user, "P-PUBLIC", **declared)
    assert public["allowed"] is True
    [why] = reasons_about(public, revoked)
    assert why.startswith(f"authorisation {number(revoked)} was revoked at 20"), why
    [why] = reasons_about(public, future)
    assert why.startswith(f"authorisation {number(future)} is valid only from 20"), why
    [why] = reasons_about(public, expired)
    assert why.startswith(f"authorisation {number(expired)} expired at 20"), why
    assert reasons_about(public, hiring) == [
        f"authorisation {number(hiring)} is for purpose HIRING; the request declares LICENSING"]
    public_item = w.WORLD.items["NATURAL_PERSON-PUBLIC"].code
    for applying in (valid, items_only):  # it applies, but covers neither the class nor the item
        assert reasons_about(public, applying) == [
            f"authorisation {number(applying)} does not cover class PUBLIC or item {public_item}"]

    # no purpose: the request declares none
    undeclared = await explain(client, user, "P-PUBLIC")
    assert reasons_about(undeclared, valid) == [
        f"authorisation {number(valid)} is for purpose LICENSING; the request declares none"]
    # a purpose without a basis (HC-23, XZ-18: both are required)
    no_basis = await explain(client, user, "P-PUBLIC", purpose="licensing")
    assert reasons_about(no_basis, valid) == [
        f"authorisation {number(valid)} applies only with X-Query-Basis as well as X-Query-Purpose"]

    # where it applies and covers the record, the grant is what lets the grantee read it
    authorized = await explain(client, user, "P-AUTHORIZED", **declared)
    assert authorized["allowed"] is True and authorized["decidedBy"], authorized
    assert reasons_about(authorized, valid) == []  # nothing stands in its way
    assert any(r.startswith(f"role grantee (authorisation {number(valid)})") for r in authorized["reasons"]), authorized


async def test_an_authorisation_is_not_explained_to_anyone_but_its_grantee(client):
    user = _grantee()
    hiring = await grant(client, user, purpose="HIRING")
    other = await explain(client, _grantee(), "P-PUBLIC", purpose="licensing", basis="SQ-WHY-1")
    assert other["allowed"] is True
    assert not [r for r in other["reasons"] if f"authorisation {number(hiring)}" in r], other


async def test_a_subject_cannot_revoke_another_subjects_authorisation(engine, client):
    user = _grantee()
    ident = await grant(client, user)
    declared = {"purpose": "licensing", "basis": "SQ-WHY-1"}
    assert (await explain(client, user, "P-AUTHORIZED", **declared))["allowed"] is True

    async def revocations() -> int:
        async with engine.connect() as connection:
            return (await connection.execute(select(func.count()).select_from(SubmissionLogEntry.__table__).where(
                SubmissionLogEntry.action == "REVOKE_AUTHORIZATION"))).scalar()

    logged = await revocations()
    missing = str(row_number(ident) + 1_000_000)
    # another subject: refused, in the words used for an authorisation that does not exist
    for attempt in (ident, missing):
        body = await graphql(client, REVOKE, {"id": attempt}, token=Q_SELF)
        assert "errors" not in body and body["data"]["revokeAuthorization"]["authorization"] is None, body
        [error] = body["data"]["revokeAuthorization"]["errors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", "id"), error
        assert error["message"] == f"no authorisation {number(attempt)} given by this subject", error
    # not a subject at all (an officer, the public): refused, naming the rule
    for token in (make_token(user="o-why", department="SCJG", roles=["officer"]), None):
        body = await graphql(client, REVOKE, {"id": ident}, token=token)
        assert body["data"] is None, body
        [error] = body["errors"]
        assert error["extensions"] == {"code": "FORBIDDEN", "rule": "HC-22: authorisation is given by the subject"}
        assert error["message"].startswith("only a subject acting for itself"), error
    # nothing changed: still in force for its grantee, not revoked in P's list, nothing logged
    assert (await explain(client, user, "P-AUTHORIZED", **declared))["allowed"] is True
    mine = (await graphql(client, MINE, token=P_SELF))["data"]["myAuthorizations"]
    assert [(a["granteeUser"], a["revokedAt"]) for a in mine if a["id"] == ident] == [(user, None)]
    assert await revocations() == logged
    # and P itself still can
    body = await graphql(client, REVOKE, {"id": ident}, token=P_SELF)
    assert body["data"]["revokeAuthorization"]["errors"] == [], body
    revoked_at = body["data"]["revokeAuthorization"]["authorization"]["revokedAt"]
    assert revoked_at, body
    assert await revocations() == logged + 1
    # once: revoking it again changes nothing, logs nothing, and says when it was revoked
    again = (await graphql(client, REVOKE, {"id": ident}, token=P_SELF))["data"]["revokeAuthorization"]
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("ALREADY_REVOKED", "id")], again
    assert f"authorisation {number(ident)} was revoked at" in again["errors"][0]["message"]
    assert again["authorization"]["revokedAt"] == revoked_at
    assert await revocations() == logged + 1
    assert (await explain(client, user, "P-AUTHORIZED", **declared))["allowed"] is False
