"""Each period rule per profile against the article's numbers (SPEC 3.2): HC-19(1)-(3), XZ-20, the
penalty publicity grading (public display only), the profile check that refuses an uncited deviation,
and XZ-12's deadlines as the article scopes them (7 working days for licensing and penalty decisions,
10 working days after the collection period for everything else)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain.catalogue import AdministrativeDecision, CollectionPeriod, DeadlineFrom, load_profile
from domain.disclosure import repairable_from
from domain.enums import Category, RecordFamily, Severity, SubjectKind
from domain.periods import RecordPeriods, record_periods
from domain.record_facts import derive_facts, period_end
from domain.working_days import WorkingDayCalendar
from tests.test_catalogue import fails, item_of, mutate, write

ORG, PERSON = SubjectKind.ORGANISATION, SubjectKind.NATURAL_PERSON
HC, XZ = load_profile("huancui"), load_profile("xinzheng")


def periods(profile, code, kind=ORG, *, decided=None, act_ended=None, valid_until=None, subject_ended=None,
            cancelled=None) -> RecordPeriods:
    return record_periods(profile.item(code), profile, subject_kind=kind, decided_on=decided, act_ended_on=act_ended,
                          valid_until=valid_until, subject_ended_on=subject_ended, cancelled_on=cancelled)


# ------------------------------------------------------------------ HC-19(1): basic information


@pytest.mark.parametrize("profile, code", [(HC, "HC-10-1-REGISTRATION"), (XZ, "XZ-7-1-REGISTRATION")])
def test_basic_organisation_three_years_after_it_ends(profile, code):
    assert periods(profile, code, decided=date(2015, 1, 5)) == RecordPeriods(None, None, None), "it still exists"
    assert periods(profile, code, decided=date(2015, 1, 5), subject_ended=date(2022, 6, 30)) == RecordPeriods(
        date(2025, 6, 30), None, None)


@pytest.mark.parametrize("profile, code", [(HC, "HC-11-1-IDENTITY"), (XZ, "XZ-8-1-IDENTITY")])
def test_basic_person_until_death(profile, code):
    assert periods(profile, code, PERSON, decided=date(2010, 1, 1)).disclosure_ends_on is None
    assert periods(profile, code, PERSON, decided=date(2010, 1, 1),
                   subject_ended=date(2024, 2, 29)) == RecordPeriods(date(2024, 2, 29), None, None)


# ------------------------------------------------------------------ HC-19(2): good information


@pytest.mark.parametrize("profile, code", [(HC, "HC-12-1-HONOUR"), (XZ, "XZ-7-15-HONOUR")])
def test_good_until_validity_else_until_cancelled(profile, code):
    assert periods(profile, code, decided=date(2023, 4, 1), valid_until=date(2025, 3, 31)).disclosure_ends_on \
        == date(2025, 3, 31)
    assert periods(profile, code, decided=date(2023, 4, 1)).disclosure_ends_on is None, "no validity: until cancelled"
    assert periods(profile, code, decided=date(2023, 4, 1), cancelled=date(2024, 7, 1)).disclosure_ends_on \
        == date(2024, 7, 1)
    assert periods(profile, code, decided=date(2023, 4, 1), valid_until=date(2025, 3, 31),
                   cancelled=date(2026, 1, 1)).disclosure_ends_on == date(2025, 3, 31), "cancelling never extends"


# ------------------------------------------------------------------ HC-19(3), XZ-20: bad information

BAD_ITEMS = [(p, code) for p in (HC, XZ) for code, item in p.items.items() if item.category is Category.BAD]


@pytest.mark.parametrize("profile, code", BAD_ITEMS, ids=[c for _, c in BAD_ITEMS])
def test_every_bad_item_is_disclosed_five_years_from_the_acts_end(profile, code):
    """All 33 bad items, court lists, exam cheating and benefit fraud included: 5 years from the day the act
    ended (HC-19(3)), never 3, 12 or 36 months; an act that ended before its decision counts from its end."""
    item = profile.item(code)
    kind = ORG if ORG in item.subject_kinds else PERSON
    got = periods(profile, code, kind, decided=date(2021, 6, 15), act_ended=date(2021, 3, 31))
    assert got.disclosure_ends_on == date(2026, 3, 31)
    ongoing = periods(profile, code, kind, decided=date(2015, 6, 15))
    assert ongoing.disclosure_ends_on is None and ongoing.retained_until is None, "an ongoing act has no end yet"


def test_penalty_publicity_governs_public_display_only():
    """A general penalty (HC-13-6) is public 12 months from the decision, then read by departments until
    5 years after the act ended; a serious one (tax violation) 36 months."""
    general = periods(HC, "HC-13-6-PENALTY", decided=date(2024, 2, 29), act_ended=date(2024, 1, 15))
    assert general == RecordPeriods(disclosure_ends_on=date(2029, 1, 15), publicity_ends_on=date(2025, 2, 28),
                                    retained_until=None)
    serious = periods(XZ, "XZ-7-8-TAX-VIOLATION", decided=date(2023, 6, 30), act_ended=date(2023, 6, 30))
    assert (serious.disclosure_ends_on, serious.publicity_ends_on) == (date(2028, 6, 30), date(2026, 6, 30))
    ongoing = periods(HC, "HC-13-6-PENALTY", decided=date(2024, 3, 1))
    assert (ongoing.disclosure_ends_on, ongoing.publicity_ends_on) == (None, date(2025, 3, 1)), \
        "publicity runs from the decision even while the act goes on"
    short = periods(HC, "HC-13-6-PENALTY", decided=date(2024, 3, 1), act_ended=date(2019, 6, 1))
    assert (short.disclosure_ends_on, short.publicity_ends_on) == (date(2024, 6, 1), None), \
        "publicity never outlasts the disclosure itself"


def test_a_minor_penalty_is_never_shown_to_the_public():
    item = HC.item("HC-13-6-PENALTY")
    minor = dataclasses.replace(item, severity=Severity.MINOR, publicity_months=HC.severity_publicity_months[
        Severity.MINOR])
    got = record_periods(minor, HC, subject_kind=ORG, decided_on=date(2025, 5, 20), act_ended_on=date(2025, 5, 1),
                         valid_until=None, subject_ended_on=None)
    assert got.publicity_ends_on == date(2025, 5, 19) and got.disclosure_ends_on == date(2030, 5, 1)


@pytest.mark.parametrize("profile, code", [(HC, "HC-13-1-JUDGMENT-DEFAULT"), (HC, "HC-14-3-EXAM-CHEATING"),
                                           (HC, "HC-14-4-FALSIFICATION"), (XZ, "XZ-8-2-BENEFIT-FRAUD"),
                                           (XZ, "XZ-7-7-DISHONEST-DEBTOR"), (XZ, "XZ-7-12-OTHER-VIOLATION")])
def test_only_administrative_penalties_are_graded(profile, code):
    item = profile.item(code)
    assert item.administrative_decision is None and item.publicity_months is None
    kind = ORG if ORG in item.subject_kinds else PERSON
    assert periods(profile, code, kind, decided=date(2022, 1, 10), act_ended=date(2022, 1, 10)).publicity_ends_on \
        is None
    assert repairable_from(item, decided_on=date(2022, 1, 10)) is None


def test_repair_waits_for_the_minimum_publicity_from_the_decision():
    assert repairable_from(HC.item("HC-13-6-PENALTY"), decided_on=date(2024, 2, 29),
                           act_ended_on=date(2023, 1, 1)) == date(2024, 5, 29)
    assert repairable_from(XZ.item("XZ-7-8-TAX-VIOLATION"), decided_on=date(2024, 2, 29)) == date(2025, 2, 28)


def test_xinzheng_keeps_persons_bad_information_five_years_then_deletes_it():
    """XZ-20: 个人不良信息保存期限为5年 - counted from the archive (the end of disclosure)."""
    person = periods(XZ, "XZ-8-2-EXAM-CHEATING", PERSON, decided=date(2020, 8, 1), act_ended=date(2020, 7, 1))
    assert person == RecordPeriods(date(2025, 7, 1), None, date(2030, 7, 1))
    assert periods(XZ, "XZ-7-12-PENALTY", ORG, decided=date(2020, 8, 1),
                   act_ended=date(2020, 7, 1)).retained_until is None, "XZ-20 speaks of persons only"
    assert periods(XZ, "XZ-8-1-IDENTITY", PERSON, decided=date(2000, 1, 1),
                   subject_ended=date(2020, 1, 1)).retained_until is None, "bad information only"
    assert periods(HC, "HC-14-3-EXAM-CHEATING", PERSON, decided=date(2020, 8, 1),
                   act_ended=date(2020, 7, 1)).retained_until is None, "HC-19: archived and kept (转为档案保存)"


# ------------------------------------------------------------------ the profile check at load


def test_a_period_that_deviates_without_a_cited_source_is_refused(tmp_path):
    data = mutate("HC-14-3-EXAM-CHEATING", lambda i: i.update(disclosure={"rule": "YEARS_FROM_ACT_END", "years": 3}))
    fails(tmp_path, data, "catalogue item 'HC-14-3-EXAM-CHEATING'", "disclosure.years 3 deviates from the profile's 5",
          "HC-19(3)", "disclosure.source")
    cited = mutate("HC-14-3-EXAM-CHEATING", lambda i: i.update(disclosure={
        "rule": "YEARS_FROM_ACT_END", "years": 3, "source": "《国家教育考试违规处理办法》第十八条"}))
    item = load_profile(write(tmp_path, cited)).item("HC-14-3-EXAM-CHEATING")
    assert (item.disclosure.years, item.disclosure.source) == (3, "《国家教育考试违规处理办法》第十八条")
    basic = mutate("HC-10-1-REGISTRATION", lambda i: i.update(disclosure={"rule": "UNTIL_SUBJECT_ENDS",
                                                                           "years_after_termination": 10}))
    fails(tmp_path, basic, "disclosure.years_after_termination 10 deviates from the profile's 3")


@pytest.mark.parametrize("code, change, fragment", [
    ("HC-14-3-EXAM-CHEATING", lambda i: i.update(publicity_months={"min": 3, "max": 12}),
     "publicity_months grade the publicity of administrative penalties only"),
    ("HC-13-6-PENALTY", lambda i: i.update(publicity_months={"min": 1, "max": 6}),
     "publicity_months 1-6 deviate from the GENERAL grade 3-12: cite the rule"),
    ("HC-13-1-JUDGMENT-DEFAULT", lambda i: i.update(submission={"methods": ["API"], "deadline_from": "DECISION"}),
     "deadline_from DECISION (7 working days from the decision) is for administrative licensing and penalty "
     "decisions only (XZ-12(2))"),
    ("HC-13-6-PENALTY", lambda i: i.update(submission={"methods": ["API"], "deadline_from": "PERIOD_END"}),
     "an administrative penalty decision is due within 7 working days of the decision (XZ-12(2))"),
    ("HC-14-3-EXAM-CHEATING", lambda i: i.update(submission={"methods": ["API"], "deadline_from": "PERIOD_END",
                                                             "frequency": "PER_DECISION"}),
     "submission.frequency PER_DECISION does not fit deadline_from PERIOD_END"),
    ("HC-12-1-HONOUR", lambda i: i.update(administrative_decision="PENALTY"),
     "an administrative penalty is bad information"),
    ("HC-13-6-PENALTY", lambda i: i.update(severity=None), "an administrative penalty needs a severity"),
])
def test_the_profile_check_refuses(tmp_path, code, change, fragment):
    fails(tmp_path, mutate(code, change), f"catalogue item {code!r}", fragment)


def test_a_cited_publicity_period_loads(tmp_path):
    data = mutate("HC-13-6-PENALTY", lambda i: i.update(publicity_months={"min": 1, "max": 6},
                                                        publicity_source="某规章第十条"))
    item = load_profile(write(tmp_path, data)).item("HC-13-6-PENALTY")
    assert (item.publicity_months.max_months, item.publicity_source) == (6, "某规章第十条")
    assert "国家发展改革委" in HC.item("HC-13-6-PENALTY").publicity_source, "the profile's source, cited per item"
    assert item_of(data, "HC-13-6-PENALTY")["severity"] == "GENERAL"


# ------------------------------------------------------------------ XZ-12 deadlines per item scope

DECISION_ITEMS = {
    "huancui": {"HC-10-1-REGISTRATION", "HC-10-2-LICENCE", "HC-11-3-LICENCE", "HC-13-2-TAX-VIOLATION",
                "HC-13-6-PENALTY", "HC-13-9-INDUSTRY-BAN"},
    "xinzheng": {"XZ-7-1-REGISTRATION", "XZ-7-2-BRANCH", "XZ-7-4-LICENCE", "XZ-8-2-LICENCE", "XZ-7-8-TAX-VIOLATION",
                 "XZ-7-12-PENALTY"},
}


@pytest.mark.parametrize("profile", [HC, XZ], ids=["huancui", "xinzheng"])
def test_seven_working_days_only_for_licensing_and_penalty_decisions(profile):
    on_decision = {c for c, i in profile.items.items() if i.submission.deadline_from is DeadlineFrom.DECISION}
    assert on_decision == DECISION_ITEMS[profile.code]
    for item in profile.items.values():
        rule = item.submission
        if item.code in on_decision:
            assert item.administrative_decision is not None
            assert (rule.deadline_working_days, rule.frequency) == (7, CollectionPeriod.PER_DECISION)
        else:
            assert (rule.deadline_working_days, item.administrative_decision) == (10, None), item.code
            assert rule.frequency is not CollectionPeriod.PER_DECISION
        if item.family is RecordFamily.JUDGMENT:
            assert item.code not in on_decision, "court judgments are no administrative decisions"
    penalties = {c for c, i in profile.items.items() if i.administrative_decision is AdministrativeDecision.PENALTY}
    assert penalties == {c for c, i in profile.items.items() if i.publicity_months is not None}


def test_period_ends():
    assert period_end(date(2026, 2, 10), CollectionPeriod.MONTH) == date(2026, 2, 28)
    assert period_end(date(2026, 5, 10), CollectionPeriod.QUARTER) == date(2026, 6, 30)
    assert period_end(date(2026, 10, 1), CollectionPeriod.QUARTER) == date(2026, 12, 31)
    assert period_end(date(2026, 5, 10), CollectionPeriod.HALF_YEAR) == date(2026, 6, 30)
    assert period_end(date(2026, 8, 1), CollectionPeriod.HALF_YEAR) == date(2026, 12, 31)
    assert period_end(date(2026, 3, 10), CollectionPeriod.YEAR) == date(2026, 12, 31)


@pytest.mark.parametrize("code, decided, due, provisional", [
    # a penalty: 7 working days from the decision, across National Day (2026-10-01..07, Saturday 10-10 worked)
    ("XZ-7-12-PENALTY", date(2026, 9, 30), date(2026, 10, 15), False),
    # a court judgment: collected monthly, 10 working days after September ends
    ("XZ-7-7-JUDGMENT", date(2026, 9, 15), date(2026, 10, 20), False),
    # a rating: collected yearly, 10 working days after the year ends, in a year nobody has published yet
    # (元旦 2027-01-01 is statutory: 1/4 … 1/8, 1/11 … 1/15)
    ("XZ-7-16-RATING", date(2026, 3, 10), date(2027, 1, 15), True),
])
def test_xz12_deadline_per_item_scope(code, decided, due, provisional):
    item = XZ.item(code)
    facts = derive_facts(item, XZ, WorkingDayCalendar.shipped(), subject_kind=ORG, subject_ended_on=None,
                         decided_on=decided, act_ended_on=None, valid_until=None, submitted_on=decided)
    assert (facts.deadline_on, facts.deadline_provisional) == (due, provisional)
    assert due.month == 10 or due.year == 2027
    assert facts.late_working_days == 0
