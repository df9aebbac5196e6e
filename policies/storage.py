"""Where policy lines live while the service runs: the database (`casbin_rule`), so that every
worker reads the same lines and a change reaches them all. The policy file seeds it at init-db
and `credit-gateway reload-policies` (or SIGHUP) replaces it from the file.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import JurisdictionProfile
from policies.engine import DEFAULT_POLICY_FILE, PolicyEngine, merge_lines, parse_policy_lines, share_list_lines
from store.models import PolicyRule, Setting

NOTIFY_CHANNEL = "credit_gateway_policies"
VERSION_KEY = "policy_version"
# Policy files shipped before, as a deployment that never edited them still stores them: replaced
# by the current shipped lines at start (seed_if_empty), because they allowed what SPEC 3.1 no
# longer does. Edited policies are left alone (the README says what to change in them).
SUPERSEDED = {
    "b852f05d23283b0c4fcd89f9ca2522be626e63978ce1940dc1fc38e615066f71":
        "default.csv before issue 11 (auditors read every class with any basis; no query permits)",
}


def fingerprint(lines: list[list[str]]) -> str:
    return hashlib.sha256(repr([list(parts) for parts in lines]).encode()).hexdigest()


def profile_policy_file(profile_code: str) -> Path:
    """The profile's own lines (SPEC 3.1 differs by profile): `policies/<profile>.csv`."""
    return DEFAULT_POLICY_FILE.with_name(f"{profile_code}.csv")


def read_policy_file(path: Path | None = None, profile_code: str | None = None) -> list[list[str]]:
    """The policy lines to store: a configured file as it is (the operator's complete policy), or
    the shipped default.csv with the profile's file over it (engine.merge_lines)."""
    if path is not None:
        return parse_policy_lines(Path(path).read_text(encoding="utf-8"), str(path))
    lines = parse_policy_lines(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"), str(DEFAULT_POLICY_FILE))
    overlay = profile_policy_file(profile_code) if profile_code else None
    if overlay is not None and overlay.exists():
        lines = merge_lines(lines, parse_policy_lines(overlay.read_text(encoding="utf-8"), str(overlay)))
    return lines


def catalogue_pairs(profile: JurisdictionProfile) -> frozenset[tuple[str, str]]:
    """Every (class, item) a record can have: an item's class may differ for natural persons."""
    return frozenset((item.visibility_for(kind).value, item.code)
                     for item in profile.items.values() for kind in item.subject_kinds)


def with_share_lists(profile: JurisdictionProfile, lines: list[list[str]]) -> list[list[str]]:
    """Policy lines plus the catalogue's share lists for LIMITED items, as g2 lines."""
    shares = {item.code: item.shared_with for item in profile.items.values() if item.shared_with}
    return lines + share_list_lines(shares)


def policy_engine(profile: JurisdictionProfile, lines: list[list[str]] | None = None) -> PolicyEngine:
    """The engine for a deployment: its policy lines (default: the shipped file) plus share lists."""
    return PolicyEngine(with_share_lists(profile, read_policy_file(None, profile.code) if lines is None else lines),
                        catalogue_pairs(profile))


async def load_lines(engine: AsyncEngine, profile_code: str | None = None) -> tuple[list[list[str]], int]:
    """The stored lines and their version; the shipped lines when nothing is stored yet."""
    async with engine.connect() as connection:
        rows = (await connection.execute(select(PolicyRule.__table__).order_by(PolicyRule.id))).all()
        version = (await connection.execute(select(Setting.value).where(Setting.key == VERSION_KEY))).scalar()
    if not rows:
        return read_policy_file(None, profile_code), int(version or 0)
    lines = [[r.ptype] + [v for v in (r.v0, r.v1, r.v2, r.v3, r.v4, r.v5) if v is not None] for r in rows]
    return lines, int(version or 0)


async def store_lines(engine: AsyncEngine, lines: list[list[str]], *, changed_by: str | None = None,
                      source: str | None = None) -> int:
    """Replace the stored lines in one transaction, bump the version, log it, and tell the workers."""
    from store.chain import append_submission_log
    from store.counters import bump_counter

    async with engine.begin() as connection:
        await connection.execute(delete(PolicyRule.__table__))
        await connection.execute(PolicyRule.__table__.insert(), [
            # every column named in every row: one executemany for p lines (5 values) and g lines (2)
            {"ptype": parts[0], **{f"v{i}": parts[i + 1] if i + 1 < len(parts) else None for i in range(6)}}
            for parts in lines])
        version = await bump_counter(connection, VERSION_KEY, NOTIFY_CHANNEL)  # notified at commit
        await append_submission_log(connection, user=changed_by, department=None, action="POLICY_CHANGE",
                                    detail={"version": version, "lines": len(lines), "source": source})
    return version


async def seed_if_empty(engine: AsyncEngine, path: Path | None = None, profile_code: str | None = None) -> None:
    """Store the policy lines when none are stored, or when the stored ones are a superseded
    shipped file nobody edited (SUPERSEDED); anything else stays as the operator left it."""
    async with engine.connect() as connection:
        count = (await connection.execute(select(func.count()).select_from(PolicyRule.__table__))).scalar()
    if not count:
        await store_lines(engine, read_policy_file(path, profile_code))
        return
    stored, _version = await load_lines(engine, profile_code)
    superseded = SUPERSEDED.get(fingerprint(stored))
    if superseded is not None:
        logging.getLogger("gateway.policies").warning("stored policies were the shipped %s: replaced by the "
                                                      "current shipped lines", superseded)
        await store_lines(engine, read_policy_file(path, profile_code), changed_by="upgrade",
                          source=f"replacing the shipped {superseded}")
