"""Unpublished years count the statutory holidays of 《全国年节及纪念日放假办法》 (SPEC 3.4):
元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆 -- provisional, never an error."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from domain.statutory_holidays import qingming, statutory_days
from domain.working_days import SHIPPED_DIR, Counted, Deadline, HolidaySchedule, WorkingDayCalendar, load_schedule

CAL = WorkingDayCalendar.shipped()


def test_2027_statutory_days_under_the_2024_rules():
    assert dict(statutory_days(2027)) == {
        date(2027, 1, 1): "元旦",
        **{date(2027, 2, d): "春节" for d in (5, 6, 7, 8)},  # 除夕 Fri 2/5, 正月初一 Sat 2/6, 初二, 初三
        date(2027, 4, 5): "清明节",
        date(2027, 5, 1): "劳动节", date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节",  # 五月初五
        date(2027, 9, 15): "中秋节",  # 八月十五
        **{date(2027, 10, d): "国庆节" for d in (1, 2, 3)},
    }


def test_a_2027_deadline_skips_new_years_day_spring_festival_and_national_day_provisionally():
    # 元旦 Fri 1/1: Thu 12/31 + 1 is Mon 1/4
    assert CAL.add_working_days(date(2026, 12, 31), 1) == Deadline(date(2027, 1, 4), True)
    # 除夕 Fri 2/5 and 初三 Mon 2/8 are off: Thu 2/4 + 3 is 2/9 2/10 2/11
    assert CAL.add_working_days(date(2027, 2, 4), 3) == Deadline(date(2027, 2, 11), True)
    # 国庆 Fri 10/1 (10/2-3 fall on the weekend, no make-up day is guessed): Thu 9/30 + 1 is Mon 10/4
    assert CAL.add_working_days(date(2027, 9, 30), 1) == Deadline(date(2027, 10, 4), True)
    # 清明 Mon 4/5, 端午 Wed 6/9, 中秋 Wed 9/15
    assert CAL.add_working_days(date(2027, 4, 2), 1).due == date(2027, 4, 6)
    assert CAL.add_working_days(date(2027, 6, 8), 1).due == date(2027, 6, 10)
    assert CAL.add_working_days(date(2027, 9, 14), 1).due == date(2027, 9, 16)
    # the whole of February: 20 weekdays less 除夕 and 初三
    assert CAL.working_days_between(date(2027, 1, 31), date(2027, 2, 28)) == Counted(18, True)


@pytest.mark.parametrize("year", range(2017, 2027))
def test_statutory_days_fall_inside_each_shipped_years_holidays(year):
    """The computed days, under the rules in force that year, against the published notices."""
    published = load_schedule(SHIPPED_DIR / f"{year}.yaml").holidays
    assert sorted(set(statutory_days(year)) - published) == [] and len(statutory_days(year)) >= 9


def test_the_rules_in_force_decide_each_years_days():
    # 2014-2024: 春节 is 初一..初三 and 劳动节 one day; 2024's 除夕 (Fri 2/9) was a working day.
    assert date(2024, 2, 9) not in statutory_days(2024) and CAL.is_working_day(date(2024, 2, 9))
    assert date(2024, 5, 2) not in statutory_days(2024)
    # from 2025: 除夕 and 5/2 are statutory
    assert statutory_days(2025)[date(2025, 1, 28)] == "春节" and statutory_days(2025)[date(2025, 5, 2)] == "劳动节"
    # 2008-2013: 除夕, 初一, 初二 (2013: 2/9..2/11); before 2008: 劳动节 three days, no 清明
    assert [d for d, name in statutory_days(2013).items() if name == "春节"] == [date(2013, 2, d) for d in (9, 10, 11)]
    assert date(2007, 5, 3) in statutory_days(2007) and "清明节" not in statutory_days(2007).values()


@pytest.mark.parametrize("year", range(2004, 2017))
def test_statutory_days_of_earlier_rules_match_chinese_calendar(year):
    chinese_calendar = pytest.importorskip("chinese_calendar")
    assert [day for day in statutory_days(year) if chinese_calendar.is_workday(day)] == []


def test_qingming_matches_the_21st_century_formula():
    """day = floor(Y*0.2422 + 4.81) - floor(Y/4), Y = year mod 100, holds 2001..2099; in 2100 (not
    a leap year, so the formula's leap correction is a day off) the term falls on 5 April."""
    wrong = [year for year in range(2001, 2100)
             if qingming(year) != date(year, 4, math.floor(year % 100 * 0.2422 + 4.81) - year % 100 // 4)]
    assert wrong == []
    assert qingming(2100) == date(2100, 4, 5)


def test_far_years_are_counted_never_an_error():
    for year in (2100, 2101, 2500, 9000):
        days = statutory_days(year)
        assert len(days) >= 10 and date(year, 10, 1) in days
    assert CAL.add_working_days(date(2100, 12, 30), 2) == Deadline(date(2101, 1, 3), True)  # Fri 12/31, Mon 1/3


def test_an_operator_added_year_wins_over_the_statutory_days():
    """A published schedule is the data of record, even where it departs from the rules."""
    schedule = HolidaySchedule(2027, frozenset({date(2027, 1, 1), date(2027, 10, 4)}), frozenset({date(2027, 9, 26)}))
    cal = CAL.with_year(schedule)
    assert cal.is_working_day(date(2027, 2, 5))  # 除夕: statutory, but not in this schedule
    assert cal.is_working_day(date(2027, 9, 26))  # an adjusted Sunday
    assert not cal.is_working_day(date(2027, 10, 4))
    assert cal.add_working_days(date(2027, 2, 4), 1) == Deadline(date(2027, 2, 5), False)
    assert CAL.add_working_days(date(2027, 2, 4), 1) == Deadline(date(2027, 2, 9), True)


def test_an_unpublished_year_is_weekdays_less_exactly_the_statutory_days():
    year, day, wrong = 2031, date(2031, 1, 1), []
    while day.year == year:
        expected = day.weekday() < 5 and day not in statutory_days(year)
        if CAL.is_working_day(day) != expected:
            wrong.append(day)
        day += timedelta(days=1)
    assert wrong == [] and not CAL.is_published(year)
