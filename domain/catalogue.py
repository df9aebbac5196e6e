"""The catalogue (目录, HC-8, XZ-26) and the jurisdiction profile it belongs to.

A deployment runs under one regulation. Everything that differs between the regulations (periods,
deadlines, class names, departments, catalogue items) lives in a readable YAML file per profile in
`domain/profiles/`, so that the credit centre can revise its catalogue without a release and a
reviewer can check every number against the article it cites. Nothing else in the code hard-codes
these numbers.

`load_profile` validates a file thoroughly and reports every fault it finds, each naming the item
and what is wrong: a wrong catalogue silently mis-classifies who may read what, so loading is the
place to be strict (unknown keys are refused too, because a misspelt key would otherwise fall back
to a default).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Hashable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from domain.enums import (Category, DepartmentKind, FieldType, RecordFamily, Severity, SubjectKind,
                          SubmissionChannel, Unit, Visibility)
from domain.problems import Problem, ProblemCode
from domain.prohibited import ProhibitedInformation, check_field_definition, check_record_content
from domain.record_families import FAMILY_FIELDS

PROFILES_DIR = Path(__file__).parent / "profiles"

FIELD_TYPES: tuple[str, ...] = tuple(t.value for t in FieldType)
# A number is read with its unit: every decimal field names one, integer counts may (a year does not).
_UNIT_TYPES = {"decimal", "integer"}
# A unit written at the end of a label, as clerks see it in templates: 罚款金额(万元), 服务时长（小时）.
_LABEL_UNIT = re.compile(r"[(（]([^()（）]+)[)）]\s*$")
DEFAULT_MAX_LENGTH = {"string": 200, "text": 2000}
# An enum field may stand in for a family's string field: it is a string with fixed values.
_COMPATIBLE = {"string": {"string", "enum"}}


class DeadlineFrom(str, enum.Enum):
    """When a submission deadline starts running (XZ-12)."""

    DECISION = "DECISION"  # licensing and penalty decisions: 7 working days from the decision
    PERIOD_END = "PERIOD_END"  # periodic collection: 10 working days after month/quarter/year end


class CollectionPeriod(str, enum.Enum):
    """更新频率 (HC-8): how often an item's records are collected. XZ-12(2): a periodic item's records
    are due 10 working days after the end of each month, quarter, half-year or year."""

    PER_DECISION = "PER_DECISION"  # each decision as it is made (licensing and penalties: 7 working days)
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    HALF_YEAR = "HALF_YEAR"
    YEAR = "YEAR"


class AdministrativeDecision(str, enum.Enum):
    """The two kinds of decision XZ-12(2) gives the 7-working-day deadline; a penalty's publicity is
    also graded (SPEC 3.2, the national credit repair measures)."""

    LICENSING = "LICENSING"  # 行政许可
    PENALTY = "PENALTY"  # 行政处罚


class DisclosureKind(str, enum.Enum):
    """How the disclosure period of a record is computed (HC-19, XZ-20)."""

    UNTIL_SUBJECT_ENDS = "UNTIL_SUBJECT_ENDS"  # BASIC
    UNTIL_VALIDITY_ENDS = "UNTIL_VALIDITY_ENDS"  # GOOD
    YEARS_FROM_ACT_END = "YEARS_FROM_ACT_END"  # BAD


CATEGORY_DISCLOSURE = {
    Category.BASIC: DisclosureKind.UNTIL_SUBJECT_ENDS,
    Category.GOOD: DisclosureKind.UNTIL_VALIDITY_ENDS,
    Category.BAD: DisclosureKind.YEARS_FROM_ACT_END,
}
# HC-18: the supervisor and the centre never collect; a credit agency is no information provider.
PROVIDER_KINDS = frozenset({DepartmentKind.GOVERNMENT, DepartmentKind.JUDICIAL,
                            DepartmentKind.PUBLIC_ORGANISATION})


class CatalogueError(ValueError):
    """A profile file is unusable. `problems` lists every fault, each naming where it is."""

    def __init__(self, path: str | Path, problems: list[str]):
        self.path, self.problems = str(path), list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s) in the catalogue file:\n"
                         f"{lines}")


# ---------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class FieldSpec:
    """One content field of a catalogue item."""

    name: str
    label: str
    type: str
    required: bool = False
    max_length: int | None = None  # string/text only; None means the type's default
    values: tuple[str, ...] = ()  # enum only
    personal: bool = False  # masked for readers other than the subject, grantees, departments
    requires_consent: bool = False  # XZ-9(3) kinds: only with the subject's written consent
    unit: Unit | None = None  # decimal and integer only: what the number counts (万元, 小时, 人...)

    @property
    def length_limit(self) -> int | None:
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.type)

    def normalise(self, value: Any) -> tuple[Any, str | None]:
        """(normalised value, None) or (None, why the value does not fit the type)."""
        kind = self.type
        if kind in ("string", "text", "enum"):
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # spreadsheets hand numbers-as-text (licence no. 12345) as floats
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                return None, f"expected text, got {type(value).__name__}"
            text = str(value).strip()
            if kind == "enum" and text not in self.values:
                return None, f"{text!r} is not one of: {', '.join(self.values)}"
            limit = self.length_limit
            if limit and len(text) > limit:
                return None, f"is {len(text)} characters long; at most {limit} allowed"
            return text, None
        if kind == "date":
            if isinstance(value, datetime):
                if value.time() != time(0):
                    return None, "expected a date, got a date and time"
                return value.date(), None
            if isinstance(value, date):
                return value, None
            if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                try:
                    return date.fromisoformat(value.strip()), None
                except ValueError:
                    return None, f"{value.strip()!r} is not a real date"
            return None, f"expected a date as YYYY-MM-DD, got {value!r}"
        if kind == "integer":
            if isinstance(value, bool):
                return None, "expected an integer, got a boolean"
            if isinstance(value, int):
                return value, None
            if isinstance(value, float) and value.is_integer():
                return int(value), None
            if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
                return int(value.strip()), None
            return None, f"expected an integer, got {value!r}"
        if kind == "decimal":
            if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
                return None, f"expected a number, got {type(value).__name__}"
            text = str(value).strip()
            if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
                return None, f"expected a number, got {value!r}"
            try:
                return Decimal(text), None
            except InvalidOperation:  # pragma: no cover - the pattern already rules this out
                return None, f"expected a number, got {value!r}"
        if kind == "boolean":
            if isinstance(value, bool):
                return value, None
            text = str(value).strip().lower()
            if text in {"true", "1", "yes", "是"}:
                return True, None
            if text in {"false", "0", "no", "否"}:
                return False, None
            return None, f"expected true or false, got {value!r}"
        return None, f"unknown field type {kind!r}"  # pragma: no cover - refused at load


@dataclass(frozen=True)
class SubmissionRule:
    """How and by when providers submit records of an item (XZ-12)."""

    methods: frozenset[SubmissionChannel]
    deadline_working_days: int
    deadline_from: DeadlineFrom
    frequency: CollectionPeriod = CollectionPeriod.PER_DECISION  # 更新频率 (HC-8)


@dataclass(frozen=True)
class DisclosureRule:
    """How long a record is disclosed (HC-19, XZ-20); numbers resolved from the profile."""

    rule: DisclosureKind
    years: int | None = None  # YEARS_FROM_ACT_END
    years_after_termination: int | None = None  # UNTIL_SUBJECT_ENDS, organisations
    # The law, regulation or rule that sets a period other than the profile's (HC-19(3) 另有规定的);
    # None: the profile's period (HC-19, XZ-20). The loader refuses a deviation without one.
    source: str | None = None


@dataclass(frozen=True)
class PublicityMonths:
    """Minimum and maximum publicity of a graded bad record (national credit repair measures)."""

    min_months: int
    max_months: int


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    kind: DepartmentKind

    @property
    def may_provide(self) -> bool:
        return self.kind in PROVIDER_KINDS


@dataclass(frozen=True)
class CatalogueItem:
    code: str
    name: str
    basis: str
    category: Category
    family: RecordFamily
    subject_kinds: frozenset[SubjectKind]
    visibility: Visibility
    law_requires_public: bool
    person_visibility: Visibility
    shared_with: tuple[str, ...]
    providers: tuple[str, ...]
    submission: SubmissionRule
    disclosure: DisclosureRule
    severity: Severity | None
    publicity_months: PublicityMonths | None  # administrative penalties only: PUBLIC display (SPEC 3.2)
    in_force_from: date
    in_force_until: date | None
    fields: tuple[FieldSpec, ...]
    administrative_decision: AdministrativeDecision | None = None  # XZ-12(2): licensing or penalty
    publicity_source: str | None = None  # where publicity_months come from (the profile's or the item's)

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def visibility_for(self, subject_kind: SubjectKind) -> Visibility:
        """The class a record about this kind of subject has (SPEC 3.1).

        Natural persons' records are not PUBLIC unless a law requires it: they get the item's
        `person_visibility` instead (SHARED unless the catalogue says otherwise).
        """
        subject_kind = SubjectKind(subject_kind)
        if subject_kind not in self.subject_kinds:
            raise ValueError(f"catalogue item {self.code!r} does not apply to {subject_kind.value}")
        if (self.visibility is Visibility.PUBLIC and subject_kind is SubjectKind.NATURAL_PERSON
                and not self.law_requires_public):
            return self.person_visibility
        return self.visibility

    def is_in_force(self, on: date) -> bool:
        return self.in_force_from <= on and (self.in_force_until is None
                                             or on <= self.in_force_until)

    def may_submit(self, department_code: str) -> bool:
        return department_code in self.providers

    def validate_content(self, content: Mapping[str, Any], *, consent_ref: str | None = None
                         ) -> tuple[list[Problem], dict[str, Any]]:
        """Check a record's content against this item: `(problems, normalised content)`.

        Reports every fault: unknown fields, missing required ones, values of the wrong type or
        length, prohibited information and consent-only fields without a consent reference.
        Normalised values are str / date / int / Decimal / bool; blank values count as absent.
        """
        if not isinstance(content, Mapping):
            return [Problem(None, "content must be a mapping of field name to value")], {}
        problems = check_record_content(content, consent_ref)
        flagged = {p.field for p in problems}
        declared = {f.name for f in self.fields}
        for key in content:
            if key not in declared and key not in flagged:
                problems.append(Problem(str(key), f"unknown field {key!r}: item {self.code} "
                                        f"declares {', '.join(sorted(declared))}"))
        normalised: dict[str, Any] = {}
        has_consent = bool(consent_ref and consent_ref.strip())
        for spec in self.fields:
            value = content.get(spec.name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if spec.required:
                    problems.append(Problem(spec.name, f"required field missing ({spec.label})"))
                continue
            value, reason = spec.normalise(value)
            if reason:
                problems.append(Problem(spec.name, f"{spec.label}: {reason}"))
                continue
            if spec.requires_consent and not has_consent and spec.name not in flagged:
                problems.append(Problem(spec.name, f"{spec.label} needs the subject's written "
                                        "consent (XZ-9(3)); give the consent reference", ProblemCode.PROHIBITED))
                continue
            normalised[spec.name] = value
        return problems, normalised


@dataclass(frozen=True)
class ObjectionDeadlines:
    """Objection handling (HC-29, XZ-23, XZ-24); deadlines in working days."""

    centre_compare: int
    provider_verify: int
    notify_applicant: int | None  # None: "promptly" (及时), no number in the regulation
    suspend_when_provider_late: bool
    open_objection_hides_bad_record: bool


@dataclass(frozen=True)
class SubmissionDeadlines:
    """XZ-12 deadlines, in working days."""

    licensing_and_penalty_working_days: int
    periodic_working_days: int


@dataclass(frozen=True, eq=False)  # compared and hashed by identity; loads are cached
class JurisdictionProfile:
    code: str
    name: str
    regulation: str
    # The jurisdiction's time zone: its calendar day is "today" for deadlines, lateness and the
    # future-date check (domain.clock.jurisdiction_day); instants are stored in UTC.
    time_zone: ZoneInfo
    bad_record_years: int
    basic_years_after_termination: int
    query_log_retention_years: int
    objection: ObjectionDeadlines
    revocation_working_days: int
    repair_working_days: int
    honour_deletion_working_days: int
    submission: SubmissionDeadlines
    visibility_labels: Mapping[Visibility, str]
    severity_publicity_months: Mapping[Severity, PublicityMonths]
    departments: Mapping[str, Department]
    items: Mapping[str, CatalogueItem]
    source: str = ""  # the file it was loaded from
    # The rule that grades penalty publicity (severity_publicity_months), cited on every graded item.
    penalty_publicity_source: str = ""
    # XZ-20: persons' bad information is kept this many years once archived, then deleted; None: kept.
    bad_person_retention_years: int | None = None

    def item(self, code: str) -> CatalogueItem:
        try:
            return self.items[code]
        except KeyError:
            raise KeyError(f"no catalogue item {code!r} in profile {self.code!r}") from None

    def department(self, code: str) -> Department:
        try:
            return self.departments[code]
        except KeyError:
            raise KeyError(f"no department {code!r} in profile {self.code!r}") from None

    def items_for(self, subject_kind: SubjectKind) -> list[CatalogueItem]:
        return [i for i in self.items.values() if SubjectKind(subject_kind) in i.subject_kinds]

    def items_provided_by(self, department_code: str) -> list[CatalogueItem]:
        return [i for i in self.items.values() if department_code in i.providers]


# ---------------------------------------------------------------------------------------- loading


def available_profiles() -> list[str]:
    """Codes of the shipped profiles (file stems in domain/profiles/)."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml") if not p.stem.endswith("_rules"))  # *_rules: credit_rules.py


def load_profile(code_or_path: str | Path) -> JurisdictionProfile:
    """Load and validate a profile by shipped code (`huancui`) or by file path."""
    name = str(code_or_path)
    if isinstance(code_or_path, Path) or name.endswith((".yaml", ".yml")) or "/" in name:
        path = Path(code_or_path)
    else:
        path = PROFILES_DIR / f"{name}.yaml"
        if not path.is_file():
            raise CatalogueError(path, [f"unknown profile {name!r}; shipped profiles: "
                                        f"{', '.join(available_profiles())}"])
    try:
        text = path.read_text(encoding="utf-8")
        cached = _CACHE.get(path.resolve())
        if cached and cached[0] == text:
            return cached[1]
        raw = yaml.load(text, Loader=_StrictLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(path, [f"cannot read the file: {exc}"]) from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(path, [f"not valid YAML: {exc}"]) from exc
    profile = _Loader(path).profile(raw)
    if path.resolve().parent == PROFILES_DIR.resolve() and profile.code != path.stem:
        raise CatalogueError(path, [f"profile.code {profile.code!r} must equal the file name "
                                    f"{path.stem!r}: deployments choose a profile by its code"])
    _CACHE[path.resolve()] = (text, profile)
    return profile


# Profiles are immutable, so a file is parsed again only when its text changes.
_CACHE: dict[Path, tuple[str, JurisdictionProfile]] = {}


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` is resolved by PyYAML
            continue
        key = loader.construct_object(key_node)
        if isinstance(key, Hashable) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)

_TOP_KEYS = {"profile", "departments", "catalogue", "templates"}  # templates: YAML anchors only
_PROFILE_KEYS = {"code", "name", "regulation", "time_zone", "bad_record_years", "basic_years_after_termination",
                 "query_log_retention_years", "objection", "revocation_working_days",
                 "repair_working_days", "honour_deletion_working_days", "submission",
                 "visibility_labels", "severity_publicity_months", "penalty_publicity_source",
                 "bad_person_retention_years"}
_OBJECTION_KEYS = {"centre_compare", "provider_verify", "notify_applicant",
                   "suspend_when_provider_late", "open_objection_hides_bad_record"}
_ITEM_REQUIRED = {"code", "name", "basis", "category", "family", "subject_kinds", "visibility",
                  "providers", "submission", "disclosure", "in_force", "fields"}
_ITEM_OPTIONAL = {"law_requires_public", "person_visibility", "shared_with", "severity",
                  "publicity_months", "publicity_source", "administrative_decision"}
_FIELD_KEYS = {"name", "label", "type", "required", "max_length", "values", "personal",
               "requires_consent", "unit"}
_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,15}")
_ITEM_CODE = re.compile(r"[A-Z]{2,4}-[A-Z0-9]+(-[A-Z0-9]+)*")
_FIELD_NAME = re.compile(r"[a-z][A-Za-z0-9]{0,62}")


class _Bad(Exception):
    """One fault; caught by the section being loaded and recorded with where it is."""


def _mapping(value: Any, what: str, required: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise _Bad(f"{what} must be a mapping")
    missing = sorted(required - value.keys())
    unknown = sorted(set(value) - required - optional)
    if missing:
        raise _Bad(f"{what}: missing key(s) {', '.join(missing)}")
    if unknown:
        raise _Bad(f"{what}: unknown key(s) {', '.join(map(str, unknown))}")
    return value


def _member(cls: type[enum.Enum], value: Any, what: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        raise _Bad(f"unknown {what} {value!r} (expected one of "
                   f"{', '.join(m.value for m in cls)})") from None


def _int(value: Any, what: str, *, minimum: int = 0, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _Bad(f"{what} must be an integer >= {minimum}, got {value!r}")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"{what} must be true or false, got {value!r}")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"{what} must be non-empty text, got {value!r}")
    return value.strip()


def _zone(value: Any, what: str) -> ZoneInfo:
    """An IANA time zone name (Asia/Shanghai), checked against the time zone database (tzdata)."""
    name = _text(value, what)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Bad(f"{what} {name!r} is not a time zone of the IANA database (e.g. Asia/Shanghai)") from None


def _date(value: Any, what: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _Bad(f"{what} must be a date YYYY-MM-DD, got {value!r}") from None


def _list(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise _Bad(f"{what} must be a list, got {value!r}")
    return value


def _months(value: Any, what: str) -> PublicityMonths:
    raw = _mapping(value, what, {"min", "max"})
    low, high = _int(raw["min"], f"{what}.min"), _int(raw["max"], f"{what}.max")
    if low > high:
        raise _Bad(f"{what}: min {low} is greater than max {high}")
    return PublicityMonths(low, high)


class _Loader:
    """Turns the parsed YAML of one file into a JurisdictionProfile, collecting every fault."""

    def __init__(self, path: Path):
        self.path = path
        self.errors: list[str] = []

    def fail(self, where: str, exc: Exception) -> None:
        self.errors.append(f"{where}: {exc}")

    def profile(self, raw: Any) -> JurisdictionProfile:
        try:
            _mapping(raw, "the file", {"profile", "departments", "catalogue"}, _TOP_KEYS)
            settings = self.settings(raw["profile"])
        except _Bad as exc:
            raise CatalogueError(self.path, [str(exc)]) from None
        departments = self.departments(raw["departments"])
        items: dict[str, CatalogueItem] = {}
        try:
            entries = _list(raw["catalogue"], "catalogue")
            if not entries:
                raise _Bad("the catalogue has no items")
        except _Bad as exc:
            self.fail("catalogue", exc)
            entries = []
        for index, entry in enumerate(entries, start=1):
            code = entry.get("code") if isinstance(entry, dict) else None
            code = code if isinstance(code, str) and code else None
            where = f"catalogue item {code!r}" if code else f"catalogue item #{index}"
            if code in items:
                self.fail(where, _Bad("duplicate item code"))
                continue
            item = self.item(entry, where, settings, departments)
            if item is not None:
                items[item.code] = item
        self.family_units(items)
        if self.errors:
            raise CatalogueError(self.path, self.errors)
        return JurisdictionProfile(**settings, departments=MappingProxyType(departments),
                                   items=MappingProxyType(items), source=str(self.path))

    def family_units(self, items: dict[str, CatalogueItem]) -> None:
        """A family's standard field is one typed GraphQL field (PenaltyRecord.fineAmount): it has one
        unit in every item of the family, or readers would add up 元 and 万元."""
        first: dict[tuple[RecordFamily, str], tuple[str, Unit | None]] = {}
        for item in items.values():
            for name in FAMILY_FIELDS[item.family]:
                spec = item.field(name)
                seen = first.setdefault((item.family, name), (item.code, spec.unit))
                if seen[1] != spec.unit:
                    self.fail(f"catalogue item {item.code!r}", _Bad(
                        f"standard field {name!r} of family {item.family.value} is in "
                        f"{spec.unit.value if spec.unit else 'no unit'} here but in "
                        f"{seen[1].value if seen[1] else 'no unit'} in {seen[0]}: a standard field has one unit"))

    def settings(self, raw: Any) -> dict[str, Any]:
        raw = _mapping(raw, "profile", _PROFILE_KEYS)
        objection = _mapping(raw["objection"], "profile.objection", _OBJECTION_KEYS)
        submission = _mapping(raw["submission"], "profile.submission",
                              {"licensing_and_penalty_working_days", "periodic_working_days"})
        labels = raw["visibility_labels"]
        if not isinstance(labels, dict) or {_member(Visibility, k, "visibility class")
                                            for k in labels} != set(Visibility):
            raise _Bad("profile.visibility_labels must name every class: "
                       + ", ".join(v.value for v in Visibility))
        grades = raw["severity_publicity_months"]
        if not isinstance(grades, dict) or {_member(Severity, k, "severity")
                                            for k in grades} != set(Severity):
            raise _Bad("profile.severity_publicity_months must give every severity: "
                       + ", ".join(s.value for s in Severity))
        days = {k: _int(raw[k], f"profile.{k}", minimum=1) for k in (
            "bad_record_years", "basic_years_after_termination", "query_log_retention_years",
            "revocation_working_days", "repair_working_days", "honour_deletion_working_days")}
        return dict(
            code=_text(raw["code"], "profile.code"),
            name=_text(raw["name"], "profile.name"),
            regulation=self.regulation(raw["regulation"]),
            time_zone=_zone(raw["time_zone"], "profile.time_zone"),
            **days,
            objection=ObjectionDeadlines(
                centre_compare=_int(objection["centre_compare"], "objection.centre_compare",
                                    minimum=1),
                provider_verify=_int(objection["provider_verify"], "objection.provider_verify",
                                     minimum=1),
                notify_applicant=_int(objection["notify_applicant"], "objection.notify_applicant",
                                      minimum=1, nullable=True),
                suspend_when_provider_late=_bool(objection["suspend_when_provider_late"],
                                                 "objection.suspend_when_provider_late"),
                open_objection_hides_bad_record=_bool(objection["open_objection_hides_bad_record"],
                                                      "objection.open_objection_hides_bad_record"),
            ),
            submission=SubmissionDeadlines(
                _int(submission["licensing_and_penalty_working_days"],
                     "submission.licensing_and_penalty_working_days", minimum=1),
                _int(submission["periodic_working_days"], "submission.periodic_working_days",
                     minimum=1)),
            visibility_labels=MappingProxyType({Visibility(k): _text(v, f"visibility_labels.{k}")
                                                for k, v in labels.items()}),
            severity_publicity_months=MappingProxyType(
                {Severity(k): _months(v, f"severity_publicity_months.{k}")
                 for k, v in grades.items()}),
            penalty_publicity_source=_text(raw["penalty_publicity_source"], "profile.penalty_publicity_source"),
            bad_person_retention_years=_int(raw["bad_person_retention_years"], "profile.bad_person_retention_years",
                                            minimum=1, nullable=True),
        )

    @staticmethod
    def regulation(value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{2,4}", value):
            raise _Bad(f"profile.regulation must be 2-4 upper-case letters (HC, XZ), got {value!r}")
        return value

    def departments(self, raw: Any) -> dict[str, Department]:
        found: dict[str, Department] = {}
        try:
            entries = _list(raw, "departments")
        except _Bad as exc:
            self.fail("departments", exc)
            return found
        for index, entry in enumerate(entries, start=1):
            where = f"department #{index}"
            try:
                entry = _mapping(entry, where, {"code", "name", "kind"})
                code = entry["code"]
                where = f"department {code!r}"
                if not isinstance(code, str) or not _CODE.fullmatch(code):
                    raise _Bad("code must be 2-16 upper-case ASCII letters, digits or _")
                if code in found:
                    raise _Bad("duplicate department code")
                found[code] = Department(code, _text(entry["name"], "name"),
                                         _member(DepartmentKind, entry["kind"], "department kind"))
            except _Bad as exc:
                self.fail(where, exc)
        kinds = {d.kind for d in found.values()}
        for needed in (DepartmentKind.CREDIT_CENTRE, DepartmentKind.SUPERVISOR):
            if needed not in kinds:
                self.fail("departments", _Bad(f"no department of kind {needed.value}"))
        return found

    def item(self, raw: Any, where: str, settings: dict, departments: dict[str, Department]
             ) -> CatalogueItem | None:
        before = len(self.errors)

        def check(fn, *args):
            try:
                return fn(*args)
            except _Bad as exc:
                self.fail(where, exc)
            except ProhibitedInformation as exc:  # its message already names the item
                self.errors.append(str(exc))
            return None

        try:
            raw = _mapping(raw, "item", _ITEM_REQUIRED, _ITEM_OPTIONAL)
        except _Bad as exc:
            self.fail(where, exc)
            return None
        code = check(self.item_code, raw["code"], settings["regulation"])
        name = check(_text, raw["name"], "name")
        check(self.basis, raw["basis"], settings["regulation"])
        category = check(_member, Category, raw["category"], "category")
        family = check(_member, RecordFamily, raw["family"], "record family")
        kinds = check(self.subject_kinds, raw["subject_kinds"])
        visibility = check(_member, Visibility, raw["visibility"], "visibility class")
        person_visibility = check(_member, Visibility, raw.get("person_visibility", "SHARED"),
                                  "person_visibility class")
        law_public = check(_bool, raw.get("law_requires_public", False), "law_requires_public")
        providers = check(self.providers, raw["providers"], departments)
        shared_with = check(self.codes, raw.get("shared_with") or [], "shared_with", departments)
        decision = check(self.decision, raw.get("administrative_decision"), category)
        submission = check(self.submission, raw["submission"], settings["submission"], decision,
                           decision is not None or raw.get("administrative_decision") is None)
        disclosure = check(self.disclosure, raw["disclosure"], category, settings)
        severity = check(self.severity, raw.get("severity"), category)
        publicity = check(self.publicity, raw.get("publicity_months"), raw.get("publicity_source"), severity,
                          decision, settings)
        months, publicity_source = publicity or (None, None)
        if decision is AdministrativeDecision.PENALTY and raw.get("severity") is None:
            self.fail(where, _Bad("an administrative penalty needs a severity: its grade sets its publicity (SPEC 3.2)"))
        in_force = check(self.in_force, raw["in_force"])
        fields = check(self.fields, raw["fields"], code or str(raw["code"]), family)
        if None not in (kinds, visibility, person_visibility, law_public, shared_with):
            check(self.visibility_rules, kinds, visibility, person_visibility, law_public,
                  shared_with)
        if len(self.errors) > before:
            return None
        return CatalogueItem(
            code=code, name=name, basis=raw["basis"], category=category,
            family=family, subject_kinds=kinds, visibility=visibility,
            law_requires_public=law_public, person_visibility=person_visibility,
            shared_with=shared_with, providers=providers, submission=submission,
            disclosure=disclosure, severity=severity, publicity_months=months,
            in_force_from=in_force[0], in_force_until=in_force[1], fields=fields,
            administrative_decision=decision, publicity_source=publicity_source)

    @staticmethod
    def item_code(value: Any, regulation: str) -> str:
        if not isinstance(value, str) or not _ITEM_CODE.fullmatch(value):
            raise _Bad(f"item code {value!r} must be upper-case ASCII words joined by '-'")
        if not value.startswith(f"{regulation}-"):
            raise _Bad(f"item code {value!r} must start with the regulation code '{regulation}-'")
        return value

    @staticmethod
    def basis(value: Any, regulation: str) -> str:
        if not isinstance(value, str) or not re.match(rf"{re.escape(regulation)}-\d+", value):
            raise _Bad(f"basis {value!r} must cite an article of {regulation}, e.g. "
                       f"'{regulation}-13(6)'")
        return value

    @staticmethod
    def subject_kinds(value: Any) -> frozenset[SubjectKind]:
        entries = _list(value, "subject_kinds")
        kinds = [_member(SubjectKind, v, "subject kind") for v in entries]
        if not kinds or len(set(kinds)) != len(kinds):
            raise _Bad("subject_kinds must list each subject kind at most once, at least one")
        return frozenset(kinds)

    @staticmethod
    def codes(value: Any, what: str, departments: dict[str, Department]) -> tuple[str, ...]:
        entries = _list(value, what)
        unknown = [c for c in entries if c not in departments]
        if unknown:
            raise _Bad(f"unknown department code(s) in {what}: {', '.join(map(str, unknown))}")
        if len(set(entries)) != len(entries):
            raise _Bad(f"{what} lists a department twice")
        return tuple(entries)

    def providers(self, value: Any, departments: dict[str, Department]) -> tuple[str, ...]:
        codes = self.codes(value, "providers", departments)
        if not codes:
            raise _Bad("providers must name at least one department")
        wrong = [c for c in codes if not departments[c].may_provide]
        if wrong:
            raise _Bad(f"department(s) {', '.join(wrong)} cannot provide records: the centre and "
                       "the supervisor never collect (HC-18) and credit agencies are no "
                       "information providers")
        return codes

    @staticmethod
    def visibility_rules(kinds, visibility, person_visibility, law_public, shared_with) -> None:
        persons_public = (visibility is Visibility.PUBLIC
                          and SubjectKind.NATURAL_PERSON in kinds)
        if law_public and not persons_public:
            raise _Bad("law_requires_public applies only to PUBLIC items covering natural persons")
        if person_visibility is Visibility.PUBLIC:
            raise _Bad("person_visibility cannot be PUBLIC; say law_requires_public: true")
        limited = visibility is Visibility.LIMITED or (
            persons_public and not law_public and person_visibility is Visibility.LIMITED)
        if limited and not shared_with:
            raise _Bad("a LIMITED item must list the departments it is shared with (shared_with)")
        if shared_with and not limited:
            raise _Bad(f"shared_with is only for LIMITED items; this one is {visibility.value}")

    @staticmethod
    def decision(value: Any, category: Category | None) -> AdministrativeDecision | None:
        if value is None:
            return None
        decision = _member(AdministrativeDecision, value, "administrative_decision")
        if decision is AdministrativeDecision.PENALTY and category not in (Category.BAD, None):
            raise _Bad("an administrative penalty is bad information (HC-13(6), XZ-7(12)): category BAD")
        return decision

    @staticmethod
    def submission(value: Any, deadlines: SubmissionDeadlines, decision: AdministrativeDecision | None,
                   decision_known: bool = True) -> SubmissionRule:
        raw = _mapping(value, "submission", {"methods", "deadline_from"},
                       {"deadline_working_days", "frequency"})
        methods = [_member(SubmissionChannel, m, "submission method")
                   for m in _list(raw["methods"], "submission.methods")]
        if not methods:
            raise _Bad("submission.methods must name at least one channel")
        start = _member(DeadlineFrom, raw["deadline_from"], "deadline_from")
        default_frequency = CollectionPeriod.PER_DECISION if start is DeadlineFrom.DECISION else CollectionPeriod.MONTH
        frequency = _member(CollectionPeriod, raw.get("frequency", default_frequency.value), "submission.frequency")
        if (start is DeadlineFrom.DECISION) != (frequency is CollectionPeriod.PER_DECISION):
            raise _Bad(f"submission.frequency {frequency.value} does not fit deadline_from {start.value}: a "
                       "deadline from the decision is for records sent per decision, a periodic one runs from the "
                       "end of a month, quarter, half-year or year (XZ-12(2))")
        if start is DeadlineFrom.DECISION and decision is None and decision_known:
            raise _Bad("deadline_from DECISION (7 working days from the decision) is for administrative licensing "
                       "and penalty decisions only (XZ-12(2)): name administrative_decision, or collect the item "
                       "periodically (PERIOD_END, 10 working days after its collection period)")
        if start is DeadlineFrom.PERIOD_END and decision is not None:
            raise _Bad(f"an administrative {decision.value.lower()} decision is due within 7 working days of the "
                       "decision (XZ-12(2)): deadline_from DECISION")
        default = (deadlines.licensing_and_penalty_working_days if start is DeadlineFrom.DECISION
                   else deadlines.periodic_working_days)
        days = _int(raw.get("deadline_working_days", default), "submission.deadline_working_days",
                    minimum=1)
        return SubmissionRule(frozenset(methods), days, start, frequency)

    @staticmethod
    def disclosure(value: Any, category: Category | None, settings: dict) -> DisclosureRule:
        """The item's period: the profile's (HC-19, XZ-20) unless the item cites the law, regulation or
        rule that sets another (HC-19(3): 法律、法规、规章另有规定的，从其规定)."""
        raw = _mapping(value, "disclosure", {"rule"}, {"years", "years_after_termination", "source"})
        rule = _member(DisclosureKind, raw["rule"], "disclosure rule")
        if category is not None and CATEGORY_DISCLOSURE[category] is not rule:
            raise _Bad(f"a {category.value} item needs disclosure rule "
                       f"{CATEGORY_DISCLOSURE[category].value}, not {rule.value} (HC-19)")
        source = None if raw.get("source") is None else _text(raw["source"], "disclosure.source")
        if rule is DisclosureKind.YEARS_FROM_ACT_END:
            if "years_after_termination" in raw:
                raise _Bad("years_after_termination belongs to UNTIL_SUBJECT_ENDS")
            key, default = "years", settings["bad_record_years"]
            years = _int(raw.get(key, default), "disclosure.years", minimum=1)
            rule_value = DisclosureRule(rule, years=years, source=source)
        elif rule is DisclosureKind.UNTIL_SUBJECT_ENDS:
            if "years" in raw:
                raise _Bad("years belongs to YEARS_FROM_ACT_END; say years_after_termination")
            key, default = "years_after_termination", settings["basic_years_after_termination"]
            years = _int(raw.get(key, default), "disclosure.years_after_termination")
            rule_value = DisclosureRule(rule, years_after_termination=years, source=source)
        else:
            if set(raw) - {"rule", "source"}:
                raise _Bad("UNTIL_VALIDITY_ENDS takes no years")
            return DisclosureRule(rule, source=source)
        if years != default and source is None:
            raise _Bad(f"disclosure.{key} {years} deviates from the profile's {default}: another period only "
                       "where a law, regulation or rule sets it (HC-19(3)), cited in disclosure.source")
        return rule_value

    @staticmethod
    def severity(value: Any, category: Category | None) -> Severity | None:
        if value is None or category is None:  # an unknown category is reported already
            return None
        if category is not Category.BAD:
            raise _Bad("only BAD items are graded by severity")
        return _member(Severity, value, "severity")

    @staticmethod
    def publicity(value: Any, source: Any, severity: Severity | None, decision: AdministrativeDecision | None,
                  settings: dict) -> tuple[PublicityMonths, str] | None:
        """Publicity months of an administrative penalty (SPEC 3.2): the profile's grading for its severity,
        or the item's own with the rule that sets them. Other bad information gets no publicity grading:
        its period is HC-19(3)'s, for every reader."""
        if decision is not AdministrativeDecision.PENALTY or severity is None:
            if value is not None or source is not None:
                raise _Bad("publicity_months grade the publicity of administrative penalties only: they need "
                           "administrative_decision PENALTY and a severity")
            return None
        graded = settings["severity_publicity_months"][severity]
        if value is None:
            if source is not None:
                raise _Bad("publicity_source cites the item's own publicity_months; it has none")
            return graded, settings["penalty_publicity_source"]
        months = _months(value, "publicity_months")
        if months != graded and source is None:
            raise _Bad(f"publicity_months {months.min_months}-{months.max_months} deviate from the "
                       f"{severity.value} grade {graded.min_months}-{graded.max_months}: cite the rule that sets "
                       "them in publicity_source")
        return months, _text(source, "publicity_source") if source is not None else settings["penalty_publicity_source"]

    @staticmethod
    def in_force(value: Any) -> tuple[date, date | None]:
        raw = _mapping(value, "in_force", {"from"}, {"until"})
        start = _date(raw["from"], "in_force.from")
        end = None if raw.get("until") is None else _date(raw["until"], "in_force.until")
        if end is not None and end < start:
            raise _Bad(f"in_force.until {end} is before in_force.from {start}")
        return start, end

    def fields(self, value: Any, item_code: str, family: RecordFamily | None
               ) -> tuple[FieldSpec, ...]:
        specs: list[FieldSpec] = []
        for index, raw in enumerate(_list(value, "fields"), start=1):
            raw = _mapping(raw, f"field #{index}", {"name", "label", "type"},
                           _FIELD_KEYS - {"name", "label", "type"})
            specs.append(self.field(raw, item_code))
        names = [s.name for s in specs]
        if not specs:
            raise _Bad("an item needs at least one field")
        if len(set(names)) != len(names):
            raise _Bad(f"duplicate field name(s): "
                       f"{', '.join(sorted({n for n in names if names.count(n) > 1}))}")
        if family is not None:
            by_name = {s.name: s for s in specs}
            for name, kind in FAMILY_FIELDS[family].items():
                if name not in by_name:
                    raise _Bad(f"family {family.value} needs standard field {name!r} ({kind})")
                if by_name[name].type not in _COMPATIBLE.get(kind, {kind}):
                    raise _Bad(f"standard field {name!r} of family {family.value} must be of "
                               f"type {kind}, not {by_name[name].type}")
        return tuple(specs)

    @staticmethod
    def field(raw: dict, item_code: str) -> FieldSpec:
        name = raw["name"]
        if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
            raise _Bad(f"field name {name!r} must be camelCase ASCII starting with a lower-case "
                       "letter")
        kind = raw["type"]
        if kind not in FIELD_TYPES:
            raise _Bad(f"field {name!r}: unknown type {kind!r} (expected one of "
                       f"{', '.join(FIELD_TYPES)})")
        values = raw.get("values")
        if kind == "enum":
            if (not isinstance(values, list) or not values
                    or not all(isinstance(v, str) and v for v in values)
                    or len(set(values)) != len(values)):
                raise _Bad(f"field {name!r}: an enum needs a list of distinct text values")
        elif values is not None:
            raise _Bad(f"field {name!r}: values are only for enum fields")
        limit = raw.get("max_length")
        if limit is not None:
            if kind not in DEFAULT_MAX_LENGTH:
                raise _Bad(f"field {name!r}: max_length is only for string and text fields")
            _int(limit, f"field {name!r} max_length", minimum=1)
        label = _text(raw["label"], f"field {name!r} label")
        unit = _Loader.unit(raw.get("unit"), name, kind, label)
        spec = FieldSpec(
            name=name, label=label, type=kind, unit=unit,
            required=_bool(raw.get("required", False), f"field {name!r} required"),
            max_length=limit, values=tuple(values or ()),
            personal=_bool(raw.get("personal", False), f"field {name!r} personal"),
            requires_consent=_bool(raw.get("requires_consent", False),
                                   f"field {name!r} requires_consent"))
        check_field_definition(item_code, spec)
        return spec

    @staticmethod
    def unit(value: Any, name: str, kind: str, label: str) -> Unit | None:
        """The field's unit: named by every decimal field, by no field that is not a number, and for a
        number the same as the unit its label shows in parentheses (the label is what clerks read)."""
        if value is None:
            if kind == "decimal":
                raise _Bad(f"field {name!r}: a decimal field needs a unit (one of "
                           f"{', '.join(u.value for u in Unit)})")
        elif kind not in _UNIT_TYPES:
            raise _Bad(f"field {name!r}: unit is only for decimal and integer fields")
        units = {u.value: u for u in Unit}
        if value is not None and value not in units:
            raise _Bad(f"field {name!r}: unknown unit {value!r} (expected one of {', '.join(units)})")
        unit = None if value is None else units[value]
        shown = _LABEL_UNIT.search(label)
        if kind in _UNIT_TYPES and shown and shown.group(1) in units and (unit is None or shown.group(1) != unit.value):
            raise _Bad(f"field {name!r}: the label {label!r} shows the unit {shown.group(1)}, the field "
                       f"says {unit.value if unit else 'none'}")
        return unit
