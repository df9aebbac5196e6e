"""Disclosure periods (SPEC 3.2, HC-19, XZ-20): date arithmetic, month ends and leap days. The rules per
profile and article: tests/test_periods.py."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain.catalogue import load_profile
from domain.disclosure import add_months, add_years, disclosure_ends_on, is_archived
from domain.enums import SubjectKind

ORG, PERSON = SubjectKind.ORGANISATION, SubjectKind.NATURAL_PERSON


@pytest.fixture(scope="module")
def hc():
    return load_profile("huancui")


@pytest.fixture(scope="module")
def xz():
    return load_profile("xinzheng")


def test_add_years_and_months():
    assert add_years(date(2020, 2, 29), 5) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2021, 3, 1), 3) == date(2024, 3, 1)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2022, 11, 30), 3) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 12, 15), 12) == date(2025, 12, 15)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)


def test_basic_organisation_three_years_after_it_ends(hc):
    item = hc.item("HC-10-1-REGISTRATION")
    assert disclosure_ends_on(item, subject_kind=ORG, subject_ended_on=None) is None
    assert disclosure_ends_on(item, subject_kind=ORG, decided_on=date(2015, 1, 5),
                              subject_ended_on=date(2020, 5, 10), profile=hc) == date(2023, 5, 10)
    assert disclosure_ends_on(item, subject_kind=ORG,
                              subject_ended_on=date(2020, 2, 29)) == date(2023, 2, 28)


def test_basic_person_until_death(xz):
    item = xz.item("XZ-8-1-IDENTITY")
    assert disclosure_ends_on(item, subject_kind=PERSON) is None
    assert disclosure_ends_on(item, subject_kind=PERSON,
                              subject_ended_on=date(2024, 2, 29)) == date(2024, 2, 29)


def test_good_until_validity_or_cancellation(hc):
    item = hc.item("HC-12-3-RATING")
    assert disclosure_ends_on(item, subject_kind=ORG, decided_on=date(2023, 4, 1),
                              valid_until=date(2024, 3, 31)) == date(2024, 3, 31)
    assert disclosure_ends_on(item, subject_kind=ORG, decided_on=date(2023, 4, 1)) is None


def test_numbers_left_unset_come_from_the_profile(hc):
    item = hc.item("HC-13-4-FEE-ARREARS")
    bare = dataclasses.replace(item, disclosure=dataclasses.replace(item.disclosure, years=None))
    assert disclosure_ends_on(bare, subject_kind=ORG, act_ended_on=date(2020, 1, 1),
                              profile=hc) == date(2025, 1, 1)
    with pytest.raises(ValueError, match="no profile"):
        disclosure_ends_on(bare, subject_kind=ORG, act_ended_on=date(2020, 1, 1))


def test_subject_kind_must_be_covered(hc):
    with pytest.raises(ValueError, match="does not apply to NATURAL_PERSON"):
        disclosure_ends_on(hc.item("HC-10-1-REGISTRATION"), subject_kind=PERSON)


def test_is_archived():
    assert not is_archived(None, date(2030, 1, 1))
    assert not is_archived(date(2025, 2, 28), date(2025, 2, 28))  # last day still disclosed
    assert is_archived(date(2025, 2, 28), date(2025, 3, 1))
