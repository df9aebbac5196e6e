"""The statutory holidays (法定节假日) fixed by 《全国年节及纪念日放假办法》, for years whose
official schedule nobody has published yet (SPEC 3.4).

The State Council's yearly notice arranges the days off (放假调休) and is the data of record
(``domain/holidays/``). Before it is out, a deadline must still be computable: the rules
themselves fix which days every citizen has off -- 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆 --
and those days are certain even though the notice's bridging days (调休) are not. So an
unpublished year counts weekdays minus these days, and is marked provisional by the calendar.

Not guessed here: 调休 (weekend days made working days) and 补假 (办法 art. 6: a holiday falling
on a weekend is made up on a working day) -- the notice decides where those go.

The lunar dates (除夕, 正月初一.., 五月初五, 八月十五) and the Qingming solar term come from
``lunar_python`` (pure Python, MIT, computes the calendar astronomically for any year).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lunar_python import Lunar, Solar

__all__ = ["RULES", "Festival", "HolidayRules", "qingming", "statutory_days"]

_ONE_DAY = dt.timedelta(days=1)


def _solar(month: int, day: int) -> Callable[[int], dt.date]:
    return lambda year: dt.date(year, month, day)


def _lunar(month: int, day: int) -> Callable[[int], dt.date]:
    """A day of the Chinese calendar year that begins in ``year`` (never a leap month)."""

    def gregorian(year: int) -> dt.date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())

    return gregorian


def qingming(year: int) -> dt.date:
    """The day of the Qingming solar term (清明, the sun at 15° longitude): 4 or 5 April."""
    term = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    return dt.date(term.getYear(), term.getMonth(), term.getDay())


@dataclass(frozen=True)
class Festival:
    """``days`` consecutive days off, the first ``offset`` days from ``anchor(year)``."""

    name: str
    anchor: Callable[[int], dt.date]
    days: int = 1
    offset: int = 0

    def dates(self, year: int) -> list[dt.date]:
        first = self.anchor(year) + self.offset * _ONE_DAY
        return [first + i * _ONE_DAY for i in range(self.days)]


@dataclass(frozen=True)
class HolidayRules:
    """One version of the 办法, in force for days from ``since`` until the next version's."""

    since: dt.date
    title: str
    festivals: tuple[Festival, ...]


_NEW_YEAR = Festival("元旦", _solar(1, 1))
_QINGMING = Festival("清明节", qingming)
_DRAGON_BOAT = Festival("端午节", _lunar(5, 5))
_MID_AUTUMN = Festival("中秋节", _lunar(8, 15))
_NATIONAL_DAY = Festival("国庆节", _solar(10, 1), days=3)

RULES: tuple[HolidayRules, ...] = (
    HolidayRules(dt.date(1999, 9, 18), "国务院令第270号 (1999)", (
        _NEW_YEAR,
        Festival("春节", _lunar(1, 1), days=3),  # 正月初一、初二、初三
        Festival("劳动节", _solar(5, 1), days=3),
        _NATIONAL_DAY,
    )),
    HolidayRules(dt.date(2008, 1, 1), "国务院令第513号 (2007)", (
        _NEW_YEAR,
        Festival("春节", _lunar(1, 1), days=3, offset=-1),  # 除夕、正月初一、初二
        _QINGMING,
        Festival("劳动节", _solar(5, 1)),
        _DRAGON_BOAT, _MID_AUTUMN, _NATIONAL_DAY,
    )),
    HolidayRules(dt.date(2014, 1, 1), "国务院令第644号 (2013)", (
        _NEW_YEAR,
        Festival("春节", _lunar(1, 1), days=3),  # 正月初一、初二、初三
        _QINGMING,
        Festival("劳动节", _solar(5, 1)),
        _DRAGON_BOAT, _MID_AUTUMN, _NATIONAL_DAY,
    )),
    HolidayRules(dt.date(2025, 1, 1), "国务院令第795号 (2024)", (
        _NEW_YEAR,
        Festival("春节", _lunar(1, 1), days=4, offset=-1),  # 除夕、正月初一、初二、初三
        _QINGMING,
        Festival("劳动节", _solar(5, 1), days=2),
        _DRAGON_BOAT, _MID_AUTUMN, _NATIONAL_DAY,
    )),
)


@functools.cache
def statutory_days(year: int) -> Mapping[dt.date, str]:
    """Every statutory day off in ``year``, named by its festival, under the version of the
    rules in force on that day. Days before the 1999 rules: none (the gateway counts nothing
    that old). Weekend days are included: they are off either way."""
    found: dict[dt.date, str] = {}
    for rules, following in zip(RULES, (*RULES[1:], None)):
        until = following.since if following else dt.date.max
        if rules.since.year > year or until.year < year:
            continue
        for festival in rules.festivals:
            for day in festival.dates(year):
                if day.year == year and rules.since <= day < until:
                    found.setdefault(day, festival.name)  # 中秋 on 1 October (2020): still one day
    return MappingProxyType(dict(sorted(found.items())))
