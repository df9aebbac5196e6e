"""Turning the policies' answers into what one request may see.

Built once per request (before any field resolves): the reader's roles, what it declared, and
the policy answers per (role, class, item), cached by the policy engine across requests. Field
checks and explanations reuse the same answers; nothing here calls Casbin per row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.disclosure import status_on
from domain.enums import Purpose, RecordStatus
from domain.principal import Principal
from policies.engine import CASE, DECLARED, NONE, Decision, PolicyEngine
from resolvers.authorizations import applicable_grants, authorizations_held, why_not_applicable
from resolvers.errors import Forbidden
from resolvers.scope import PUBLIC_SCOPE, UNRESTRICTED_SCOPE, PairSet, RecordScope, SubjectRight, compress
from store.models import Objection, Record

# Roles a token may carry in its `roles` claim; each must come with a department.
TOKEN_ROLES = ("officer", "agency", "operator", "auditor")
# A basis naming a case the credit centre handles: `objection:12` or `repair:345` (a record id).
CASE_BASIS = re.compile(r"^(objection|repair):(\d{1,18})$", re.IGNORECASE)


@dataclass(frozen=True)
class Reader:
    """Who reads, as the policies see it."""

    principal: Principal
    roles: tuple[str, ...]  # general roles: public plus those of the token
    dept: str
    cond: str  # none / declared / case

    @classmethod
    def of(cls, principal: Principal, purpose: Purpose | None, basis: str | None) -> "Reader":
        roles = ["public"]
        if principal.department:
            roles += [r for r in TOKEN_ROLES if r in principal.roles]
        if basis and CASE_BASIS.match(basis):
            cond = CASE
        elif purpose is not None and basis:
            cond = DECLARED
        else:
            cond = NONE
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
    notices: list[str] = field(default_factory=list)

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


async def build_access(engine: AsyncEngine, policies: PolicyEngine | None, principal: Principal,
                       purpose: Purpose | None, basis: str | None, now: dt.datetime) -> Access:
    reader = Reader.of(principal, purpose, basis)
    if policies is None:
        return Access(None, reader, PUBLIC_SCOPE)
    if not policies.enabled:
        return Access(policies, reader, UNRESTRICTED_SCOPE)
    universe, dept, cond = policies.pairs, reader.dept, reader.general_cond
    general_pairs = frozenset().union(*(_pairs(policies, r, dept, cond) for r in reader.roles))
    notices = []
    if cond == NONE:
        with_purpose = frozenset().union(*(_pairs(policies, r, dept, DECLARED) for r in reader.roles))
        if with_purpose - general_pairs:
            notices.append("non-public records were withheld: declare X-Query-Purpose and X-Query-Basis "
                           "(HC-23, XZ-18) to read what your role allows")
    unmasked = any(policies.allows(r, dept, "unmask", cond).allowed for r in reader.roles)
    archived_too = "auditor" in reader.roles and cond != NONE
    provider_pairs = PairSet()
    if dept:
        provider_pairs = compress(_pairs(policies, "provider", dept, cond), universe)
    subjects: list[SubjectRight] = []
    if principal.subject_code:
        subjects.append(SubjectRight(principal.subject_code, compress(_pairs(policies, "self", dept, cond), universe),
                                     archived_too=True, role="self"))
    if not principal.is_anonymous:
        async with engine.connect() as connection:
            grantee_pairs = _pairs(policies, "grantee", dept, cond)
            for grant in await applicable_grants(connection, principal, purpose, now):
                if grant.subject_code == principal.subject_code:
                    continue
                scoped = frozenset(p for p in grantee_pairs
                                   if p[0] in grant.scope_classes or p[1] in grant.scope_items)
                subjects.append(SubjectRight(grant.subject_code, compress(scoped, universe),
                                             authorization_id=grant.id, role="grantee"))
            match = CASE_BASIS.match(basis or "")
            if match and "operator" in reader.roles:
                subject = await _case_subject(connection, match.group(1).lower(), int(match.group(2)))
                if subject:
                    case_pairs = _pairs(policies, "operator", dept, CASE)
                    subjects.append(SubjectRight(subject, compress(case_pairs, universe), archived_too=True,
                                                 role="operator"))
    scope = RecordScope(general=compress(general_pairs, universe), provider=dept or None,
                        provider_pairs=provider_pairs, subjects=tuple(subjects), archived_too=archived_too,
                        unmasked=unmasked)
    return Access(policies, reader, scope, notices)


async def _case_subject(connection, kind: str, ident: int) -> str | None:
    """The subject a case is about: an objection's subject, or a record under repair."""
    if kind == "objection":
        return (await connection.execute(select(Objection.subject_code).where(Objection.id == ident))).scalar()
    return (await connection.execute(select(Record.subject_code).where(Record.id == ident))).scalar()


@dataclass(frozen=True)
class Explanation:
    record_id: int
    allowed: bool
    decided_by: str | None
    reasons: list[str]


async def explain(engine: AsyncEngine, access: Access, record_id: int, purpose: Purpose | None,
                  today: dt.date, now: dt.datetime) -> Explanation:
    """Why the reader may or may not read a record: each role considered, and the deciding line."""
    async with engine.connect() as connection:
        row = (await connection.execute(select(Record.__table__).where(Record.id == record_id))).one_or_none()
        held = [] if access.reader.principal.is_anonymous or row is None else \
            await authorizations_held(connection, access.reader.principal, row.subject_code)
    if row is None:
        return Explanation(record_id, False, None, [f"no record {record_id}"])
    policies, reader = access.policies, access.reader
    if policies is None:
        return Explanation(record_id, False, None, ["policies are not loaded"])
    reasons: list[str] = []
    state = status_on(row.status, row.disclosure_ends_on, today)
    reasons.append(f"record {row.id}: class {row.visibility}, item {row.catalogue_item_code}, status {state}; "
                   f"you: roles {', '.join(reader.roles)}, department {reader.dept or '-'}, condition {reader.cond}")
    candidates = [(role, "any subject", reader.general_cond) for role in reader.roles]
    if reader.dept and row.provider_code == reader.dept:
        candidates.append(("provider", "your department provided it", reader.cond))
    if reader.principal.subject_code == row.subject_code:
        candidates.append(("self", "it is about you", reader.cond))
    right = access.scope.right_for(row.subject_code)
    if right is not None and right.role in ("grantee", "operator"):
        candidates.append((right.role, f"authorisation {right.authorization_id}" if right.authorization_id
                           else "the case named in X-Query-Basis", reader.cond))
    for grant in held:
        why = why_not_applicable(grant, purpose, now)
        if why:
            reasons.append(why)
        elif not (row.visibility in grant.scope_classes or row.catalogue_item_code in grant.scope_items):
            reasons.append(f"authorisation {grant.id} does not cover class {row.visibility} or item "
                           f"{row.catalogue_item_code}")
    decided_by = None
    for role, why, cond in candidates:
        decision = policies.decide(role, reader.dept, row.visibility, row.catalogue_item_code, "read", cond)
        reasons.append(f"role {role} ({why}): {decision.explanation}")
        if decision.allowed and decided_by is None:
            live_only = role not in ("self", "provider") and not (role == "auditor" and reader.cond != NONE) and \
                not (role == "operator" and right is not None and right.role == "operator")
            if live_only and state != RecordStatus.ACTIVE.value:
                reasons.append(f"the record is {state}: role {role} reads active records only (HC-19, SPEC 3.2)")
                continue
            decided_by = decision.rule
    visible_now = access.scope.all_records or await _visible(engine, access, record_id, today)
    return Explanation(record_id, visible_now, decided_by if visible_now else None, reasons)


async def _visible(engine: AsyncEngine, access: Access, record_id: int, today: dt.date) -> bool:
    from resolvers.scope import scope_filter

    async with engine.connect() as connection:
        found = (await connection.execute(select(Record.id).where(
            Record.id == record_id, scope_filter(access.scope, today)))).scalar()
    return found is not None
