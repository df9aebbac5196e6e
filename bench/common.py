"""Shared benchmark set-up: a database with N organisations × M records, and a timing loop."""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import time
from dataclasses import dataclass

import httpx

from domain.enums import SubjectKind, Visibility
from domain.identifiers import credit_code_check_char, organisation_code_check_char
from store.bootstrap import initialise
from store.engine import create_engine
from store.models import QueryPermit, Record, Subject

# The benchmarks' officer (SCJG) reads SHARED records as Huancui allows a provider: under a query
# permit of the credit centre (HC-20, HC-23), named as its basis.
PERMIT = "XK-1"


def org_code(serial: int, series: str = "MB") -> str:
    """Organisation `serial` of a benchmark's series (MB here, MR for the import benchmark)."""
    organisation = f"{series}{serial:06d}"  # with its GB 11714 check character: valid under GB 32100
    body = f"91371002{organisation}{organisation_code_check_char(organisation)}"
    return body + credit_code_check_char(body)


def benchmark_items(profile) -> list:
    """The items the benchmark records cycle through: organisations' PUBLIC and SHARED ones."""
    return [i for i in profile.items.values() if SubjectKind.ORGANISATION in i.subject_kinds
            and i.visibility in (Visibility.PUBLIC, Visibility.SHARED)]


def item_content(item) -> dict:
    """A record's content under `item`: every field filled with a valid value."""
    return {f.name: (f.values[0] if f.type == "enum" else "2024-01-01" if f.type == "date"
                     else "1" if f.type in ("decimal", "integer") else True if f.type == "boolean"
                     else f.label) for f in item.fields if not f.requires_consent}


def record_values(item, code: str, s: int, r: int) -> dict:
    """Record `r` of subject `s` (`code`) under `item`: the same in every benchmark data set."""
    return {
        "subject_code": code, "catalogue_item_code": item.code, "provider_code": item.providers[0],
        "category": item.category.value, "family": item.family.value,
        "visibility": item.visibility.value, "document_number": f"BENCH-{s}-{r}",
        "issuing_authority": "基准", "decided_on": dt.date(2025, 1, 1) + dt.timedelta(days=r),
        "status": "ACTIVE", "content": item_content(item), "channel": "API", "submitted_by": "bench",
    }


async def register_permit(connection) -> None:
    """The query permit the benchmarks' officer reads SHARED records under (PERMIT)."""
    now = dt.datetime.now(dt.timezone.utc)
    await connection.execute(QueryPermit.__table__.insert().values(
        number=PERMIT, department_code="SCJG", scope_classes=["SHARED"], scope_items=[],
        valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=30),
        document_ref="benchmark", registered_by="bench", registered_at=now))


async def seeded_engine(url: str, subjects: int = 100, per_subject: int = 10):
    """Organisations with records alternating PUBLIC and SHARED items (what an officer reads)."""
    engine = create_engine(url)
    profile = await initialise(engine, "huancui")
    items = benchmark_items(profile)
    codes = [org_code(i) for i in range(subjects)]
    async with engine.begin() as connection:
        await connection.execute(Subject.__table__.insert(), [
            {"code": c, "kind": "ORGANISATION", "name": f"基准测试{i:04d}有限公司", "status": "ACTIVE"}
            for i, c in enumerate(codes)])
        rows = [record_values(items[(s + r) % len(items)], code, s, r)
                for s, code in enumerate(codes) for r in range(per_subject)]
        await connection.execute(Record.__table__.insert(), rows)
        await register_permit(connection)
    return engine, codes


@dataclass
class Timing:
    label: str
    samples: list[float]

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.samples) * 1000

    def pct_ms(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    def row(self) -> str:
        return (f"{self.label:<28} mean {self.mean_ms:7.2f} ms  p50 {self.pct_ms(0.5):7.2f} ms  "
                f"p99 {self.pct_ms(0.99):7.2f} ms  (n={len(self.samples)})")


async def time_requests(client: httpx.AsyncClient, label: str, payload: dict, headers: dict, n: int) -> Timing:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.post("/graphql", json=payload, headers=headers)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200 and "errors" not in response.json(), response.text[:500]
    gc.collect()
    return Timing(label, samples)
