"""Records and cases dated around a sweep day, written straight to the tables (the sweeper reads
only stored dates: how a record got them is the periods lane's business)."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import func, select

from domain.catalogue import load_profile
from store.models import Case, Notification, Record, RecordEvent, RecordTombstone, Subject, SubmissionLogEntry
from tests import world

AS_OF = dt.date(2026, 11, 20)
ITEM = load_profile("huancui").item("HC-13-6-PENALTY")
PROVIDER = ITEM.providers[0]
org_code = functools.partial(world.org_code, series="WQ")


def record_row(serial: int, **dates) -> dict:
    return {"subject_code": org_code(serial), "catalogue_item_code": ITEM.code, "provider_code": PROVIDER,
            "category": ITEM.category.value, "family": ITEM.family.value, "visibility": "PUBLIC",
            "severity": None, "document_number": f"SWEEP-{serial}", "issuing_authority": "环翠区市场监督管理局",
            "decided_on": dt.date(2020, 1, 1), "status": "ACTIVE", "content": {"violation": f"第{serial}号"},
            "channel": "API", "submitted_by": "sweep-test", **dates}


async def insert_records(engine, rows: list[dict]) -> list[int]:
    """Insert `rows` (record_row's), their subjects first; their ids in order."""
    codes = sorted({r["subject_code"] for r in rows})
    async with engine.begin() as connection:
        known = set((await connection.execute(select(Subject.code).where(Subject.code.in_(codes)))).scalars())
        fresh = [{"code": c, "kind": "ORGANISATION", "name": f"清扫测试{c[-6:]}有限公司", "status": "ACTIVE"}
                 for c in codes if c not in known]
        if fresh:
            await connection.execute(Subject.__table__.insert(), fresh)
        ids = []
        for row in rows:
            ids.append((await connection.execute(Record.__table__.insert().values(**row))).inserted_primary_key[0])
    return ids


async def insert_case(engine, record_id: int, serial: int, *, due_on: dt.date, closed: bool = False) -> int:
    async with engine.begin() as connection:
        result = await connection.execute(Case.__table__.insert().values(
            kind="REPAIR", record_id=record_id, subject_code=org_code(serial), provider_code=PROVIDER,
            state="CERTIFIED", next_party="PROVIDER", opened_on=due_on - dt.timedelta(days=5), due_on=due_on,
            due_provisional=False, detail={},
            closed_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc) if closed else None))
        return result.inserted_primary_key[0]


async def counts(engine) -> dict[str, int]:
    """How many rows each table the sweeper writes holds: a run that changes nothing leaves them equal."""
    tables = {"events": RecordEvent, "notifications": Notification, "log": SubmissionLogEntry,
              "tombstones": RecordTombstone, "records": Record}
    async with engine.connect() as connection:
        found = {name: (await connection.execute(select(func.count()).select_from(model))).scalar()
                 for name, model in tables.items()}
        found["archived"] = (await connection.execute(
            select(func.count()).select_from(Record).where(Record.status == "ARCHIVED"))).scalar()
    return found


async def fresh(backend: str, tmp_path, name: str):
    """A migrated, empty database of its own (huancui), for a test that writes."""
    from store.bootstrap import initialise
    from store.engine import create_engine
    from tests.conftest import scratch_url

    engine = create_engine(await scratch_url(backend, tmp_path, name))
    await initialise(engine, "huancui")
    return engine
