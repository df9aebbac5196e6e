"""Who may upload, cite and read an objection's evidence files (HC-29, XZ-22; issue 16).

Uploading (`POST /evidence`): the subject itself; its grantee, under a written authorisation
naming it (HC-22, with purpose and basis declared as for reading); the credit centre's operator
entering a written application. Each file is kept as the uploader's, for one subject.

Citing (`fileObjection(input: {evidenceIds})`): only the filer's own uploads for the record's
subject, not yet cited by another objection; anything else is NOT_FOUND (another's upload is not
revealed to exist) or DUPLICATE (already cited), and the objection is not filed.

Reading (`GET /evidence/{id}`, `Case.evidence`): the uploader and the subject; once an objection
cites the file, the credit centre's operators and the record's provider department; auditors.
Everyone else is answered as if the file did not exist.
"""

from __future__ import annotations

from functools import partial

from aiodataloader import DataLoader
from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.enums import DepartmentKind
from domain.principal import Principal
from domain.problems import Problem, ProblemCode
from resolvers.bounds import id_or_problem
from resolvers.context import RequestContext
from resolvers.errors import Conflict
from resolvers.node_ids import NodeKind, global_id
from store import evidence as store
from store.chain import append_submission_log
from store.models import Case

MAX_EVIDENCE = 20  # files one objection cites
PROVIDER_ROLES = frozenset({"officer", "submitter"})


def evidence_id(row: Row) -> str:
    """The file's global id, as `POST /evidence` answers it and `GET /evidence/{id}` takes it."""
    return global_id(NodeKind.EVIDENCE_FILE, row.id)


def evidence_url(row: Row) -> str:
    return f"/evidence/{evidence_id(row)}"


def is_centre_operator(principal: Principal, profile) -> bool:
    department = profile.departments.get(principal.department) if principal.department else None
    return "operator" in principal.roles and department is not None and department.kind is DepartmentKind.CREDIT_CENTRE


def is_auditor(principal: Principal, profile) -> bool:
    department = profile.departments.get(principal.department) if principal.department else None
    return "auditor" in principal.roles and department is not None and department.kind is DepartmentKind.SUPERVISOR


def may_read(principal: Principal, profile, row: Row, case: Row | None) -> bool:
    """The uploader, the subject, auditors; and, once a case cites it, the centre and the record's provider."""
    if principal.is_anonymous:
        return False
    if (principal.user is not None and principal.user == row.uploaded_by) or (
            principal.subject_code is not None and principal.subject_code == row.uploaded_for):
        return True
    if is_auditor(principal, profile):
        return True
    if case is None:
        return False
    return is_centre_operator(principal, profile) or (
        principal.department == case.provider_code and bool(PROVIDER_ROLES & principal.roles))


async def citing_problems(connection: AsyncConnection, ctx: RequestContext, given: list | None,
                          subject_code: str) -> tuple[list[int], list[Problem]]:
    """The ids `fileObjection` may attach (its filer's uploads for the subject, cited nowhere yet), or
    every fault, named `evidenceIds[i]`."""
    if not given:
        return [], []
    if len(given) > MAX_EVIDENCE:
        return [], [Problem("evidenceIds", f"evidenceIds: {len(given)} files; an objection cites at most "
                                           f"{MAX_EVIDENCE}")]
    problems: list[Problem] = []
    wanted: list[tuple[int, int]] = []
    for index, value in enumerate(given):
        ident = id_or_problem(value, f"evidenceIds[{index}]", "evidence file")
        if isinstance(ident, Problem):
            problems.append(ident)
        elif any(ident == seen for _, seen in wanted):
            problems.append(Problem(f"evidenceIds[{index}]", f"evidenceIds[{index}]: named twice",
                                    ProblemCode.DUPLICATE))
        else:
            wanted.append((index, ident))
    rows = {row.id: row for row in await store.evidence_rows(connection, [i for _, i in wanted])}
    user = ctx.principal.user
    for index, ident in wanted:
        row = rows.get(ident)
        field = f"evidenceIds[{index}]"
        if row is None or row.uploaded_by != user or row.uploaded_for != subject_code:
            problems.append(Problem(field, f"{field}: no evidence file {global_id(NodeKind.EVIDENCE_FILE, ident)} "
                                           "that you uploaded for this record's subject (POST /evidence)",
                                    ProblemCode.NOT_FOUND))
        elif row.case_id is not None:
            problems.append(Problem(field, f"{field}: evidence file {evidence_id(row)} is already cited by "
                                           "another objection; upload it again for this one", ProblemCode.DUPLICATE))
    return [i for _, i in wanted], problems


async def _evidence_of_cases(ctx: RequestContext, case_ids: list[int]) -> list[list[Row]]:
    async with ctx.engine.connect() as connection:
        found = await store.evidence_of_cases(connection, case_ids)
    return [found[i] for i in case_ids]


def evidence_loader(ctx: RequestContext) -> DataLoader:
    """This request's loader of the files each case cites: one statement per page of cases."""
    found = vars(ctx).get("_evidence_loader")
    if found is None:
        found = vars(ctx)["_evidence_loader"] = DataLoader(partial(_evidence_of_cases, ctx))
    return found


async def cite(connection: AsyncConnection, ctx: RequestContext, case_id: int, evidence_ids: list[int]) -> None:
    """Attach the checked files to the new objection case, in its transaction, with a submission-log
    entry naming them by hash (HC-35); a file another filing took meanwhile is a lost race (CONFLICT)."""
    if not evidence_ids:
        return
    if await store.attach(connection, case_id, evidence_ids) != len(set(evidence_ids)):
        raise Conflict("an evidence file was cited by another objection at the same time; nothing was filed: "
                       "file again")
    rows = await store.evidence_rows(connection, evidence_ids)
    await append_submission_log(connection, user=ctx.principal.user, department=ctx.principal.department,
                                action="EVIDENCE_CITED", channel="API", detail={
                                    "case_id": case_id, "evidence": [{"id": r.id, "sha256": r.sha256} for r in rows]})


_CASE = select(Case.__table__.c.id, Case.__table__.c.provider_code, Case.__table__.c.subject_code).where(
    Case.__table__.c.id == bindparam("case_id"))


async def citing_case(connection: AsyncConnection, row: Row) -> Row | None:
    """The objection case that cites the file (its provider is a party), or None."""
    if row.case_id is None:
        return None
    return (await connection.execute(_CASE, {"case_id": row.case_id})).one_or_none()
