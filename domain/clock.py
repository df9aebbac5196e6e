"""The clock: instants in UTC, days in the jurisdiction's time zone (SPEC 3.4: deadlines, lateness
and "today" are Beijing days, whatever time zone the host runs in).

`jurisdiction_day` is the one place a day is made from an instant. Both shipped profiles are in
Asia/Shanghai (`JurisdictionProfile.time_zone`); national rules that need a day without a profile
(GB 11643 birth dates) use China's, `CHINA`.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
CHINA = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], dt.datetime]  # gives the current instant, UTC-aware; tests pass a fixed one


def utc_now() -> dt.datetime:
    """The current instant, UTC-aware."""
    return dt.datetime.now(UTC)


def jurisdiction_day(now: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The calendar day it is at instant `now` in `zone` (e.g. 2026-11-29T16:00Z is 30 Nov in Beijing)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"instant {now.isoformat()} has no UTC offset: the day it falls on is unknown")
    return now.astimezone(zone).date()


def china_today() -> dt.date:
    """Today in China: for national rules applied without a jurisdiction profile."""
    return jurisdiction_day(utc_now(), CHINA)
