"""The Casbin enforcer, asked as little as possible.

`enforce()` costs ~50 µs plus a few µs per policy line, so it is never called per row or per
field: answers are cached per (role, department, condition, action) for the life of a policy
version, and a reload swaps in a new enforcer and a new cache in one assignment (no locks:
requests in flight finish on the version they started with).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import casbin

# Casbin logs every denial at WARNING; refusals are recorded in the query log instead, with the
# request they belong to, and accessExplanation says which line decided.
logging.getLogger("casbin").setLevel(logging.ERROR)

MODEL_FILE = Path(__file__).parent / "model.conf"
DEFAULT_POLICY_FILE = Path(__file__).parent / "default.csv"

# What the request declared, as the model's `cond`: nothing; a purpose and a basis; a purpose and
# a basis naming a valid query permit that covers the (class, item) asked about (HC-23, XZ-18);
# a basis naming an open case of the credit centre (SPEC 3.1, operators).
NONE, DECLARED, PERMIT, CASE = "none", "declared", "permit", "case"
# A p line's condition (model.conf); `never` only in a profile's file: it removes a default line.
CONDITIONS = ("always", "purpose", "listed", "permit", "listed_permit", "case")
NEVER = "never"
ANY = "*"  # a class or item meaning "in general", for actions that do not depend on them


class PolicyFileError(ValueError):
    """A policy line that cannot be used; names the source, the line and the fault."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str | None  # the policy line that allowed it, as written in the policy file

    @property
    def explanation(self) -> str:
        return self.rule or "no policy line allows it (deny by default)"


def parse_policy_lines(text: str, source: str = "policy") -> list[list[str]]:
    """Casbin CSV lines (`p, ...`, `g, ...`, `g2, ...`), comments and blanks skipped, checked."""
    lines: list[list[str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",")]
        ptype = parts[0]
        if ptype == "p" and len(parts) != 6:
            raise PolicyFileError(f"{source}:{number}: a p line has 5 fields (role, class, item, action, "
                                  f"condition), found {len(parts) - 1}: {line!r}")
        if ptype in ("g", "g2") and len(parts) != 3:
            raise PolicyFileError(f"{source}:{number}: a {ptype} line has 2 fields, found {len(parts) - 1}: {line!r}")
        if ptype not in ("p", "g", "g2"):
            raise PolicyFileError(f"{source}:{number}: unknown line type {ptype!r} (use p, g or g2)")
        if ptype == "p" and parts[5] not in (*CONDITIONS, NEVER):
            raise PolicyFileError(f"{source}:{number}: condition {parts[5]!r} is not one of "
                                  f"{', '.join(CONDITIONS)} (or {NEVER} in a profile's file)")
        if any(not p for p in parts):
            raise PolicyFileError(f"{source}:{number}: empty field in {line!r}")
        lines.append(parts)
    return lines


def merge_lines(base: list[list[str]], overlay: list[list[str]]) -> list[list[str]]:
    """A profile's lines over the common ones (SPEC 3.1: "a profile may add or override lines").

    A p line of the overlay replaces the base line with the same role, class, item and action (its
    condition is what changes); condition `never` removes it; other lines are added. g and g2
    lines are added. The result keeps the base order, overlay additions last.
    """
    key = lambda parts: tuple(parts[:5])  # noqa: E731  (p, role, class, item, action)
    overrides = {key(parts): parts for parts in overlay if parts[0] == "p"}
    merged = []
    for parts in base:
        replacement = overrides.pop(key(parts), None) if parts[0] == "p" else None
        chosen = replacement or parts
        if chosen[0] != "p" or chosen[5] != NEVER:
            merged.append(chosen)
    for parts in overlay:
        if parts[0] != "p":
            merged.append(parts)
        elif key(parts) in overrides and parts[5] != NEVER:
            merged.append(parts)
    return merged


def share_list_lines(shared_with: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """The catalogue's share lists for LIMITED items (XZ-15 C) as g2 lines: department -> item."""
    return [["g2", dept, item] for item, depts in sorted(shared_with.items()) for dept in depts]


@dataclass
class PolicyVersion:
    enforcer: casbin.Enforcer
    lines: list[list[str]]
    number: int
    cache: dict = field(default_factory=dict)


class PolicyEngine:
    """Holds the current policy version; thread-safe reloads, lock-free reads."""

    def __init__(self, lines: list[list[str]], pairs: frozenset[tuple[str, str]]) -> None:
        """`pairs`: every (visibility class, catalogue item) a record can have in this deployment."""
        self.pairs = pairs
        self._reload_lock = threading.Lock()
        self._current = self._build(lines, 1)
        self.enabled = True

    @staticmethod
    def _build(lines: list[list[str]], number: int) -> PolicyVersion:
        enforcer = casbin.Enforcer(str(MODEL_FILE))
        for parts in lines:
            if parts[0] == "p" and parts[5] == NEVER:  # a stored file that still says `never`: no line
                continue
            if parts[0] == "p":
                enforcer.add_named_policy("p", *parts[1:])
            else:
                enforcer.add_named_grouping_policy(parts[0], *parts[1:])
        return PolicyVersion(enforcer=enforcer, lines=lines, number=number)

    @property
    def version(self) -> int:
        return self._current.number

    @property
    def lines(self) -> list[list[str]]:
        return self._current.lines

    def reload(self, lines: list[list[str]]) -> int:
        with self._reload_lock:
            self._current = self._build(lines, self._current.number + 1)
            return self._current.number

    def decide(self, role: str, dept: str, cls: str, item: str, act: str, cond: str) -> Decision:
        """One Casbin question, cached for this policy version."""
        version = self._current
        key = (role, dept, cls, item, act, cond)
        decision = version.cache.get(key)
        if decision is None:
            allowed, rule = version.enforcer.enforce_ex(role, dept, cls, item, act, cond)
            decision = Decision(allowed, "p, " + ", ".join(rule) if allowed and rule else None)
            version.cache[key] = decision
        return decision

    def allowed_pairs(self, role: str, dept: str, cond: str, act: str = "read") -> frozenset[tuple[str, str]]:
        """The (class, item) pairs `role` may `act` on: asked once per pair, then cached."""
        version = self._current
        key = ("pairs", role, dept, cond, act)
        pairs = version.cache.get(key)
        if pairs is None:
            pairs = frozenset(p for p in self.pairs if self.decide(role, dept, p[0], p[1], act, cond).allowed)
            version.cache[key] = pairs
        return pairs

    def allows(self, role: str, dept: str, act: str, cond: str) -> Decision:
        """An action that does not depend on class or item (unmask, protected fields)."""
        return self.decide(role, dept, ANY, ANY, act, cond)
