"""When a revocable, time-bound grant applies: a written authorisation (HC-22) or a query permit (HC-23, XZ-18)."""

from __future__ import annotations

import datetime as dt


def outside_validity(what: str, revoked_at: dt.datetime | None, valid_from: dt.datetime, valid_until: dt.datetime,
                     now: dt.datetime) -> str | None:
    """None while `what` is in force at `now` (from valid_from, until before valid_until, not revoked); else why not."""
    if revoked_at is not None:
        return f"{what} was revoked at {revoked_at.isoformat()}"
    if valid_from > now:
        return f"{what} is valid only from {valid_from.isoformat()}"
    if valid_until <= now:
        return f"{what} expired at {valid_until.isoformat()}"
    return None
