"""A small, exactly known data set for tests that assert which records come back.

Items are chosen from the huancui profile by class and subject kind (not by code), so the
world follows the catalogue file. Every record is built through `derive_facts`, like real ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import CatalogueItem, FieldSpec, JurisdictionProfile, load_profile
from domain.enums import Category, RecordStatus, SubjectKind, Visibility
from domain.identifiers import credit_code_check_char, organisation_code_check_char, resident_id_check_char
from domain.record_facts import derive_facts
from domain.working_days import WorkingDayCalendar
from store.models import Record, Subject

TODAY = dt.date(2026, 11, 20)


def person_code(serial: int) -> str:
    body = f"371002198{serial % 10}0101{serial % 1000:03d}"
    return body + resident_id_check_char(body)


def org_code(serial: int, series: str = "MA") -> str:
    """Organisation `serial` (0-999999) of a series of test subjects; each module that writes subjects
    of its own has its series (MA: this world), so that they never meet in a shared database.

    An enterprise (9, 1) registered in Huancui (371002), its organisation code the series, the
    serial and the GB 11714 check character: valid under every GB 32100 rule."""
    organisation = f"{series}{serial:06d}"
    body = f"91371002{organisation}{organisation_code_check_char(organisation)}"
    return body + credit_code_check_char(body)


ORG_A = org_code(1)
ORG_B = org_code(2)
PERSON_P = person_code(101)
PERSON_Q = person_code(102)
BULK_ORGS = [org_code(1000 + i) for i in range(120)]


def sample_value(spec: FieldSpec, serial: int):
    if spec.type == "date":
        return "2024-03-01"
    if spec.type in ("integer",):
        return serial
    if spec.type == "decimal":
        return "1200.50"
    if spec.type == "boolean":
        return True
    if spec.type == "enum":
        return spec.values[0]
    return f"{spec.label}{serial}"


def sample_content(item: CatalogueItem, serial: int) -> dict:
    return {f.name: sample_value(f, serial) for f in item.fields if not f.requires_consent}


@dataclass
class World:
    profile: JurisdictionProfile
    records: dict[str, int] = field(default_factory=dict)  # label -> record id
    items: dict[str, CatalogueItem] = field(default_factory=dict)  # label -> item

    def item_for(self, kind: SubjectKind, visibility: Visibility, category: Category | None = None) -> CatalogueItem:
        for item in self.profile.items.values():
            if kind in item.subject_kinds and item.visibility_for(kind) is visibility and (
                    category is None or item.category is category):
                return item
        raise LookupError(f"no {visibility.value} item for {kind.value} in {self.profile.code}")

    @property
    def by_id(self) -> dict[int, str]:
        return {ident: label for label, ident in self.records.items()}


WORLD: World | None = None


async def populate(engine: AsyncEngine, profile_code: str = "huancui") -> World:
    """Insert the world; the labels in `World.records` name each record for the assertions.

    The suite's shared world is huancui's (`WORLD`); a test module may build the same world under
    another profile on a database of its own (the returned World, not kept in `WORLD`).
    """
    global WORLD
    profile = load_profile(profile_code)
    world = World(profile=profile)
    calendar = WorkingDayCalendar.shipped()
    subjects = [
        {"code": ORG_A, "kind": "ORGANISATION", "name": "威海市环翠区甲乙商贸有限公司", "status": "ACTIVE"},
        {"code": ORG_B, "kind": "ORGANISATION", "name": "威海市环翠区丙丁建筑工程有限公司", "status": "ACTIVE"},
        {"code": PERSON_P, "kind": "NATURAL_PERSON", "name": "王小明", "status": "ACTIVE"},
        {"code": PERSON_Q, "kind": "NATURAL_PERSON", "name": "李四", "status": "ACTIVE"},
    ] + [{"code": c, "kind": "ORGANISATION", "name": f"威海市批量测试{i:03d}有限公司", "status": "ACTIVE"}
         for i, c in enumerate(BULK_ORGS)]
    rows: list[dict] = []
    labels: list[str] = []
    serial = 0

    def add(label: str | None, subject: str, kind: SubjectKind, item: CatalogueItem, *, decided_on=dt.date(2025, 6, 1),
            act_ended_on=None, status=RecordStatus.ACTIVE) -> None:
        nonlocal serial
        serial += 1
        if item.category is Category.BAD and act_ended_on is None:
            act_ended_on = decided_on
        facts = derive_facts(item, profile, calendar, subject_kind=kind, subject_ended_on=None, decided_on=decided_on,
                             act_ended_on=act_ended_on, valid_until=None, submitted_on=decided_on + dt.timedelta(days=3))
        rows.append({
            "subject_code": subject, "catalogue_item_code": item.code, "provider_code": item.providers[0],
            "category": item.category.value, "family": item.family.value, "visibility": facts.visibility,
            "severity": facts.severity, "document_number": f"TEST〔2025〕{serial}号",
            "issuing_authority": profile.departments[item.providers[0]].name, "decided_on": decided_on,
            "act_ended_on": act_ended_on, "disclosure_ends_on": facts.disclosure_ends_on,
            "status": status.value, "content": sample_content(item, serial), "channel": "API",
            "submitted_by": "world", "deadline_on": facts.deadline_on,
            "deadline_provisional": facts.deadline_provisional, "late_working_days": facts.late_working_days,
            "submitted_at": dt.datetime.combine(decided_on + dt.timedelta(days=3), dt.time(9), dt.timezone.utc),
        })
        labels.append(label or f"bulk-{serial}")

    org, person = SubjectKind.ORGANISATION, SubjectKind.NATURAL_PERSON
    # One record per class each subject kind can have under this catalogue (huancui: organisations
    # PUBLIC and SHARED; persons AUTHORIZED, SHARED and LIMITED, as persons' records are not PUBLIC).
    for visibility in Visibility:
        for kind, first, second in ((org, "A", "B"), (person, "P", "Q")):
            try:
                item = world.item_for(kind, visibility)
            except LookupError:
                continue
            world.items[f"{kind.value}-{visibility.value}"] = item
            add(f"{first}-{visibility.value}", ORG_A if first == "A" else PERSON_P, kind, item)
            add(f"{second}-{visibility.value}", ORG_B if first == "A" else PERSON_Q, kind, item,
                decided_on=dt.date(2025, 7, 1))
    bad_public = world.item_for(org, Visibility.PUBLIC, Category.BAD)
    world.items["org-bad-public"] = bad_public
    # Ended long ago: its five-year period is over, so it is archived (HC-19(3)).
    add("A-ARCHIVED", ORG_A, org, bad_public, decided_on=dt.date(2019, 3, 1), act_ended_on=dt.date(2019, 3, 1))
    add("A-REVOKED", ORG_A, org, bad_public, decided_on=dt.date(2025, 2, 1), status=RecordStatus.REVOKED)
    for code in BULK_ORGS:
        for month in (1, 2, 3):
            add(None, code, org, bad_public, decided_on=dt.date(2025, month, 10))

    async with engine.begin() as connection:
        await connection.execute(Subject.__table__.insert(), subjects)
        for label, row in zip(labels, rows):
            result = await connection.execute(Record.__table__.insert().values(**row))
            record_id = result.inserted_primary_key[0]
            world.records[label] = record_id
    if profile_code == "huancui":
        WORLD = world
    return world
