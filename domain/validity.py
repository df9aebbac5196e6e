"""When a revocable, time-bound grant applies: a written authorisation (HC-22) or a query permit (HC-23, XZ-18)."""

from __future__ import annotations

import datetime as dt

from domain.problems import Problem


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


MAX_VALIDITY = dt.timedelta(days=366 * 5)  # a grant or permit lasts at most 5 years


def validity_problems(what: str, valid_from: dt.datetime, valid_until: dt.datetime, now: dt.datetime) -> list[Problem]:
    """What is wrong with the window a grant or permit is registered for (`validUntil`), empty when sound."""
    problems = []
    if valid_until <= valid_from:
        problems.append(Problem("validUntil", "validUntil must be after validFrom"))
    elif valid_until - valid_from > MAX_VALIDITY:
        problems.append(Problem("validUntil", f"{what} may last at most 5 years"))
    if valid_until <= now:
        problems.append(Problem("validUntil", "validUntil is in the past"))
    return problems
