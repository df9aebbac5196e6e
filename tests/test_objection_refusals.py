"""Every objection action refused for every wrong actor and in every wrong state, both profiles
(SPEC 3.4; HC-29, XZ-22..23), through HTTP. The matrix follows the profile's transition table
(domain/workflows.objection_workflow): a step's own party is the one the table names, its right
states the table's `from_state`s; what is asserted is what the caller sees (FORBIDDEN, or the
payload's `errors { code field message }`), the case as it was, and nothing written (no case,
event, notification or submission-log entry).
"""

from __future__ import annotations

import datetime as dt

import pytest

from domain.enums import CaseKind, CaseParty
from domain.workflows import OBJECTION_FORMS, is_open
from tests.conftest import graphql, make_token
from tests.objection_steps import (CALLS, SAME_CALL, case_in, on, own_token, penalty, profile_engine, subject_token,
                                   table, take)
from tests.test_cases import AUDITOR, OPERATOR, SCJG, ZJJ, forbidden, submit, writes
from tests.test_objections import FILE

PROFILES = ("huancui", "xinzheng")
DAY = dt.date(2026, 11, 2)


@pytest.fixture(scope="module")
async def engines(backend, tmp_path_factory):
    made = {p: await profile_engine(backend, tmp_path_factory, f"objection_refusals_{p[:2]}", p) for p in PROFILES}
    yield made
    for engine in made.values():
        await engine.dispose()


def tokens(profile: str, serial: int) -> dict[str, str | None]:
    """Everyone who might try, by who they are to the record of `serial`'s subject (SCJG provides it)."""
    return {"the public": None, "the subject": subject_token(profile, serial),
            "another subject": subject_token(profile, serial + 500), "the provider": SCJG,
            "another department's officer": ZJJ, "the centre's operator": OPERATOR, "an auditor": AUDITOR,
            "a grantee without a grant for the record": make_token(user=f"qx-agent-{serial}")}


PARTY_NAMES = {CaseParty.SUBJECT: "the subject", CaseParty.CENTRE: "the centre's operator",
               CaseParty.PROVIDER: "the provider"}


def step_of(name: str):
    """A step of either profile's table by name (its party is the same in both)."""
    return next(s for w in OBJECTION_FORMS for s in w.steps if s.name == name)


@pytest.mark.parametrize("profile", PROFILES)
async def test_filing_is_refused_for_everyone_but_the_subject_its_grantee_and_the_centre(engines, profile):
    engine, serial = engines[profile], 1
    async with on(engine, DAY, profile) as client:
        record_id = await submit(client, penalty(profile, serial), SCJG)
        before = await writes(engine)
        wrong = {name: token for name, token in tokens(profile, serial).items()
                 if name not in ("the subject", "the centre's operator")}
        for name, token in wrong.items():
            body = await graphql(client, FILE, {"i": {"recordId": record_id, "ground": "ERROR_OR_OMISSION",
                                                      "statement": "错"}}, token=token)
            assert forbidden(body), (name, body)
        assert await writes(engine) == before


def later_steps(profile: str) -> list[str]:
    """Each step name of the table but the filing, once."""
    return list(dict.fromkeys(s.name for s in table(profile).steps if s.from_state is not None))


@pytest.mark.parametrize("profile", PROFILES)
async def test_each_step_is_refused_for_every_actor_but_its_own_party(engines, profile):
    engine = engines[profile]
    workflow, cases, serial = table(profile), {}, 10
    async with on(engine, DAY, profile) as client:
        for name in later_steps(profile):
            state = next(s.from_state for s in workflow.steps if s.name == name)
            if state not in cases:
                serial += 1
                cases[state] = (serial, (await case_in(client, profile, serial, state))[1])
            owner, case = cases[state]
            everyone = tokens(profile, owner)
            before = await writes(engine)
            for who, token in everyone.items():
                if who == PARTY_NAMES[workflow.step(name).actor]:
                    continue
                assert forbidden(await take(client, name, case["id"], token)), (profile, name, who)
            assert await writes(engine) == before, name
            # the case is as it was: its own party may still take the step
            done = await take(client, name, case["id"], own_token(workflow.step(name), profile, owner))
            assert done["errors"] == [], (name, done)
            cases.pop(state)


ALL_CALLS = tuple(CALLS)


@pytest.mark.parametrize("profile", PROFILES)
async def test_each_step_is_refused_in_every_state_it_does_not_start_from(engines, profile):
    engine = engines[profile]
    workflow = table(profile)
    names = {s.name for s in workflow.steps}
    async with on(engine, DAY, profile) as client:
        for serial, state in enumerate(workflow.states, start=100):
            record_id, case = await case_in(client, profile, serial, state)
            before = await writes(engine)
            for call in ALL_CALLS:
                taken_by = SAME_CALL.get(call, (call,))
                if not names & set(taken_by):
                    refused = await take(client, call, case["id"], own_token(step_of(call), profile, serial))
                    assert refused["case"] is None and refused["errors"][0]["field"] is None, (call, refused)
                    assert refused["errors"][0]["message"].startswith(
                        f"the objection workflow of this deployment ({workflow.article}) has no step"), refused
                    continue
                starts = {s.from_state for s in workflow.steps if s.name in taken_by}
                if state in starts:
                    continue
                refused = await take(client, call, case["id"], own_token(workflow.step(call), profile, serial))
                code = "INVALID" if is_open(CaseKind.OBJECTION, state) else "ALREADY_REVOKED"
                assert [(e["code"], e["field"]) for e in refused["errors"]] == [(code, "caseId")], (state, call)
                assert f"is {state}" in refused["errors"][0]["message"]
                assert refused["case"]["state"] == state
            assert await writes(engine) == before, state
