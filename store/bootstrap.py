"""`init-db`: migrate, then load the jurisdiction profile's departments and catalogue (HC-8).

The profile is fixed for a database at its first initialisation: every number that differs
between the regulations comes from it, so switching profile under existing records is refused.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import CatalogueItem as ItemSpec
from domain.catalogue import JurisdictionProfile, load_profile
from domain.clock import jurisdiction_day, utc_now
from store import log_guard, period_refresh
from store.engine import dialect_insert
from store.migrate import upgrade
from store.models import CatalogueItem, Department, Record, Setting


class ProfileMismatch(RuntimeError):
    """The database was initialised under another jurisdiction profile."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(_jsonable(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [_jsonable(v) for v in value]
        return sorted(items) if isinstance(value, (frozenset, set)) else items
    return value


def disclosure_text(item: ItemSpec) -> str:
    """The item's periods in words, each with its source (domain.periods)."""
    rule, source = item.disclosure.rule.value, item.disclosure.source
    if rule == "UNTIL_SUBJECT_ENDS":
        text = (f"until {item.disclosure.years_after_termination or 3} years after the organisation ends, "
                f"or the person's death ({source or 'HC-19(1)'})")
    elif rule == "UNTIL_VALIDITY_ENDS":
        text = f"until its validity ends; without one, until cancelled ({source or 'HC-19(2)'})"
    else:
        text = (f"{item.disclosure.years or 5} years from the day the act ended; none while it goes on "
                f"({source or 'HC-19(3), XZ-20'})")
    if item.publicity_months is not None:
        months = item.publicity_months
        shown = "never shown to the public" if months.max_months == 0 else (
            f"shown to the public {months.min_months}–{months.max_months} months from the decision")
        text += f"; as an administrative penalty ({item.severity.value if item.severity else 'graded'}) {shown} " \
                f"({item.publicity_source})"
    return text


def item_definition(item: ItemSpec) -> dict[str, Any]:
    """The item as the catalogue file states it, in JSON, plus its disclosure rule in words."""
    definition = _jsonable(asdict(item))
    definition["disclosure_text"] = disclosure_text(item)
    return definition


def _upsert(connection, table, rows: list[dict], key: str):
    statement = dialect_insert(connection)(table).values(rows)
    return statement.on_conflict_do_update(
        index_elements=[key], set_={c: statement.excluded[c] for c in rows[0] if c != key}
    )


async def initialise(engine: AsyncEngine, profile_code: str, today: dt.date | None = None) -> JurisdictionProfile:
    """Idempotent: safe on a new database and on one that is already in use. `today` (the jurisdiction's
    day, by default from the clock): the day a period refresh takes effect."""
    profile = load_profile(profile_code)
    await upgrade(engine)
    async with engine.begin() as connection:
        stored = (await connection.execute(select(Setting.value).where(Setting.key == "profile"))).scalar()
        if stored is None:
            await connection.execute(Setting.__table__.insert().values(key="profile", value=profile.code))
        elif stored != profile.code:
            raise ProfileMismatch(f"this database was initialised with profile {stored!r}, not {profile.code!r}; "
                                  f"set CREDIT_PROFILE={stored} or use another database")
        # the logs' retention, written into the database's own guard from the profile (never a setting)
        await connection.run_sync(log_guard.install, profile.query_log_retention_years)
        departments = [{"code": d.code, "name": d.name, "kind": d.kind.value} for d in profile.departments.values()]
        await connection.execute(_upsert(connection, Department.__table__, departments, "code"))
        items = [
            {"code": i.code, "profile": profile.code, "name": i.name, "basis": i.basis, "category": i.category.value,
             "family": i.family.value, "visibility": i.visibility.value,
             "severity": i.severity.value if i.severity else None, "in_force_from": i.in_force_from,
             "in_force_until": i.in_force_until, "definition": item_definition(i)}
            for i in profile.items.values()
        ]
        await connection.execute(_upsert(connection, CatalogueItem.__table__, items, "code"))
        # records stored under earlier period rules get today's (SPEC 3.2), once per rules version
        rules = (await connection.execute(select(Setting.value).where(Setting.key == period_refresh.SETTING))).scalar()
        if rules != period_refresh.PERIOD_RULES:
            await period_refresh.refresh_periods(connection, profile,
                                                 today or jurisdiction_day(utc_now(), profile.time_zone))
            await _set(connection, period_refresh.SETTING, period_refresh.PERIOD_RULES)
    return profile


async def _set(connection, key: str, value: str) -> None:
    """Upsert one deployment setting."""
    statement = dialect_insert(connection)(Setting.__table__)
    await connection.execute(statement.values(key=key, value=value).on_conflict_do_update(
        index_elements=["key"], set_={"value": value}))


async def is_empty(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        return not (await connection.execute(select(func.count()).select_from(Record.__table__))).scalar()
