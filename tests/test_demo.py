"""The demo data set (store/demo.py): deterministic, valid against the catalogue, covering every
item, class and lifecycle state, and fast enough to load on first start (SPEC 5)."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.catalogue import load_profile
from domain.enums import Category, RecordFamily, SubjectKind, Visibility
from domain.identifiers import validate_subject_code
from domain.record_facts import derive_facts
from domain.working_days import WorkingDayCalendar
from store.bootstrap import initialise
from store.demo import OBJECTION_TEXT, REFERENCE_DATE, SUBMITTED_BY, build_demo_data, load_demo_data
from store.engine import create_engine
from store.models import Annotation, Case, Notification, Record, RecordEvent, RecordTombstone, RecordVersion, Subject

PROFILES = ["huancui", "xinzheng"]
SMALL = {"subjects": 200, "records": 2000}


async def _fresh(tmp_path, profile: str, name: str = "d.sqlite3"):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / name}")
    await initialise(engine, profile)
    return engine


async def _rows(engine, table) -> list[dict]:
    async with engine.connect() as connection:
        result = await connection.execute(select(table))
        return [dict(row._mapping) for row in result]


@pytest.fixture(scope="module", params=PROFILES)
async def loaded(request, tmp_path_factory):
    """One small demo database per profile, shared by the read-only tests below."""
    profile = request.param
    engine = await _fresh(tmp_path_factory.mktemp(f"demo-{profile}"), profile)
    counts = await load_demo_data(engine, profile, **SMALL)
    data = {
        "profile": load_profile(profile),
        "counts": counts,
        "subjects": await _rows(engine, Subject.__table__),
        "records": await _rows(engine, Record.__table__),
        "annotations": await _rows(engine, Annotation.__table__),
        "cases": await _rows(engine, Case.__table__),
        "events": await _rows(engine, RecordEvent.__table__),
        "tombstones": await _rows(engine, RecordTombstone.__table__),
        "notifications": await _rows(engine, Notification.__table__),
    }
    yield data
    await engine.dispose()


async def test_counts_match_the_rows(loaded):
    counts = loaded["counts"]
    assert counts["subjects"] == len(loaded["subjects"]) == SMALL["subjects"]
    assert counts["records"] == len(loaded["records"])
    assert counts["tombstones"] == len(loaded["tombstones"]) > 0 and counts["cases"] == len(loaded["cases"])
    assert len(loaded["records"]) + len(loaded["tombstones"]) == SMALL["records"]  # deleted ones leave a tombstone
    assert counts["annotations"] == len(loaded["annotations"]) > 0
    statuses = Counter(r["status"] for r in loaded["records"])
    for status in ("active", "archived", "revoked", "repaired", "suspended", "deleted"):
        assert counts[status] == statuses.get(status.upper(), 0)
    kinds = Counter(s["kind"] for s in loaded["subjects"])
    assert counts["persons"] == kinds["NATURAL_PERSON"] == 80  # 40 % of 200
    assert counts["organisations"] == kinds["ORGANISATION"] == 120


async def test_every_catalogue_item_gets_records(loaded):
    profile = loaded["profile"]
    per_item = Counter(r["catalogue_item_code"] for r in loaded["records"])
    assert set(per_item) == set(profile.items)
    assert min(per_item.values()) >= 5, per_item


async def test_records_fit_their_item(loaded):
    """Kind of subject, provider and channel as the catalogue allows; content valid for the item."""
    profile = loaded["profile"]
    kinds = {s["code"]: SubjectKind(s["kind"]) for s in loaded["subjects"]}
    for record in loaded["records"]:
        item = profile.items[record["catalogue_item_code"]]
        assert kinds[record["subject_code"]] in item.subject_kinds
        assert record["provider_code"] in item.providers
        assert record["issuing_authority"] == profile.departments[record["provider_code"]].name
        assert record["channel"] in {m.value for m in item.submission.methods}
        assert (record["category"], record["family"]) == (item.category.value, item.family.value)
        problems, _ = item.validate_content(record["content"], consent_ref=record["consent_ref"])
        assert not problems, (record["catalogue_item_code"], problems, record["content"])
        assert record["submitted_by"] == SUBMITTED_BY


async def test_all_four_visibility_classes_occur(loaded):
    classes = Counter(r["visibility"] for r in loaded["records"])
    assert set(classes) == {v.value for v in Visibility}, classes


async def test_facts_are_those_derive_facts_gives(loaded):
    """Visibility, severity, periods (disclosure, publicity, retention), deadline and lateness: the same rules
    as submissions."""
    profile, calendar = loaded["profile"], WorkingDayCalendar.shipped()
    subjects = {s["code"]: s for s in loaded["subjects"]}
    for record in loaded["records"]:
        subject = subjects[record["subject_code"]]
        facts = derive_facts(profile.items[record["catalogue_item_code"]], profile, calendar,
                             subject_kind=SubjectKind(subject["kind"]), subject_ended_on=subject["ended_on"],
                             decided_on=record["decided_on"], act_ended_on=record["act_ended_on"],
                             valid_until=record["valid_until"], submitted_on=_china_day(record["submitted_at"]))
        assert (record["visibility"], record["severity"], record["disclosure_ends_on"], record["publicity_ends_on"],
                record["retained_until"], record["deadline_on"], record["deadline_provisional"],
                record["late_working_days"]) == (
            facts.visibility, facts.severity, facts.disclosure_ends_on, facts.publicity_ends_on, facts.retained_until,
            facts.deadline_on, facts.deadline_provisional, facts.late_working_days)


def _china_day(moment):
    """submitted_at is stored in UTC (SQLite returns it naive); the working day is China's."""
    return (moment.replace(tzinfo=None) + timedelta(hours=8)).date()


async def test_dates_are_coherent(loaded):
    for record in loaded["records"]:
        decided = record["decided_on"]
        assert record["decided_on"] <= REFERENCE_DATE
        assert decided <= _china_day(record["submitted_at"]) <= REFERENCE_DATE
        if record["category"] == Category.BAD.value and record["act_ended_on"] is None:
            # an ongoing act (HC-19(3)): unpaid arrears, an unperformed judgment; live until its end is reported
            assert record["family"] in (RecordFamily.ARREARS.value, RecordFamily.JUDGMENT.value), record
            assert record["disclosure_ends_on"] is None and record["status"] != "ARCHIVED"
        elif record["category"] == Category.BAD.value:
            assert decided <= record["act_ended_on"] < REFERENCE_DATE
        else:
            assert record["act_ended_on"] is None
        if record["valid_until"] is not None:
            assert record["valid_from"] == decided < record["valid_until"]
    licences = [r for r in loaded["records"] if r["family"] == RecordFamily.LICENCE.value]
    assert sum(r["valid_until"] is not None for r in licences) > len(licences) / 2
    assert any(r["valid_until"] < REFERENCE_DATE for r in licences if r["valid_until"])  # some expired


async def test_archived_records_are_those_past_their_period(loaded):
    records = loaded["records"]
    archived = [r for r in records if r["status"] == "ARCHIVED"]
    assert len(archived) > len(records) * 0.1
    for record in archived:
        assert record["disclosure_ends_on"] < REFERENCE_DATE
        assert record["status_changed_on"] == record["disclosure_ends_on"] + timedelta(days=1)
    for record in records:
        if record["status"] != "ARCHIVED":
            assert record["disclosure_ends_on"] is None or record["disclosure_ends_on"] >= REFERENCE_DATE
    bad_archived = [r for r in archived if r["category"] == "BAD"]
    assert any(r["act_ended_on"].year < 2021 for r in bad_archived)
    assert {r["category"] for r in archived} == {"BASIC", "GOOD", "BAD"}  # deceased / expired / old
    statuses = Counter(r["status"] for r in records)
    assert statuses["ACTIVE"] > len(records) / 2


async def test_other_lifecycle_states_occur_where_they_apply(loaded):
    profile, records = loaded["profile"], loaded["records"]
    statuses = Counter(r["status"] for r in records)
    assert statuses["REPAIRED"] and not statuses["DELETED"], statuses  # deleted: tombstones
    # revocations: some still open (REVOKED, awaiting the centre), unless XZ-20's deletion came first
    assert {c["kind"] for c in loaded["cases"]} >= {"REVOCATION", "REPAIR", "HONOUR_DELETION"}
    for record in records:
        if record["status"] in ("REVOKED", "REPAIRED"):
            assert record["category"] == "BAD"
        if record["status"] == "DELETED":  # honours only (HC-33)
            assert record["family"] == RecordFamily.HONOUR.value
        if record["status"] == "ACTIVE":
            assert record["status_changed_on"] is None
        elif record["status"] != "ARCHIVED":  # archived ones: see the test above
            assert _china_day(record["submitted_at"]) < record["status_changed_on"] < REFERENCE_DATE
    assert not statuses["SUSPENDED"]


async def test_revoked_repaired_and_deleted_records_come_from_their_cases(loaded):
    """Issue 15: no status is set directly; each REVOKED or REPAIRED record has the case that set it,
    each deleted record a closed case and a tombstone, and every case its dated steps."""
    records = {r["id"]: r for r in loaded["records"]}
    tombstones = {t["record_id"]: t for t in loaded["tombstones"]}
    cases = {c["record_id"]: c for c in loaded["cases"]}
    steps = Counter(e["case_id"] for e in loaded["events"])
    assert len(cases) == len(loaded["cases"])  # one case per record
    for record in records.values():
        if record["status"] in ("REVOKED", "REPAIRED"):
            case = cases[record["id"]]
            assert (case["kind"], case["state"]) == {"REVOKED": ("REVOCATION", "REPORTED"),
                                                    "REPAIRED": ("REPAIR", "REPAIRED")}[record["status"]]
            assert case["opened_on"] == record["status_changed_on"]
    for record_id, tombstone in tombstones.items():
        case = cases[record_id]
        assert record_id not in records and case["closed_at"] is not None
        assert (case["kind"], case["state"], tombstone["reason"]) in {("REVOCATION", "REVOKED", "REVOKED"),
                                                                      ("HONOUR_DELETION", "DELETED", "HONOUR_DELETED")}
        assert tombstone["effective_on"] <= case["due_on"] < REFERENCE_DATE
    kinds = Counter((c["kind"], c["state"]) for c in loaded["cases"])
    assert kinds[("REVOCATION", "REVOKED")] and kinds[("HONOUR_DELETION", "DELETED")], kinds
    assert all(steps[c["id"]] >= 1 for c in loaded["cases"])
    deleted_events = [e for e in loaded["events"] if e["record_id"] in tombstones]
    assert deleted_events and all(e["before"] == {} == e["after"] for e in deleted_events)
    open_honours = [c for c in loaded["cases"] if c["state"] == "REQUESTED"]
    assert all(records[c["record_id"]]["status"] == "ACTIVE" for c in open_honours)  # none, in a small set, is fine
    assert {n["recipient_party"] for n in loaded["notifications"]} == {"SUBJECT", "PROVIDER", "CENTRE"}


async def test_late_submissions_are_flagged(loaded):
    records = loaded["records"]
    late = [r for r in records if r["late_working_days"] > 0]
    assert 0.04 * len(records) < len(late) < 0.12 * len(records)
    for record in late:
        assert _china_day(record["submitted_at"]) > record["deadline_on"]
    assert {r["channel"] for r in records} == {"API", "BATCH", "MANUAL"}


async def test_subject_codes_are_valid_and_unique(loaded):
    subjects = loaded["subjects"]
    assert subjects and len({s["code"] for s in subjects}) == len(subjects)
    for subject in subjects:
        kind = SubjectKind(subject["kind"])
        assert validate_subject_code(subject["code"], kind, today=REFERENCE_DATE) == (subject["code"], kind)
        # and without the kind, as a submission or a look-up judges it: by its structure (issue 11)
        assert validate_subject_code(subject["code"], today=REFERENCE_DATE) == (subject["code"], kind)
        if kind is SubjectKind.NATURAL_PERSON:
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", subject["name"]), subject["name"]
            assert subject["status"] in ("ACTIVE", "DECEASED")
            assert 1950 <= int(subject["code"][6:10]) <= 2004
        else:
            assert subject["code"][:2] in {"91", "92", "93", "12", "51", "52", "N2", "Y1"}, subject["code"]
            assert subject["status"] in ("ACTIVE", "TERMINATED")
        assert (subject["ended_on"] is None) == (subject["status"] == "ACTIVE")
    area = "371" if loaded["profile"].code == "huancui" else "410"
    assert all(s["code"][2:5] == area or s["code"][:3] == area for s in subjects)
    assert any(s["status"] == "TERMINATED" for s in subjects) and any(s["status"] == "DECEASED" for s in subjects)


async def test_document_numbers_are_unique_and_look_official(loaded):
    records = loaded["records"]
    keys = [(r["provider_code"], r["catalogue_item_code"], r["document_number"]) for r in records]
    assert len(set(keys)) == len(keys)
    official = re.compile(r"[环新][\u4e00-\u9fff]{1,6}〔20\d\d〕\d+号|（20\d\d）[鲁豫]\d{4}[\u4e00-\u9fff]{1,2}\d+号")
    for record in records:
        assert official.fullmatch(record["document_number"]), record["document_number"]


async def test_no_record_has_changed_yet(loaded):
    """Demo records are as submitted: each is its own version 1, with no version rows stored."""
    assert loaded["records"] and all(r["version"] == 1 for r in loaded["records"])


async def test_open_objections_are_annotated(loaded):
    records = {r["id"]: r for r in loaded["records"]}
    for annotation in loaded["annotations"]:
        assert (annotation["kind"], annotation["text"], annotation["closed_at"]) == (
            "OBJECTION_OPEN", OBJECTION_TEXT, None)
        assert records[annotation["record_id"]]["status"] == "ACTIVE"
    assert not any(r["status"] == "SUSPENDED" for r in records.values()), \
        "withholding is decided from the objection's case at read time, never set as a status"


@pytest.mark.parametrize("profile", PROFILES)
async def test_same_seed_gives_identical_rows(tmp_path, profile):
    first, second = await _fresh(tmp_path, profile, "a.sqlite3"), await _fresh(tmp_path, profile, "b.sqlite3")
    try:
        assert await load_demo_data(first, profile, seed=7, **SMALL) == await load_demo_data(
            second, profile, seed=7, **SMALL)
        for table in (Subject.__table__, Record.__table__, Annotation.__table__):
            # `updated_at` of the records the loading sweep archived is when it ran: not generated data
            rows_a = sorted(_key_tuple(_generated(r)) for r in await _rows(first, table))
            rows_b = sorted(_key_tuple(_generated(r)) for r in await _rows(second, table))
            assert rows_a == rows_b, table.name
        assert sorted(r["code"] for r in await _rows(first, Subject.__table__)) != sorted(
            s["code"] for s in build_demo_data(load_profile(profile), seed=8, **SMALL).subjects)
    finally:
        await first.dispose()
        await second.dispose()


def _generated(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "updated_at"}


def _key_tuple(row: dict) -> tuple:
    """The row without database-assigned ids of versions and annotations, as comparable pairs."""
    return tuple(sorted((k, repr(v)) for k, v in row.items() if not (k == "id" and "record_id" in row)))


async def test_a_second_load_adds_without_collisions(tmp_path):
    """`load-demo --force`: codes, document numbers and ids stay unique against what is there."""
    engine = await _fresh(tmp_path, "huancui")
    try:
        await load_demo_data(engine, "huancui", subjects=50, records=400)
        counts = await load_demo_data(engine, "huancui", subjects=50, records=400)
        assert counts["records"] + counts["tombstones"] == 400
        async with engine.connect() as connection:
            assert (await connection.execute(select(func.count()).select_from(Subject))).scalar() == 100
            stored = (await connection.execute(select(func.count()).select_from(Record))).scalar()
            kept = (await connection.execute(select(func.count()).select_from(RecordTombstone))).scalar()
            assert stored + kept == 800 and (await connection.execute(select(func.max(Record.id)))).scalar() == 800
    finally:
        await engine.dispose()


async def test_full_default_size_loads_in_seconds(tmp_path):
    engine = await _fresh(tmp_path, "huancui")
    try:
        started = time.perf_counter()
        counts = await load_demo_data(engine, "huancui")
        elapsed = time.perf_counter() - started
        print(f"\nfull demo load (2,000 subjects, 20,000 records) on SQLite: {elapsed:.1f} s; {counts}")
        assert counts["subjects"] == 2000 and counts["records"] + counts["tombstones"] == 20000
        async with engine.connect() as connection:
            for model, expected in ((Subject, 2000), (Record, counts["records"]), (RecordVersion, 0),
                                    (Annotation, counts["annotations"])):
                assert (await connection.execute(select(func.count()).select_from(model))).scalar() == expected
        assert elapsed < 60
    finally:
        await engine.dispose()
