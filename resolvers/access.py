"""Turning the policies' answers into what one request may see.

Built once per request (before any field resolves): the reader's roles, what it declared, and
the policy answers per (role, class, item), cached by the policy engine across requests. Field
checks and explanations reuse the same answers; nothing here calls Casbin per row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.disclosure import status_on
from domain.enums import Purpose, RecordStatus
from domain.principal import Principal
from policies.engine import CASE, DECLARED, NONE, PERMIT, Decision, PolicyEngine
from resolvers.authorizations import applicable_grants, authorizations_held, unrevoked_grants, why_not_applicable
from resolvers.grant_cache import cache_for
from resolvers.permits import covers, permit_named, why_not_valid
from resolvers.errors import Forbidden
from resolvers.node_ids import authorisation_named, record_named
from resolvers.scope import PUBLIC_SCOPE, UNRESTRICTED_SCOPE, PairSet, RecordScope, SubjectRight, compress
from resolvers.node_ids import NodeKind, decode, looks_global
from store.models import Case, Record

# Roles a token may carry in its `roles` claim; each must come with a department.
TOKEN_ROLES = ("officer", "agency", "operator", "auditor")
# What an operator is told when it declared something but its basis opens no case (SPEC 3.1:
# "only the records of the subject of an open case ... that the basis names").
OPERATOR_NEEDS_CASE = (
    "credit-centre operators read non-public records only for the subject of an open case the centre handles "
    "(revocation, repair, honour deletion), named in X-Query-Basis as `case:<number>` (or the case's id) with "
    "X-Query-Purpose (SPEC 3.1): {why}; operators read PUBLIC records otherwise")
_CASE_BASIS = re.compile(r"case:([0-9]{1,19})", re.IGNORECASE | re.ASCII)
_OPEN_CASE = select(Case.__table__.c.id, Case.__table__.c.subject_code).where(
    Case.__table__.c.id == bindparam("case_id"), Case.__table__.c.closed_at.is_(None))


def case_named(basis: str | None) -> int | None:
    """The case number a basis names: `case:<number>`, or a case's global id; None otherwise."""
    text = (basis or "").strip()
    match = _CASE_BASIS.fullmatch(text)
    if match is not None:
        number = int(match.group(1))
        return number if 1 <= number < 2 ** 63 else None
    if looks_global(text):
        try:
            kind, key = decode(text)
        except ValueError:
            return None
        if kind is NodeKind.CASE and key.isascii() and key.isdigit() and len(key) <= 19 and 1 <= int(key) < 2 ** 63:
            return int(key)
    return None


@dataclass(frozen=True)
class Notice:
    """A PURPOSE_REQUIRED error the answer carries: records were withheld for want of a declaration.
    `missing` names the headers' values not declared (`purpose`, `basis`), so a client can tell which
    to ask its user for without reading the message; one code for both keeps clients that match on
    PURPOSE_REQUIRED working."""

    message: str
    missing: tuple[str, ...] = ()

    def extensions(self) -> dict:
        return {"code": "PURPOSE_REQUIRED", **({"missing": list(self.missing)} if self.missing else {})}


_HEADER_OF = {"purpose": "X-Query-Purpose", "basis": "X-Query-Basis"}


def undeclared(purpose: Purpose | None, basis: str | None) -> tuple[str, ...]:
    """Which of the purpose and the basis a request did not declare (a blank basis is none)."""
    return tuple(name for name, value in (("purpose", purpose), ("basis", basis and basis.strip())) if not value)


@dataclass(frozen=True)
class Reader:
    """Who reads, as the policies see it."""

    principal: Principal
    roles: tuple[str, ...]  # general roles: public plus those of the token
    dept: str
    cond: str  # none / declared (a purpose and a basis) / case (an operator's basis names an open case)

    @classmethod
    def of(cls, principal: Principal, purpose: Purpose | None, basis: str | None) -> "Reader":
        roles = ["public"]
        if principal.department:
            roles += [r for r in TOKEN_ROLES if r in principal.roles]
        cond = DECLARED if purpose is not None and basis and basis.strip() else NONE
        return cls(principal=principal, roles=tuple(roles), dept=principal.department or "", cond=cond)

    @property
    def general_cond(self) -> str:
        """A case basis opens the case's subject only, never every subject."""
        return NONE if self.cond == CASE else self.cond


@dataclass
class Access:
    """The request's access decisions, reused by every field."""

    policies: PolicyEngine | None
    reader: Reader
    scope: RecordScope
    notices: list[Notice] = field(default_factory=list)
    # The (class, item) pairs the query permit named by the basis opens (HC-23, XZ-18), if any.
    permit_pairs: frozenset = frozenset()
    permit_number: str | None = None

    def cond_for(self, cls: str, item: str) -> str:
        """The request's condition for one (class, item): `permit` where its permit covers it."""
        return PERMIT if (cls, item) in self.permit_pairs else self.reader.general_cond

    def _relations(self, row: Row | None) -> list[tuple[str, str]]:
        """(role, cond) pairs that apply to this record beyond the general roles."""
        relations = [(role, self.reader.general_cond) for role in self.reader.roles]
        if row is None:
            return relations
        if self.reader.dept and getattr(row, "provider_code", None) == self.reader.dept:
            relations.append(("provider", self.reader.cond))
        right = self.scope.right_for(getattr(row, "subject_code", None) or getattr(row, "code", ""))
        if right is not None:
            relations.append((right.role, self.reader.cond))
        return relations

    def field_decision(self, field_name: str, row: Row | None) -> Decision:
        if self.policies is None or not self.policies.enabled:
            return Decision(True, "policies switched off")
        for role, cond in self._relations(row):
            decision = self.policies.allows(role, self.reader.dept, f"field:{field_name}", cond)
            if decision.allowed:
                return decision
        return Decision(False, None)

    def require_field(self, field_name: str, row: Row | None, path: list) -> None:
        """Synchronous: raises FORBIDDEN naming the missing rule when no policy allows the field."""
        if self.field_decision(field_name, row).allowed:
            return
        roles = ", ".join(role for role, _ in self._relations(row))
        raise Forbidden(
            f"field {field_name} refused: no policy line allows roles ({roles}) the action "
            f"field:{field_name} (condition {self.reader.cond}); deny by default",
            rule=f"field:{field_name}", path="/".join(str(p) for p in path),
        )


def _pairs(policies: PolicyEngine, role: str, dept: str, cond: str) -> frozenset:
    return policies.allowed_pairs(role, dept, cond)


def _union(policies: PolicyEngine, roles, dept: str, cond: str) -> frozenset:
    return frozenset().union(*(_pairs(policies, r, dept, cond) for r in roles))


async def build_access(engine: AsyncEngine, policies: PolicyEngine | None, principal: Principal,
                       purpose: Purpose | None, basis: str | None, now: dt.datetime,
                       withhold_late_objections: bool = False) -> Access:
    """The request's scope: policy answers per (role, class, item, condition) from the engine's
    cache, plus at most two lookups (the reader's authorisations, the permit its basis names)."""
    reader = Reader.of(principal, purpose, basis)
    if policies is None:
        return Access(None, reader, replace(PUBLIC_SCOPE, withhold_late_objections=withhold_late_objections))
    if not policies.enabled:
        return Access(policies, reader, UNRESTRICTED_SCOPE)
    case, case_problem = await _case_of(engine, reader, basis)
    if case is not None:
        reader = replace(reader, cond=CASE)
    universe, dept, cond = policies.pairs, reader.dept, reader.general_cond
    general_pairs = _union(policies, reader.roles, dept, cond)
    notices = []
    if cond == NONE:
        with_purpose = _union(policies, reader.roles, dept, DECLARED) | _union(policies, reader.roles, dept, PERMIT)
        if with_purpose - general_pairs:
            missing = undeclared(purpose, basis)
            notices.append(Notice("non-public records were withheld: declare "
                                  f"{' and '.join(_HEADER_OF[m] for m in missing)} (HC-23, XZ-18) to read what your "
                                  "role allows", missing))
    if "operator" in reader.roles and case is None and (purpose is not None or basis):
        notices.append(Notice(OPERATOR_NEEDS_CASE.format(why=case_problem)))
    unmasked = any(policies.allows(r, dept, "unmask", cond).allowed for r in reader.roles)
    archived_too = "auditor" in reader.roles and cond != NONE
    provider_pairs = PairSet()
    if dept:
        provider_pairs = compress(_pairs(policies, "provider", dept, cond), universe)
    subjects: list[SubjectRight] = []
    if principal.subject_code:
        subjects.append(SubjectRight(principal.subject_code, compress(_pairs(policies, "self", dept, cond), universe),
                                     archived_too=True, role="self"))
    if case is not None:  # the case's subject, archived and repaired records too (SPEC 3.1, 3.2)
        subjects.append(SubjectRight(case.subject_code, compress(_pairs(policies, "operator", dept, CASE), universe),
                                     archived_too=True, role="operator"))
    permit_pairs: frozenset = frozenset()
    permit_number = None
    if not principal.is_anonymous:
        # what only a query permit would open: asked of the cached answers, no database work
        needs_permit = _union(policies, reader.roles, dept, PERMIT) - general_pairs if cond == DECLARED and dept \
            else frozenset()
        rights = cache_for(engine)  # the rows behind permits and grants: no database work when cached
        if needs_permit:
            number = basis.strip()
            permit = await rights.get(engine, ("permit", number), lambda c: permit_named(c, number))
            problem = why_not_valid(permit, basis, dept, now)
            if problem is None:
                permit_number = permit.number
                permit_pairs = frozenset(p for p in needs_permit if covers(permit, p))
                general_pairs |= permit_pairs
                outside = needs_permit - permit_pairs
                if outside:
                    notices.append(Notice(f"query permit {permit.number} does not cover class or item "
                                          f"{_pair_list(outside, universe)}: those records were withheld "
                                          "(HC-23, XZ-18)"))
            else:
                notices.append(Notice(f"records of {_pair_list(needs_permit, universe)} were withheld: they need a "
                                      "valid query permit of your department (HC-23 written application, XZ-18 "
                                      f"official letter) named in X-Query-Basis, and {problem}"))
        # a grantee reads with a purpose and a basis (HC-22, XZ-18): the purpose must be the
        # authorisation's, and the basis names the written authorisation relied on
        grants = []
        if cond == DECLARED and purpose is not None:
            held = await rights.get(engine, ("grants", principal.user, principal.department),
                                    lambda c: unrevoked_grants(c, principal))
            grants = applicable_grants(held, purpose, now)
        grantee_pairs = _pairs(policies, "grantee", dept, cond)
        for grant in grants:
            if grant.subject_code == principal.subject_code:
                continue
            scoped = frozenset(p for p in grantee_pairs
                               if p[0] in grant.scope_classes or p[1] in grant.scope_items)
            subjects.append(SubjectRight(grant.subject_code, compress(scoped, universe),
                                         authorization_id=grant.id, role="grantee"))
    # SPEC 3.2: penalty publicity governs public display; departments read per class until disclosure ends
    departmental = cond != NONE and any(r in ("officer", "auditor") for r in reader.roles)
    scope = RecordScope(general=compress(frozenset(general_pairs), universe), provider=dept or None,
                        provider_pairs=provider_pairs, subjects=tuple(subjects), archived_too=archived_too,
                        unmasked=unmasked, departmental=departmental,
                        withhold_late_objections=withhold_late_objections)
    return Access(policies, reader, scope, notices, permit_pairs=permit_pairs, permit_number=permit_number)


async def _case_of(engine: AsyncEngine, reader: Reader, basis: str | None) -> tuple[Row | None, str]:
    """The open case an operator's basis names (one lookup, operators naming a case only), or why none."""
    if "operator" not in reader.roles:
        return None, ""
    number = case_named(basis)
    if number is None:
        return None, "the basis names no case"
    if reader.cond != DECLARED:
        return None, "no X-Query-Purpose was declared"
    async with engine.connect() as connection:
        case = (await connection.execute(_OPEN_CASE, {"case_id": number})).first()
    return (case, "") if case is not None else (None, f"case {number} does not exist or is closed")


def _pair_list(pairs, universe) -> str:
    """Pairs for a message: a class whose every item is named by the class alone, else class/item."""
    compressed = compress(frozenset(pairs), universe)
    shown = [f"class {cls}" for cls in sorted(compressed.classes)]
    shown += [f"{cls}/{item}" for cls, items in compressed.class_items for item in sorted(items)]
    return ", ".join(shown[:10]) + (f" and {len(shown) - 10} more" if len(shown) > 10 else "")


@dataclass(frozen=True)
class Explanation:
    record_id: int
    allowed: bool
    decided_by: str | None
    reasons: list[str]


def not_found(record_id: int) -> "Explanation":
    """The answer for a record that does not exist and for one the caller may not see: the same
    words, so that an explanation never tells a reader what it may not read (SPEC 3.1)."""
    return Explanation(record_id, False, None, [
        f"no {record_named(record_id)} that you may read: it does not exist, or your roles, department, purpose, "
        "basis, authorisations and query permits do not open it (declare X-Query-Purpose and X-Query-Basis "
        "if your role reads non-public records)"])


async def explain(engine: AsyncEngine, access: Access, record_id: int, purpose: Purpose | None,
                  today: dt.date, now: dt.datetime) -> Explanation:
    """Which policy line lets the reader read a record it may see, each role considered.

    A record the reader may not see is explained exactly as a record that does not exist.
    """
    policies, reader = access.policies, access.reader
    if policies is None:
        return Explanation(record_id, False, None, ["policies are not loaded"])
    if not (access.scope.all_records or await _visible(engine, access, record_id, today)):
        return not_found(record_id)
    async with engine.connect() as connection:
        row = (await connection.execute(select(Record.__table__).where(Record.id == record_id))).one_or_none()
        held = [] if reader.principal.is_anonymous or row is None else \
            await authorizations_held(connection, reader.principal, row.subject_code)
    if row is None:
        return not_found(record_id)
    reasons: list[str] = []
    state = status_on(row.status, row.disclosure_ends_on, today)
    cond = access.cond_for(row.visibility, row.catalogue_item_code)
    reasons.append(f"{record_named(row.id)}: class {row.visibility}, item {row.catalogue_item_code}, status {state}; "
                   f"you: roles {', '.join(reader.roles)}, department {reader.dept or '-'}, condition {cond}"
                   + (f" (query permit {access.permit_number})" if cond == PERMIT else ""))
    candidates = [(role, "any subject", cond) for role in reader.roles]
    if reader.dept and row.provider_code == reader.dept:
        candidates.append(("provider", "your department provided it", reader.cond))
    if reader.principal.subject_code == row.subject_code:
        candidates.append(("self", "it is about you", reader.cond))
    right = access.scope.right_for(row.subject_code)
    if right is not None and right.role in ("grantee", "operator"):
        candidates.append((right.role, authorisation_named(right.authorization_id) if right.authorization_id
                           else "the case named in X-Query-Basis", reader.cond))
    for grant in held:
        why = why_not_applicable(grant, purpose, now)
        if why:
            reasons.append(why)
        elif reader.cond == NONE:
            reasons.append(f"{authorisation_named(grant.id)} applies only with X-Query-Basis as well as "
                           "X-Query-Purpose")
        elif not (row.visibility in grant.scope_classes or row.catalogue_item_code in grant.scope_items):
            reasons.append(f"{authorisation_named(grant.id)} does not cover class {row.visibility} or item "
                           f"{row.catalogue_item_code}")
    decided_by = None
    for role, why, role_cond in candidates:
        decision = policies.decide(role, reader.dept, row.visibility, row.catalogue_item_code, "read", role_cond)
        reasons.append(f"role {role} ({why}): {decision.explanation}")
        if decision.allowed and decided_by is None:
            live_only = role not in ("self", "provider") and not (role == "auditor" and reader.cond != NONE) and \
                not (role == "operator" and right is not None and right.role == "operator")
            if live_only and state != RecordStatus.ACTIVE.value:
                reasons.append(f"the record is {state}: role {role} reads active records only (HC-19, SPEC 3.2)")
                continue
            decided_by = decision.rule
    return Explanation(record_id, True, decided_by, reasons)


async def _visible(engine: AsyncEngine, access: Access, record_id: int, today: dt.date) -> bool:
    from resolvers.scope import scope_filter

    async with engine.connect() as connection:
        found = (await connection.execute(select(Record.id).where(
            Record.id == record_id, scope_filter(access.scope, today)))).scalar()
    return found is not None
