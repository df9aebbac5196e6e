"""Credit-check rules as data (issue 17; HC-24..26, XZ-21, SPEC 3.5): what an approval system is told
to do about a subject's records for one purpose, each rule with its legal source.

A profile's rules live beside its catalogue (`domain/profiles/<code>_rules.yaml`) and are validated
against it at load: every purpose, category, severity, catalogue item and content value a rule names
must exist, and every rule cites its source; each fault names the rule and the field. Operators
change rules by editing the file: `RulesFollower` re-reads it when its modification time or size
changes (one `stat` per check, no database work), so every worker of every process follows on its
next check without a restart; a file that no longer validates is refused, logged, and the worker
keeps answering with the rules it has. Each answer names the rules' version (the file's hash), so a
receipt also proves which rules were applied.

Evaluation is pure: `evaluate(rules, purpose, records, as_of)` over the records the reader may use.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from domain.catalogue import JurisdictionProfile
from domain.enums import Category, Purpose, Severity

log = logging.getLogger("gateway.credit_rules")


class HintAction(str, enum.Enum):
    """What a rule tells the approver, strongest first (HC-25 incentives, HC-26 restrictions)."""

    RESTRICT = "RESTRICT"  # 限制 / 禁入: refuse or restrict as the rule's source says
    CAUTION = "CAUTION"  # 审慎: weigh the records, strengthen supervision
    INCENTIVE = "INCENTIVE"  # 激励: priority, simplified procedure (守信激励)
    NONE = "NONE"  # the rule applies to the purpose and found nothing


STRENGTH = {HintAction.RESTRICT: 3, HintAction.CAUTION: 2, HintAction.INCENTIVE: 1, HintAction.NONE: 0}


class CountedFrom(str, enum.Enum):
    """Where `within_years` counts from: the decision, or the end of the act (an ongoing act is within)."""

    DECISION = "DECISION"
    ACT_END = "ACT_END"


class CreditRulesError(ValueError):
    """A rules file is unusable; `problems` names each fault with its rule and field."""

    def __init__(self, path: str | Path, problems: list[str]):
        self.path, self.problems = str(path), list(problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s) in the credit-check rules:\n"
                         + "\n".join(f"  - {p}" for p in self.problems))


@dataclass(frozen=True)
class CheckedRecord:
    """What a rule looks at in one record the reader may use."""

    id: int
    item: str
    category: str
    severity: str | None
    decided_on: date
    act_ended_on: date | None
    content: Mapping[str, Any]
    under_objection: bool = False  # an open objection (OBJECTION_OPEN) stands on it that day


@dataclass(frozen=True)
class RecordMatch:
    """One description of records; every given condition must hold (absent: any)."""

    items: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    severities: frozenset[str] | None = None
    content: tuple[tuple[str, frozenset[str]], ...] = ()
    within_years: int | None = None
    counted_from: CountedFrom = CountedFrom.DECISION

    def matches(self, record: CheckedRecord, as_of: date) -> bool:
        if self.items is not None and record.item not in self.items:
            return False
        if self.categories is not None and record.category not in self.categories:
            return False
        if self.severities is not None and record.severity not in self.severities:
            return False
        for name, values in self.content:
            if str(record.content.get(name)) not in values:
                return False
        if self.within_years is not None:
            since = _years_before(as_of, self.within_years)
            if self.counted_from is CountedFrom.DECISION:
                return record.decided_on >= since
            return record.act_ended_on is None or record.act_ended_on >= since
        return True


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class CreditRule:
    code: str
    purposes: frozenset[Purpose]
    action: HintAction
    reason_zh: str
    reason_en: str
    source: str
    match: tuple[RecordMatch, ...]  # the rule fires on records matching any of these
    unless: tuple[RecordMatch, ...] = ()  # ... unless some record matches any of these


@dataclass(frozen=True)
class Hint:
    rule: CreditRule
    action: HintAction
    record_ids: tuple[int, ...]  # the records that triggered it (for INCENTIVE: the good records)
    capped_by_objection: bool = False  # RESTRICT lowered to the cap: every trigger is under open objection


@dataclass(frozen=True)
class CreditRules:
    profile_code: str
    version: str  # the first 16 hex digits of the file's SHA-256
    source: str
    rules: tuple[CreditRule, ...]
    # RESTRICT resting only on records under open objection becomes this action (None: unchanged)
    objection_cap: HintAction | None = None
    objection_source: str = ""
    not_in_catalogue: tuple[str, ...] = field(default=())  # lists the rules' sources name that the catalogue lacks

    def for_purpose(self, purpose: Purpose) -> list[CreditRule]:
        return [r for r in self.rules if purpose in r.purposes]


def evaluate(rules: CreditRules, purpose: Purpose, records: Iterable[CheckedRecord], as_of: date) -> list[Hint]:
    """One hint per rule of the purpose, in file order: its action when it fires, NONE otherwise."""
    records = list(records)
    hints = []
    for rule in rules.for_purpose(purpose):
        triggers = tuple(r.id for r in records if any(m.matches(r, as_of) for m in rule.match))
        blocked = any(any(m.matches(r, as_of) for m in rule.unless) for r in records)
        if not triggers or blocked:
            hints.append(Hint(rule, HintAction.NONE, ()))
            continue
        action, capped = rule.action, False
        under = {r.id for r in records if r.under_objection}
        if action is HintAction.RESTRICT and rules.objection_cap is not None and set(triggers) <= under:
            action, capped = rules.objection_cap, True
        hints.append(Hint(rule, action, triggers, capped))
    return hints


def verdict(hints: Iterable[Hint]) -> HintAction:
    """The strongest action among the hints (NONE when there are none)."""
    return max((h.action for h in hints), key=STRENGTH.__getitem__, default=HintAction.NONE)


# ------------------------------------------------------------------------------------------ loading


def rules_path(profile: JurisdictionProfile) -> Path:
    """The rules file beside the profile's catalogue: `<code>_rules.yaml`."""
    return Path(profile.source).parent / f"{profile.code}_rules.yaml"


_TOP = {"profile", "open_objection", "not_in_catalogue", "rules"}
_RULE = {"code", "purposes", "action", "reason_zh", "reason_en", "source", "match"}
_RULE_OPTIONAL = {"unless"}
_MATCH = {"items", "categories", "severities", "content", "within_years", "counted_from"}


class _Bad(Exception):
    pass


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Bad(f"{what} must be a non-empty list of names")
    return value


def _keys(value: Any, what: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise _Bad(f"{what} must be a mapping")
    missing, unknown = sorted(required - value.keys()), sorted(set(value) - required - optional)
    if missing:
        raise _Bad(f"{what}: missing {', '.join(missing)}")
    if unknown:
        raise _Bad(f"{what}: unknown key(s) {', '.join(map(str, unknown))}")
    return value


def _members(cls: type[enum.Enum], value: Any, what: str) -> frozenset[str]:
    names = _strings(value, what)
    wrong = [n for n in names if n not in cls.__members__]
    if wrong:
        raise _Bad(f"{what}: unknown {', '.join(map(repr, wrong))} (expected {', '.join(cls.__members__)})")
    return frozenset(names)


def _match(raw: Any, what: str, profile: JurisdictionProfile) -> RecordMatch:
    raw = _keys(raw, what, set(), _MATCH)
    if not raw:
        raise _Bad(f"{what}: names no condition (it would match every record)")
    items = None
    if "items" in raw:
        codes = _strings(raw["items"], f"{what}.items")
        unknown = [c for c in codes if c not in profile.items]
        if unknown:
            raise _Bad(f"{what}.items: no catalogue item {', '.join(map(repr, unknown))} in profile {profile.code!r}")
        items = frozenset(codes)
    content: list[tuple[str, frozenset[str]]] = []
    for name, values in _keys(raw.get("content", {}), f"{what}.content", set(), set(raw.get("content") or {})).items():
        values = _strings(values, f"{what}.content.{name}")
        if items is None:
            raise _Bad(f"{what}.content.{name}: content conditions need `items` (a field belongs to items)")
        for code in sorted(items):
            spec = profile.items[code].field(name)
            if spec is None:
                raise _Bad(f"{what}.content.{name}: item {code} has no field {name!r}")
            if spec.values and not set(values) <= set(spec.values):
                raise _Bad(f"{what}.content.{name}: {', '.join(sorted(set(values) - set(spec.values)))} is not a "
                           f"value of {code}.{name} ({', '.join(spec.values)})")
        content.append((name, frozenset(values)))
    years = raw.get("within_years")
    if years is not None and (type(years) is not int or not 1 <= years <= 50):
        raise _Bad(f"{what}.within_years must be a whole number of years, 1 to 50")
    counted = raw.get("counted_from", "DECISION")
    if counted not in CountedFrom.__members__:
        raise _Bad(f"{what}.counted_from: unknown {counted!r} (expected DECISION or ACT_END)")
    return RecordMatch(items=items,
                       categories=_members(Category, raw["categories"], f"{what}.categories")
                       if "categories" in raw else None,
                       severities=_members(Severity, raw["severities"], f"{what}.severities")
                       if "severities" in raw else None,
                       content=tuple(content), within_years=years, counted_from=CountedFrom(counted))


def _matches(raw: Any, what: str, profile: JurisdictionProfile) -> tuple[RecordMatch, ...]:
    if not isinstance(raw, list) or not raw:
        raise _Bad(f"{what} must be a non-empty list of record descriptions")
    return tuple(_match(m, f"{what}[{i}]", profile) for i, m in enumerate(raw))


def _text(raw: dict, key: str, what: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"{what}.{key} must be a non-empty text")
    return " ".join(value.split())


def _rule(raw: Any, where: str, profile: JurisdictionProfile) -> CreditRule:
    code = raw.get("code") if isinstance(raw, dict) else None
    what = f"rule {code}" if isinstance(code, str) and code else where
    raw = _keys(raw, what, _RULE, _RULE_OPTIONAL)
    action = raw["action"]
    if action not in HintAction.__members__ or action == "NONE":
        raise _Bad(f"{what}.action: unknown {action!r} (expected RESTRICT, CAUTION or INCENTIVE)")
    return CreditRule(
        code=code, purposes=frozenset(Purpose(p) for p in _members(Purpose, raw["purposes"], f"{what}.purposes")),
        action=HintAction(action), reason_zh=_text(raw, "reason_zh", what), reason_en=_text(raw, "reason_en", what),
        source=_text(raw, "source", what), match=_matches(raw["match"], f"{what}.match", profile),
        unless=_matches(raw["unless"], f"{what}.unless", profile) if "unless" in raw else ())


def parse_rules(text: str, profile: JurisdictionProfile, source: str = "<text>") -> CreditRules:
    """Validate a rules file's text against `profile`; every fault is reported, naming its rule and field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CreditRulesError(source, [f"not valid YAML: {exc}"]) from exc
    problems: list[str] = []
    try:
        raw = _keys(raw, "the file", {"profile", "open_objection", "rules"}, _TOP - {"profile", "open_objection",
                                                                                      "rules"})
        if raw["profile"] != profile.code:
            raise _Bad(f"profile: {raw['profile']!r} but the deployment's profile is {profile.code!r}")
        objection = _keys(raw["open_objection"], "open_objection", {"cap", "source"})
        cap = objection["cap"]
        if cap is not None and cap not in ("CAUTION", "NONE"):
            raise _Bad(f"open_objection.cap: {cap!r} (expected CAUTION, NONE or null: unchanged)")
        objection_source = _text(objection, "source", "open_objection")
        notes = tuple(_strings(raw["not_in_catalogue"], "not_in_catalogue")) if "not_in_catalogue" in raw else ()
        if not isinstance(raw["rules"], list) or not raw["rules"]:
            raise _Bad("rules must be a non-empty list")
    except _Bad as exc:
        raise CreditRulesError(source, [str(exc)]) from None
    rules, seen = [], set()
    for index, item in enumerate(raw["rules"]):
        try:
            rule = _rule(item, f"rules[{index}]", profile)
            if not rule.code or not isinstance(rule.code, str):
                raise _Bad(f"rules[{index}].code must be a non-empty text")
            if rule.code in seen:
                raise _Bad(f"rule {rule.code}: the code is used twice")
            seen.add(rule.code)
            rules.append(rule)
        except _Bad as exc:
            problems.append(str(exc))
        except (TypeError, ValueError, AttributeError) as exc:
            problems.append(f"rules[{index}]: {exc}")
    if problems:
        raise CreditRulesError(source, problems)
    return CreditRules(profile.code, hashlib.sha256(text.encode()).hexdigest()[:16], source, tuple(rules),
                       HintAction(cap) if cap else None, objection_source, notes)


def load_rules(profile: JurisdictionProfile, path: Path | None = None) -> CreditRules:
    path = path or rules_path(profile)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CreditRulesError(path, [f"cannot read the file: {exc}"]) from exc
    return parse_rules(text, profile, str(path))


class RulesFollower:
    """The worker's current rules, re-read when the file changes (its mtime or size): a `stat` per call.

    The first load must succeed (start-up refuses a bad file); later, a file that does not validate
    is logged and the previous rules kept, and the same file state is not retried until it changes."""

    def __init__(self, profile: JurisdictionProfile, path: Path | None = None) -> None:
        self.profile, self.path = profile, path or rules_path(profile)
        self._lock = threading.Lock()
        self._rules = load_rules(profile, self.path)
        self._stamp = self._stat()
        self.last_error: str | None = None

    def _stat(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size

    def current(self) -> CreditRules:
        stamp = self._stat()
        if stamp == self._stamp:
            return self._rules
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._rules = load_rules(self.profile, self.path)
                    self.last_error = None
                    log.warning("credit-check rules reloaded from %s: version %s", self.path, self._rules.version)
                except CreditRulesError as exc:
                    self.last_error = str(exc)
                    log.error("credit-check rules not reloaded, keeping version %s: %s", self._rules.version, exc)
                self._stamp = stamp
        return self._rules
