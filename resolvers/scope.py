"""What a reader may see, as data, and the SQL filter made from it.

The policies answer with (visibility class, catalogue item) pairs; this module compresses them
(a class allowed for every item becomes `visibility IN (...)`) and turns them into one WHERE
clause, so refused records are never loaded and counts and pages cover only what may be seen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true

from domain.enums import CaseKind, CaseParty, RecordStatus, Visibility
from store.models import Case, Record

R = Record.__table__.c
C = Case.__table__.c
Pairs = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class PairSet:
    """Allowed (class, item) pairs: whole classes, plus single items of other classes."""

    classes: frozenset[str] = frozenset()
    class_items: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.classes and not self.class_items

    def covers(self, cls: str, item: str) -> bool:
        return cls in self.classes or any(c == cls and item in items for c, items in self.class_items)

    def clause(self) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if self.classes:
            parts.append(R.visibility.in_(sorted(self.classes)))
        for cls, items in self.class_items:
            parts.append(and_(R.visibility == cls, R.catalogue_item_code.in_(sorted(items))))
        return or_(*parts) if parts else false()


ALL_PAIRS = PairSet(classes=frozenset(v.value for v in Visibility))


@lru_cache(maxsize=1024)
def compress(allowed: Pairs, universe: Pairs) -> PairSet:
    """Pairs as SQL-friendly classes; cached, since the same answers recur on every request."""
    classes, class_items = set(), []
    for cls in sorted({c for c, _ in universe}):
        every = {i for c, i in universe if c == cls}
        granted = {i for c, i in allowed if c == cls}
        if granted and granted == every:
            classes.add(cls)
        elif granted:
            class_items.append((cls, frozenset(granted)))
    return PairSet(frozenset(classes), tuple(class_items))


@dataclass(frozen=True)
class SubjectRight:
    """Rights over one subject's records: the subject itself, a grantee, or a case (operator)."""

    subject_code: str
    pairs: PairSet
    archived_too: bool = False  # the subject itself and a case handler also see archived, repaired and revoked records
    authorization_id: int | None = None
    role: str = "self"


@dataclass(frozen=True)
class RecordScope:
    """The records a reader may see.

    - `general`: pairs readable for any subject (PUBLIC for everyone; SHARED for departments
      with purpose and basis; LIMITED items whose share list names the department).
    - `provider` / `provider_pairs`: the reader's department sees its own records, always.
    - `subjects`: rights over particular subjects (itself, authorisations, a case).
    - `archived_too`: auditors with a basis see archived records as well, and repaired ones (HC-31).
    - `departmental`: a department (officer or auditor with purpose and basis) reads PUBLIC records per
      their class until their disclosure ends; every other reader of the general pairs sees a PUBLIC
      record only while it is on public display (`publicity_ends_on`, SPEC 3.2).
    - `unmasked`: natural persons' identifiers shown in full for every subject (departments).
    - `withhold_late_objections`: every reader of the general pairs but departments loses a record
      whose objection's provider missed its day (HC-29; never under Xinzheng, XZ-24).
    - `all_records`: policies switched off (benchmarks only).
    """

    general: PairSet = PairSet(classes=frozenset({Visibility.PUBLIC.value}))
    provider: str | None = None
    provider_pairs: PairSet = PairSet()
    subjects: tuple[SubjectRight, ...] = ()
    archived_too: bool = False
    unmasked: bool = False
    all_records: bool = False
    departmental: bool = False
    withhold_late_objections: bool = False  # HC-29 中止: the profile's objection.suspend_when_provider_late

    def right_for(self, subject_code: str) -> SubjectRight | None:
        return next((s for s in self.subjects if s.subject_code == subject_code), None)

    def sees_personal_data_of(self, subject_code: str) -> bool:
        """Whether a natural person's identifiers are shown in full (SPEC 3.1, last paragraph)."""
        return self.unmasked or self.all_records or self.right_for(subject_code) is not None


PUBLIC_SCOPE = RecordScope()
UNRESTRICTED_SCOPE = RecordScope(general=ALL_PAIRS, archived_too=True, unmasked=True, all_records=True)


def live(today: dt.date) -> ColumnElement[bool]:
    """Records answered to ordinary readers: active and still within their disclosure period."""
    return and_(
        R.status == RecordStatus.ACTIVE.value,
        or_(R.disclosure_ends_on.is_(None), R.disclosure_ends_on >= today),
    )


def archived(today: dt.date) -> ColumnElement[bool]:
    """Archived records: swept to ARCHIVED, or active with a period that has already ended."""
    return or_(
        R.status == RecordStatus.ARCHIVED.value,
        and_(R.status == RecordStatus.ACTIVE.value, R.disclosure_ends_on < today),
    )


def on_public_display(today: dt.date) -> ColumnElement[bool]:
    """PUBLIC records still shown to the public: an administrative penalty leaves public view after its
    grade's publicity period (SPEC 3.2), decided by date at read time, whatever a sweep has written."""
    return or_(R.visibility != Visibility.PUBLIC.value, R.publicity_ends_on.is_(None), R.publicity_ends_on >= today)


def withheld_from_public(today: dt.date) -> ColumnElement[bool]:
    """HC-29 中止向社会提供: an open objection whose provider's last day has passed (the due day itself
    is still in time), decided by date at read time, whatever a sweep has written."""
    return exists(select(C.id).where(
        C.record_id == R.id, C.kind == CaseKind.OBJECTION.value, C.closed_at.is_(None),
        C.next_party == CaseParty.PROVIDER.value, C.due_on < today))


# Records off the query interface that some readers still see, marked with their status:
# REPAIRED (HC-31: the subject and auditors) and REVOKED, reported but not yet deleted (HC-30: the
# subject sees all of its own records whatever their status, SPEC 3.2; an operator on its case).
SHOWN_TO_AUDITORS = (RecordStatus.REPAIRED.value,)
SHOWN_TO_SUBJECT = (RecordStatus.REPAIRED.value, RecordStatus.REVOKED.value)


@lru_cache(maxsize=64)
def status_filter(status: RecordStatus, today: dt.date) -> ColumnElement[bool]:
    if status is RecordStatus.ACTIVE:
        return live(today)
    if status is RecordStatus.ARCHIVED:
        return archived(today)
    return R.status == status.value


@lru_cache(maxsize=512)
def scope_filter(scope: RecordScope, today: dt.date) -> ColumnElement[bool]:
    """The WHERE clause for `scope`: a record is visible if any of the reader's rights covers it.

    Cached: scopes recur (same roles, same policies), and building the expression costs more
    than running a small query.
    """
    if scope.all_records:
        return true()
    is_live = live(today)
    live_or_archived = or_(is_live, archived(today))
    clauses: list[ColumnElement[bool]] = []
    if not scope.general.empty:
        states = or_(live_or_archived, R.status.in_(SHOWN_TO_AUDITORS)) if scope.archived_too else is_live
        general = and_(states, scope.general.clause())
        if not scope.departmental:
            general = and_(general, on_public_display(today))
            if scope.withhold_late_objections:
                general = and_(general, not_(withheld_from_public(today)))
        clauses.append(general)
    if scope.provider and not scope.provider_pairs.empty:
        clauses.append(and_(R.provider_code == scope.provider, scope.provider_pairs.clause()))
    for right in scope.subjects:
        if right.pairs.empty:
            continue
        states = or_(live_or_archived, R.status.in_(SHOWN_TO_SUBJECT)) if right.archived_too else is_live
        clauses.append(and_(R.subject_code == right.subject_code, states, right.pairs.clause()))
    return or_(*clauses) if clauses else false()
