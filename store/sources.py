"""Admitted federated sources and their SDL versions, as stored (issue 18).

A source is admitted once (name, address, signing key); each SDL admitted for it is a version kept
whole with its hash and the binding of each remote field to a catalogue item. `current_version`
names the version the served schema uses; removal sets `removed_at` and keeps the history. Every
admission, refresh and removal bumps one stored counter (and NOTIFYs on PostgreSQL) so every worker
rebuilds its schema within a second (gateway/source_sync.py), and writes a submission-log entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.chain import append_submission_log
from store.counters import bump_counter
from store.models import FederatedSource, FederatedSourceVersion, Setting

FS = FederatedSource.__table__
FSV = FederatedSourceVersion.__table__
VERSION_KEY = "sources_version"
NOTIFY_CHANNEL = "credit_gateway_sources"


@dataclass(frozen=True)
class StoredSource:
    """An admitted source with the SDL version in force."""

    name: str
    url: str
    version: int
    sdl: str
    sdl_hash: str
    fields: Mapping[str, str]  # remote field on Subject -> catalogue item code
    signing_key: str
    department: str | None
    admitted_at: dt.datetime
    admitted_by: str | None
    version_admitted_at: dt.datetime


def sdl_hash(sdl: str) -> str:
    return hashlib.sha256(sdl.encode("utf-8")).hexdigest()


_IN_FORCE = (select(FS.c.name, FS.c.url, FS.c.current_version, FS.c.signing_key, FS.c.department_code,
                    FS.c.admitted_at, FS.c.admitted_by, FSV.c.sdl, FSV.c.sdl_hash, FSV.c.fields,
                    FSV.c.admitted_at.label("version_admitted_at"))
             .join(FSV, (FSV.c.source_name == FS.c.name) & (FSV.c.version == FS.c.current_version))
             .where(FS.c.removed_at.is_(None)).order_by(FS.c.name))


def _stored(row) -> StoredSource:
    return StoredSource(name=row.name, url=row.url, version=row.current_version, sdl=row.sdl,
                        sdl_hash=row.sdl_hash, fields=dict(row.fields or {}), signing_key=row.signing_key,
                        department=row.department_code, admitted_at=row.admitted_at, admitted_by=row.admitted_by,
                        version_admitted_at=row.version_admitted_at)


async def admitted_sources(connection: AsyncConnection) -> list[StoredSource]:
    """The sources in force, by name, each with its current SDL version."""
    return [_stored(r) for r in (await connection.execute(_IN_FORCE)).all()]


async def admitted(engine: AsyncEngine) -> tuple[list[StoredSource], int]:
    """The sources in force and the counter they were read at (one snapshot)."""
    async with engine.connect() as connection:
        version = await sources_version(connection)
        return await admitted_sources(connection), version


async def sources_version(connection: AsyncConnection) -> int:
    value = (await connection.execute(select(Setting.value).where(Setting.key == VERSION_KEY))).scalar()
    return int(value or 0)


async def _changed(connection: AsyncConnection) -> int:
    """Bump the counter every worker follows, and wake them on PostgreSQL."""
    return await bump_counter(connection, VERSION_KEY, NOTIFY_CHANNEL)


class SourceNameTaken(Exception):
    """A source of that name is in force."""


class SourceNotFound(Exception):
    """No source of that name is in force."""


async def store_admission(engine: AsyncEngine, *, name: str, url: str, sdl: str, fields: Mapping[str, str],
                          signing_key: str, user: str | None, department: str | None,
                          now: dt.datetime) -> StoredSource:
    """Admit a new source (or again one that was removed: its history continues with a new version)."""
    try:
        return await _admission(engine, name=name, url=url, sdl=sdl, fields=fields, signing_key=signing_key,
                                user=user, department=department, now=now)
    except IntegrityError:  # another operator admitted the same name at the same moment
        raise SourceNameTaken(name) from None


async def _admission(engine: AsyncEngine, *, name: str, url: str, sdl: str, fields: Mapping[str, str],
                     signing_key: str, user: str | None, department: str | None, now: dt.datetime) -> StoredSource:
    async with engine.begin() as connection:
        existing = (await connection.execute(select(FS.c.removed_at).where(FS.c.name == name))).first()
        if existing is not None and existing.removed_at is None:
            raise SourceNameTaken(name)
        last = (await connection.execute(select(FSV.c.version).where(FSV.c.source_name == name)
                                         .order_by(FSV.c.version.desc()).limit(1))).scalar() or 0
        version = last + 1
        values = dict(url=url, department_code=department, signing_key=signing_key, current_version=version,
                      admitted_at=now, admitted_by=user, removed_at=None)
        if existing is None:
            await connection.execute(FS.insert().values(name=name, **values))
        else:
            await connection.execute(FS.update().where(FS.c.name == name).values(**values))
        await _insert_version(connection, name, version, sdl, fields, user, now)
        await append_submission_log(connection, user=user, department=department, action="SOURCE_ADMITTED", detail={
            "source": name, "url": url, "version": version, "sdl_hash": sdl_hash(sdl), "fields": dict(fields)})
        await _changed(connection)
        return _stored((await connection.execute(_IN_FORCE.where(FS.c.name == name))).one())


async def _insert_version(connection: AsyncConnection, name: str, version: int, sdl: str,
                          fields: Mapping[str, str], user: str | None, now: dt.datetime) -> None:
    await connection.execute(FSV.insert().values(source_name=name, version=version, sdl=sdl, sdl_hash=sdl_hash(sdl),
                                                 fields=dict(fields), admitted_at=now, admitted_by=user))


async def store_refresh(engine: AsyncEngine, *, name: str, sdl: str, fields: Mapping[str, str],
                        user: str | None, department: str | None, now: dt.datetime) -> tuple[StoredSource, bool]:
    """A new version when the SDL or the binding changed; (source, changed)."""
    async with engine.begin() as connection:
        current = (await connection.execute(_IN_FORCE.where(FS.c.name == name))).first()
        if current is None:
            raise SourceNotFound(name)
        if current.sdl_hash == sdl_hash(sdl) and dict(current.fields or {}) == dict(fields):
            return _stored(current), False
        last = (await connection.execute(select(FSV.c.version).where(FSV.c.source_name == name)
                                         .order_by(FSV.c.version.desc()).limit(1))).scalar() or 0
        version = last + 1
        await _insert_version(connection, name, version, sdl, fields, user, now)
        await connection.execute(FS.update().where(FS.c.name == name).values(current_version=version))
        await append_submission_log(connection, user=user, department=department, action="SOURCE_REFRESHED", detail={
            "source": name, "version": version, "previous_version": current.current_version,
            "sdl_hash": sdl_hash(sdl), "fields": dict(fields)})
        await _changed(connection)
        return _stored((await connection.execute(_IN_FORCE.where(FS.c.name == name))).one()), True


async def store_removal(engine: AsyncEngine, *, name: str, user: str | None, department: str | None,
                        now: dt.datetime) -> StoredSource:
    """Take a source out of the served schema; its versions stay (the query log names them)."""
    async with engine.begin() as connection:
        current = (await connection.execute(_IN_FORCE.where(FS.c.name == name))).first()
        if current is None:
            raise SourceNotFound(name)
        await connection.execute(FS.update().where(FS.c.name == name).values(removed_at=now))
        await append_submission_log(connection, user=user, department=department, action="SOURCE_REMOVED", detail={
            "source": name, "version": current.current_version})
        await _changed(connection)
        return _stored(current)
