"""A second small world, on a database of its own, for the tests that pin the access rules
(tests/test_access_pins.py, tests/test_log_pins.py; issue 12).

The shared world (tests/world.py) has LIMITED records of one catalogue item only and archived
records of an organisation only, so a share list applied to the whole LIMITED class, or archived
records of persons leaking, go unnoticed there. This one has, for one natural person:

- a LIMITED record of EVERY LIMITED item of the huancui catalogue (four items, whose share lists
  differ: FY is listed for three, GAJ for one, XZSP for one), plus its PUBLIC (law-public),
  SHARED and AUTHORIZED records;
- archived records of each class: by a period that has ended (still ACTIVE in the table, SQL
  must compute it) and by a sweep (status ARCHIVED);

and an organisation whose PUBLIC records' disclosure periods end the day before, the day of and
the day after `BOUNDARY_DAY`, the jurisdiction's (Beijing) day at `BOUNDARY_NOW`, which is still
the previous day in UTC.

Kept apart from the shared world so that its counts, and the tests built on them, do not change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import CatalogueItem, JurisdictionProfile, load_profile
from domain.enums import Category, RecordStatus, SubjectKind, Visibility
from domain.record_facts import derive_facts
from domain.working_days import WorkingDayCalendar
from store.models import Record, Subject
from tests.world import TODAY, org_code, person_code, sample_content

PERSON = person_code(201)
PERSON_NAME = "钱七"
ORG = org_code(1, "PN")  # series PN: this world's organisations
# 16:30 UTC is 00:30 the next day in Beijing: the jurisdiction's day is 2026-11-21, the UTC day 11-20.
BOUNDARY_NOW = dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.timezone.utc)
BOUNDARY_DAY = dt.date(2026, 11, 21)
ENDED_LONG_AGO = dt.date(2020, 1, 31)
DATED = ("ARCHIVED-", "SWEPT-", "ENDS-")  # labels whose disclosure end is set on purpose


@dataclass
class PinsWorld:
    profile: JurisdictionProfile
    records: dict[str, int] = field(default_factory=dict)  # label -> record id
    items: dict[str, CatalogueItem] = field(default_factory=dict)  # label -> item
    provider_of: dict[str, str] = field(default_factory=dict)  # record label -> its provider's code

    @property
    def by_id(self) -> dict[int, str]:
        return {ident: label for label, ident in self.records.items()}

    @property
    def limited_items(self) -> list[CatalogueItem]:
        return [self.items[label] for label in sorted(self.items) if label.startswith("LIMITED-")]

    def labels(self, prefix: str) -> set[str]:
        return {label for label in self.records if label.startswith(prefix)}


def _first(profile: JurisdictionProfile, kind: SubjectKind, visibility: Visibility,
           category: Category | None = None) -> CatalogueItem:
    return next(item for item in profile.items.values()
                if kind in item.subject_kinds and item.visibility_for(kind) is visibility
                and (category is None or item.category is category))


async def populate(engine: AsyncEngine) -> PinsWorld:
    """Insert this world into `engine` (an initialised huancui database of its own)."""
    profile = load_profile("huancui")
    world = PinsWorld(profile=profile)
    calendar = WorkingDayCalendar.shipped()
    person, org = SubjectKind.NATURAL_PERSON, SubjectKind.ORGANISATION
    rows: list[tuple[str, dict]] = []

    def add(label: str, subject: str, kind: SubjectKind, item: CatalogueItem, *, ends_on: dt.date | None = None,
            status: RecordStatus = RecordStatus.ACTIVE, decided_on: dt.date = dt.date(2026, 3, 2)) -> None:
        act_ended_on = decided_on if item.category is Category.BAD else None
        facts = derive_facts(item, profile, calendar, subject_kind=kind, subject_ended_on=None, decided_on=decided_on,
                             act_ended_on=act_ended_on, valid_until=None,
                             submitted_on=decided_on + dt.timedelta(days=3))
        serial = len(rows) + 1
        ends_on = ends_on if ends_on is not None else facts.disclosure_ends_on
        # records not archived on purpose are still disclosed on the suite's day (some periods last a year)
        assert ends_on is None or ends_on > TODAY + dt.timedelta(days=30) or label.startswith(DATED), label
        world.provider_of[label] = item.providers[0]
        rows.append((label, {
            "subject_code": subject, "catalogue_item_code": item.code, "provider_code": item.providers[0],
            "category": item.category.value, "family": item.family.value, "visibility": facts.visibility,
            "severity": facts.severity, "document_number": f"PIN〔2025〕{serial}号",
            "issuing_authority": profile.departments[item.providers[0]].name, "decided_on": decided_on,
            "act_ended_on": act_ended_on,
            "disclosure_ends_on": ends_on,
            "status": status.value, "content": sample_content(item, serial), "channel": "API",
            "submitted_by": "pins-world", "deadline_on": facts.deadline_on,
            "deadline_provisional": facts.deadline_provisional, "late_working_days": facts.late_working_days,
            "submitted_at": dt.datetime.combine(decided_on + dt.timedelta(days=3), dt.time(9), dt.timezone.utc),
        }))

    limited = [item for item in profile.items.values()
               if person in item.subject_kinds and item.visibility_for(person) is Visibility.LIMITED]
    for item in limited:
        world.items[f"LIMITED-{item.code}"] = item
        add(f"LIMITED-{item.code}", PERSON, person, item)
    for visibility in (Visibility.PUBLIC, Visibility.SHARED, Visibility.AUTHORIZED):
        item = _first(profile, person, visibility)
        world.items[visibility.value] = item
        add(visibility.value, PERSON, person, item)
        # archived by its period (the table still says ACTIVE) and by a sweep (ARCHIVED)
        add(f"ARCHIVED-{visibility.value}", PERSON, person, item, ends_on=ENDED_LONG_AGO)
        add(f"SWEPT-{visibility.value}", PERSON, person, item, ends_on=ENDED_LONG_AGO, status=RecordStatus.ARCHIVED)
    add(f"ARCHIVED-LIMITED-{limited[0].code}", PERSON, person, limited[0], ends_on=ENDED_LONG_AGO)
    add(f"SWEPT-LIMITED-{limited[0].code}", PERSON, person, limited[0], ends_on=ENDED_LONG_AGO,
        status=RecordStatus.ARCHIVED)
    boundary = _first(profile, org, Visibility.PUBLIC, Category.BAD)
    world.items["BOUNDARY"] = boundary
    for label, days in (("ENDS-YESTERDAY", -1), ("ENDS-TODAY", 0), ("ENDS-TOMORROW", 1)):
        add(label, ORG, org, boundary, ends_on=BOUNDARY_DAY + dt.timedelta(days=days))

    async with engine.begin() as connection:
        await connection.execute(Subject.__table__.insert(), [
            {"code": PERSON, "kind": "NATURAL_PERSON", "name": PERSON_NAME, "status": "ACTIVE"},
            {"code": ORG, "kind": "ORGANISATION", "name": "威海市环翠区钉桩测试有限公司", "status": "ACTIVE"},
        ])
        for label, row in rows:
            result = await connection.execute(Record.__table__.insert().values(**row))
            world.records[label] = result.inserted_primary_key[0]
    return world
