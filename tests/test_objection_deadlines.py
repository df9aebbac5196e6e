"""Objection deadlines in working days (SPEC 3.4; HC-29, XZ-23), both profiles, through HTTP: the
centre's 3, the provider's 15 and Xinzheng's 2-day written notice, counted from the day of the step
(not counted), across National Day 2026 (1-7 October off, Saturday 10 October worked: 调休) and
into 2027, a year whose schedule is unpublished: counted on weekdays less the statutory holidays
(元旦 1 January, 春节 5-8 February) and shown provisional on the case (`dueProvisional`). Each
step's clock is frozen on its day (create_app(today=...)). On databases of this module's own, so
no other test's 2027 schedule changes the count.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import graphql
from tests.objection_steps import file, on, own_token, penalty, profile_engine, table, take
from tests.test_cases import OPERATOR, SCJG, submit
from tests.test_objections import OVERDUE

D = dt.date


@pytest.fixture(scope="module")
async def engines(backend, tmp_path_factory):
    made = {p: await profile_engine(backend, tmp_path_factory, f"objection_deadlines_{p[:2]}", p)
            for p in ("huancui", "xinzheng")}
    yield made
    for engine in made.values():
        await engine.dispose()


async def run(engine, profile: str, serial: int, days: list[tuple[D, str | None]]) -> list[dict]:
    """File on the first day, then take each named step on its day; the case after each."""
    seen = []
    filed_on = days[0][0]
    async with on(engine, filed_on, profile) as client:
        record_id = await submit(client, penalty(profile, serial, "2026-09-01"), SCJG)
        case = (await file(client, record_id, profile, serial))["case"]
        seen.append(case)
    for day, step in days[1:]:
        async with on(engine, day, profile) as client:
            done = await take(client, step, case["id"], own_token(table(profile).step(step), profile, serial))
            assert done["errors"] == [], (step, day, done)
            seen.append(done["case"])
    return seen


def due(cases: list[dict]) -> list[tuple[str, str, str, bool]]:
    return [(c["state"], c["nextParty"], c["dueOn"], c["dueProvisional"]) for c in cases]


async def test_huancui_3_and_15_working_days_across_national_day_2026(engines):
    # filed Tuesday 29 September: 30 September, then 8 and 9 October (1-7 off)
    # compared on 30 September: 8, 9, Saturday 10 (调休), 12-16, 19-23, 26, 27 October
    assert due(await run(engines["huancui"], "huancui", 1, [(D(2026, 9, 29), None), (D(2026, 9, 30), "same")])) == [
        ("FILED", "CENTRE", "2026-10-09", False), ("FORWARDED", "PROVIDER", "2026-10-27", False)]


async def test_huancui_deadlines_into_2027_are_provisional(engines):
    engine = engines["huancui"]
    # filed Tuesday 29 December: 30, 31 December, then (1 January off, a weekend) Monday 4 January 2027
    assert due(await run(engine, "huancui", 2, [(D(2026, 12, 29), None)])) == [
        ("FILED", "CENTRE", "2027-01-04", True)]
    # compared Tuesday 22 December: 7 working days left in 2026, then 4-8 and 11-13 January
    assert due(await run(engine, "huancui", 3, [(D(2026, 12, 21), None), (D(2026, 12, 22), "same")]))[-1] == (
        "FORWARDED", "PROVIDER", "2027-01-13", True)
    # compared Friday 29 January 2027, across 春节 (5-8 February, from 除夕): 1-4, 9-12, 15-19, 22, 23 February
    assert due(await run(engine, "huancui", 4, [(D(2027, 1, 27), None), (D(2027, 1, 29), "same")]))[-1] == (
        "FORWARDED", "PROVIDER", "2027-02-23", True)


async def test_a_provisional_day_missed_is_overdue_for_the_centre(engines):
    engine = engines["huancui"]
    case = (await run(engine, "huancui", 5, [(D(2026, 12, 29), None)]))[0]
    for today, late in ((D(2027, 1, 4), False), (D(2027, 1, 5), True)):
        async with on(engine, today, "huancui") as client:
            groups = (await graphql(client, OVERDUE, token=OPERATOR))["data"]["overdueObjections"]
            listed = [g for g in groups if case["number"] in g["caseNumbers"]]
            assert (listed != []) is late, today
            if late:
                assert (listed[0]["department"], listed[0]["party"]) == ("XYZX", "CENTRE")


async def test_xinzheng_3_15_and_the_2_day_notice_across_national_day_2026(engines):
    engine = engines["xinzheng"]
    steps = await run(engine, "xinzheng", 1, [(D(2026, 9, 29), None), (D(2026, 9, 30), "forward"),
                                               (D(2026, 9, 30), "reject")])
    assert due(steps) == [("FILED", "CENTRE", "2026-10-09", False), ("FORWARDED", "PROVIDER", "2026-10-27", False),
                          # the result received 30 September: 8 and 9 October
                          ("VERIFIED_REJECTED", "CENTRE", "2026-10-09", False)]
    # received Friday 9 October: Saturday 10 October is worked (调休), then Monday 12
    steps = await run(engine, "xinzheng", 2, [(D(2026, 10, 8), None), (D(2026, 10, 8), "forward"),
                                               (D(2026, 10, 9), "uphold")])
    assert due(steps)[-1] == ("VERIFIED_UPHELD", "CENTRE", "2026-10-12", False)


async def test_xinzheng_deadlines_into_2027_are_provisional(engines):
    engine = engines["xinzheng"]
    steps = await run(engine, "xinzheng", 3, [(D(2026, 12, 29), None), (D(2026, 12, 30), "forward"),
                                               (D(2026, 12, 31), "reject")])
    assert due(steps) == [("FILED", "CENTRE", "2027-01-04", True),
                          # forwarded 30 December: 31 December, then 4-8, 11-15, 18-21 January
                          ("FORWARDED", "PROVIDER", "2027-01-21", True),
                          # the result received Thursday 31 December: Monday 4 and Tuesday 5 January
                          ("VERIFIED_REJECTED", "CENTRE", "2027-01-05", True)]
    # received Wednesday 3 February 2027: Thursday 4, then (5-8 off) Tuesday 9 February
    steps = await run(engine, "xinzheng", 4, [(D(2027, 2, 1), None), (D(2027, 2, 1), "forward"),
                                               (D(2027, 2, 3), "uphold")])
    assert due(steps)[-1] == ("VERIFIED_UPHELD", "CENTRE", "2027-02-09", True)
    # the letter on its (provisional) day closes the case in time
    async with on(engine, D(2027, 2, 9), "xinzheng") as client:
        done = (await take(client, "notify_upheld", steps[-1]["id"], OPERATOR))["case"]
        assert (done["state"], done["overdue"]) == ("UPHELD", False)


async def test_publishing_2027_counts_the_open_cases_provisional_days_again(backend, tmp_path_factory):
    """Adding the year's schedule (calendar-add) recounts open cases' days as it does records'; on a
    database of its own, since the other tests here count 2027 unpublished."""
    from resolvers.calendar_years import add_calendar_year
    from tests.test_working_days import HYPOTHETICAL_2027  # 1-3 January off, Saturday 9 January worked

    engine = await profile_engine(backend, tmp_path_factory, "objection_deadlines_2027", "xinzheng")
    try:
        forwarded = (await run(engine, "xinzheng", 1, [(D(2026, 12, 21), None), (D(2026, 12, 22), "forward")]))[-1]
        verified = (await run(engine, "xinzheng", 2, [(D(2026, 12, 21), None), (D(2026, 12, 21), "forward"),
                                                       (D(2026, 12, 31), "reject")]))[-1]
        closed = (await run(engine, "xinzheng", 3, [(D(2026, 12, 29), None), (D(2026, 12, 29), "withdraw")]))[-1]
        assert [due([c])[0][2:] for c in (forwarded, verified)] == [("2027-01-13", True), ("2027-01-05", True)]
        change = await add_calendar_year(engine, HYPOTHETICAL_2027, "2027.yaml", user="ob-calendar")
        assert change.recounted == 2  # the two open cases; the withdrawn one keeps what it had
        async with on(engine, D(2027, 1, 4), "xinzheng") as client:
            cases = (await graphql(client, "{ cases(first: 10) { edges { node { number dueOn dueProvisional } } } }",
                                   token=OPERATOR))["data"]["cases"]["edges"]
        now = {c["node"]["number"]: (c["node"]["dueOn"], c["node"]["dueProvisional"]) for c in cases}
        # 15 working days from 22 December now count Saturday 9 January: Tuesday 12 January, certain
        assert now[forwarded["number"]] == ("2027-01-12", False)
        assert now[verified["number"]] == ("2027-01-05", False)
        assert now[closed["number"]] == ("2027-01-04", True)
    finally:
        await engine.dispose()
