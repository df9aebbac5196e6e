"""Working-day deadlines: State Council schedules, the uncounted start day, unpublished years."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.working_days import (
    Counted,
    Deadline,
    HolidaySchedule,
    ScheduleError,
    WorkingDayCalendar,
    load_schedule,
)

CAL = WorkingDayCalendar.shipped()

# Not a real notice: a made-up 2027 arrangement, enough to show a new file changes counts.
HYPOTHETICAL_2027 = """\
year: 2027
source: test fixture, not the real 2027 notice
holidays:
  - 2027-01-01..2027-01-03
working_days:
  - 2027-01-09
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- shipped data ----------------------------------------------------------------------


def test_shipped_years_are_2017_to_2026():
    assert CAL.published_years == tuple(range(2017, 2027))
    assert not CAL.is_published(2027)


@pytest.mark.parametrize("year", range(2017, 2027))
def test_shipped_file_matches_chinese_calendar_day_by_day(year):
    chinese_calendar = pytest.importorskip("chinese_calendar")
    day = date(year, 1, 1)
    mismatches = []
    while day.year == year:
        if CAL.is_working_day(day) != chinese_calendar.is_workday(day):
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


def test_runtime_does_not_need_chinese_calendar():
    code = (
        "import sys; sys.modules['chinese_calendar'] = None\n"
        "from domain.working_days import WorkingDayCalendar\n"
        "assert WorkingDayCalendar.shipped().is_published(2026)\n"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


# -- known 2026 cases ------------------------------------------------------------------


def test_adjusted_saturday_is_a_working_day():
    assert CAL.is_working_day(date(2026, 2, 14))  # 春节调休, Saturday
    assert not CAL.is_working_day(date(2026, 2, 16))  # 春节, Monday
    assert CAL.add_working_days(date(2026, 2, 13), 1) == Deadline(date(2026, 2, 14), False)


def test_spring_festival_decision_on_last_working_day_before_the_break():
    # 2/14 (Sat, adjusted) is the last working day; 2/15-2/23 off; 2/28 (Sat) adjusted.
    # 2/24 2/25 2/26 2/27 2/28 3/2 3/3
    assert CAL.add_working_days(date(2026, 2, 14), 7) == Deadline(date(2026, 3, 3), False)


def test_national_day_decision_on_last_working_day_before_the_break():
    # 9/30 (Wed) last working day; 10/1-10/7 off; 10/10 (Sat) adjusted.
    # 10/8 10/9 10/10 10/12 10/13 10/14 10/15
    assert CAL.add_working_days(date(2026, 9, 30), 7) == Deadline(date(2026, 10, 15), False)


def test_start_day_is_not_counted():
    assert CAL.add_working_days(date(2026, 3, 2), 1).due == date(2026, 3, 3)  # Mon -> Tue
    assert CAL.add_working_days(date(2026, 3, 6), 1).due == date(2026, 3, 9)  # Fri -> Mon
    assert CAL.add_working_days(date(2026, 10, 3), 1).due == date(2026, 10, 8)  # in holiday
    assert CAL.add_working_days(date(2026, 3, 2), 0) == Deadline(date(2026, 3, 2), False)


def test_negative_count_is_refused():
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 3, 2), -1)


def test_lateness_in_working_days():
    due = date(2026, 9, 30)
    assert CAL.working_days_between(due, date(2026, 10, 7)) == Counted(0, False)  # all holiday
    assert CAL.working_days_between(due, date(2026, 10, 10)) == Counted(3, False)
    assert CAL.working_days_between(due, due) == Counted(0, False)
    assert CAL.working_days_between(due, date(2026, 9, 1)) == Counted(0, False)  # early


# -- unpublished years -----------------------------------------------------------------


def test_deadline_into_unpublished_2027_skips_new_years_day_and_is_provisional():
    # 12/29 12/30 12/31, then 2027 on weekdays less 元旦 1/1 (Fri): 1/4 1/5 1/6 1/7
    assert CAL.add_working_days(date(2026, 12, 28), 7) == Deadline(date(2027, 1, 7), True)
    assert CAL.working_days_between(date(2026, 12, 28), date(2027, 1, 7)) == Counted(7, True)


def test_deadline_ending_on_new_years_eve_is_not_provisional():
    assert CAL.add_working_days(date(2026, 12, 28), 3) == Deadline(date(2026, 12, 31), False)


def test_wholly_unpublished_year_is_weekdays_less_statutory_days():
    # 劳动节 2030-05-01 (Wed) and 05-02 (Thu) are statutory: 5/3 5/6 5/7 5/8 5/9
    assert CAL.add_working_days(date(2030, 5, 1), 5) == Deadline(date(2030, 5, 9), True)
    assert not WorkingDayCalendar().is_working_day(date(2026, 3, 7))  # any Saturday
    assert WorkingDayCalendar().is_working_day(date(2026, 3, 9))  # a Monday no rule makes a holiday


def test_adding_a_2027_file_makes_the_deadline_certain_and_moves_it(tmp_path):
    # Statutory days only: 1/4 … 1/8, 1/11 1/12. The file adds the adjusted Saturday 1/9.
    assert CAL.add_working_days(date(2026, 12, 31), 7) == Deadline(date(2027, 1, 12), True)
    write(tmp_path, "2027.yaml", HYPOTHETICAL_2027)
    cal = CAL.load_directory(tmp_path)
    assert cal.is_published(2027)
    assert cal.add_working_days(date(2026, 12, 28), 7) == Deadline(date(2027, 1, 7), False)
    # 1/4 … 1/8, 1/9 (adjusted Saturday), 1/11
    assert cal.add_working_days(date(2026, 12, 31), 7) == Deadline(date(2027, 1, 11), False)
    assert cal.is_working_day(date(2027, 1, 9))  # the adjusted Saturday
    assert not CAL.is_published(2027)  # the shipped calendar is untouched


def test_with_year_adds_a_schedule_built_in_code():
    schedule = HolidaySchedule(2027, frozenset({date(2027, 1, 1)}), frozenset())
    cal = CAL.with_year(schedule)
    assert cal.add_working_days(date(2026, 12, 31), 1) == Deadline(date(2027, 1, 4), False)


def test_operator_file_overrides_a_shipped_year(tmp_path):
    write(tmp_path, "2026.yaml", "year: 2026\nsource: correction\nholidays: [2026-01-01]\nworking_days: []\n")
    cal = CAL.load_directory(tmp_path)
    assert cal.is_working_day(date(2026, 10, 2))
    assert cal.from_files([tmp_path / "2026.yaml"]).published_years == (2026,)


def test_two_files_for_one_year_are_refused(tmp_path):
    write(tmp_path, "2027.yaml", HYPOTHETICAL_2027)
    write(tmp_path, "2027-draft.yml", HYPOTHETICAL_2027)
    with pytest.raises(ScheduleError, match="also given by"):
        CAL.load_directory(tmp_path)


# -- malformed files -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("holidays: [2028-01-01]", "holiday 2028-01-01 is outside the year 2027"),
        ("holidays: [2027-01-09]\nworking_days: [2027-01-09]", "both as a holiday and as a working"),
        ("working_days: [2027-01-11]", "working day 2027-01-11 is a Monday"),
        ("holidays: ['2027-02-10..2027-02-05']", "ends before it starts"),
        ("holidays: ['2027-02-30']", "not a real calendar date"),
        ("holidays: ['Feb 5']", "is not a date"),
        ("holiday: [2027-01-01]", "unknown key(s) holiday"),
        ("holidays: 2027-01-01", "must be a list"),
    ],
)
def test_malformed_file_names_the_file_and_the_problem(tmp_path, body, problem):
    path = write(tmp_path, "2027.yaml", f"year: 2027\n{body}\n")
    with pytest.raises(ScheduleError) as caught:
        load_schedule(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_file_name_must_match_its_year(tmp_path):
    with pytest.raises(ScheduleError, match="named for 2028 but says year: 2027"):
        load_schedule(write(tmp_path, "2028.yaml", HYPOTHETICAL_2027))


def test_unparseable_yaml_names_the_file(tmp_path):
    path = write(tmp_path, "2027.yaml", "year: [2027\n")
    with pytest.raises(ScheduleError, match="cannot read schedule"):
        WorkingDayCalendar.from_files([path])


def test_holiday_on_a_weekend_is_accepted_and_changes_nothing(tmp_path):
    schedule = load_schedule(write(tmp_path, "2027.yaml", "year: 2027\nholidays: [2027-01-02]\n"))
    assert date(2027, 1, 2) in schedule.holidays  # kept, as the notice lists it
    assert not schedule.is_working_day(date(2027, 1, 2))


def test_with_year_validates_too():
    bad = HolidaySchedule(2027, frozenset(), frozenset({date(2027, 1, 11)}))
    with pytest.raises(ScheduleError, match="schedule for 2027: working day 2027-01-11"):
        CAL.with_year(bad)


# -- properties ------------------------------------------------------------------------

starts = st.dates(min_value=date(2015, 1, 1), max_value=date(2029, 12, 31))


@settings(max_examples=300, deadline=None)
@given(start=starts, n=st.integers(min_value=1, max_value=60))
def test_deadline_is_a_later_working_day_n_working_days_away(start, n):
    deadline = CAL.add_working_days(start, n)
    assert deadline.due > start
    assert CAL.is_working_day(deadline.due)
    counted = CAL.working_days_between(start, deadline.due)
    assert counted == Counted(n, deadline.provisional)
    examined_years = range((start + timedelta(days=1)).year, deadline.due.year + 1)
    assert deadline.provisional == any(not CAL.is_published(y) for y in examined_years)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2029, 12, 31)), st.integers(-40, 1500))
def test_counting_between_two_days_is_counting_each_day(start, span):
    """`working_days_between` adds running totals per year; it must equal walking day by day,
    across year ends and into unpublished (provisional) years."""
    end = start + timedelta(days=span)
    days, provisional, day = 0, False, start + timedelta(days=1)
    while day <= end:
        provisional = provisional or not CAL.is_published(day.year)
        days += CAL.is_working_day(day)
        day += timedelta(days=1)
    assert CAL.working_days_between(start, end) == Counted(days, provisional)
