"""Query permits for tests, registered through HTTP as the credit centre does (HC-23, XZ-18)."""

from __future__ import annotations

import datetime as dt

from tests.conftest import graphql, make_token

CENTRE = make_token(user="centre-op", department="XYZX", roles=["operator"])

REGISTER = """
mutation($input: RegisterQueryPermitInput!) {
  registerQueryPermit(input: $input) {
    permit { id number department classes catalogueItems validFrom validUntil documentRef registeredBy revokedAt }
    errors { code field message }
  }
}
"""
REVOKE = """
mutation($input: RevokeQueryPermitInput!) {
  revokeQueryPermit(input: $input) { permit { id revokedAt revokedBy revocationReason } errors { code field message } }
}
"""


def window(days_from: int = -1, days_until: int = 30) -> tuple[str, str]:
    now = dt.datetime.now(dt.timezone.utc)
    return (now + dt.timedelta(days=days_from)).isoformat(), (now + dt.timedelta(days=days_until)).isoformat()


async def register(client, number: str, department: str, classes=(), items=(), *, days_from=-1, days_until=30,
                   token: str = CENTRE) -> dict:
    """The mutation's payload (permit and errors)."""
    start, end = window(days_from, days_until)
    body = await graphql(client, REGISTER, {"input": {
        "number": number, "department": department, "scope": {"classes": list(classes), "catalogueItems": list(items)},
        "validFrom": start, "validUntil": end, "documentRef": f"application for {number}"}}, token=token)
    assert "errors" not in body, body
    return body["data"]["registerQueryPermit"]


async def ensure(client, number: str, department: str, classes=(), items=()) -> None:
    """Registered once per database (tests share the world): a DUPLICATE answer means it is there."""
    payload = await register(client, number, department, classes, items, days_until=3650 // 3)
    assert payload["permit"] is not None or [e["code"] for e in payload["errors"]] == ["DUPLICATE"], payload


def register_served(graphql_url: str, secret: bytes, number: str, department: str, classes=("SHARED",)) -> None:
    """Register a permit on a real server (`credit-gateway serve`), as its credit centre would."""
    import httpx

    from gateway.identity import mint_token

    centre = mint_token(secret, user="centre", name="中心操作员", department="XYZX", roles=["operator"])
    start, end = window()
    body = httpx.post(graphql_url, timeout=10, headers={"Authorization": f"Bearer {centre}"}, json={
        "query": "mutation($i: RegisterQueryPermitInput!){ registerQueryPermit(input: $i){ errors { message } } }",
        "variables": {"i": {"number": number, "department": department, "scope": {"classes": list(classes)},
                            "validFrom": start, "validUntil": end, "documentRef": f"application for {number}"}}}).json()
    assert body["data"]["registerQueryPermit"]["errors"] == [], body
