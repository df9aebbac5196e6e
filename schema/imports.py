"""Background imports as GraphQL sees them (issue 14): `importJob(id)` and `importJobs(first, after)`.

A file sent to `POST /import` becomes a job; these fields read its progress and result. A department
reads its own jobs, the credit centre's operators every department's; anyone else's job is null.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from ingest.import_jobs import JobState, report_name
from resolvers import import_jobs
from schema.collection import SubmissionMode
from schema.relay import NODE_ID_DESCRIPTION, Node
from schema.types import CatalogueItemType, DepartmentType, PageInfo


@strawberry.enum(name="ImportJobState", description="Where a background import is.")
class ImportJobState(enum.Enum):
    QUEUED = strawberry.enum_value(JobState.QUEUED.value, description=(
        "Accepted and waiting to run, or handed back by a server that stopped, for the next to resume."))
    RUNNING = strawberry.enum_value(JobState.RUNNING.value, description="Being imported, chunk by chunk.")
    SUCCEEDED = strawberry.enum_value(JobState.SUCCEEDED.value, description=(
        "Read to its end: every row is counted; rejected rows are in the error report."))
    FAILED = strawberry.enum_value(JobState.FAILED.value, description=(
        "Stopped before its end (see `error`); what the counts say is stored is stored. Send the file again to "
        "import the rest: stored rows come back as unchanged."))


@strawberry.type(description="A spreadsheet sent to `POST /import` and imported in the background (批量上传, "
                             "XZ-12). Counted as its chunks commit; exact once it has ended, also across a restart "
                             "of its server (rows it stored before the restart count as stored, not unchanged).")
class ImportJob(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " The id `POST /import` answered with "
                                  "(`Location: /import/jobs/{id}`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.row.public_id)

    @strawberry.field(description="Where the job is.")
    def state(self) -> ImportJobState:
        return ImportJobState(self.row.state)

    @strawberry.field(description="The file's name as it was sent (its last part).")
    def file_name(self) -> str:
        return self.row.file_name

    @strawberry.field(description="The catalogue item the rows are records of.")
    def catalogue_item(self, info: Info) -> Optional[CatalogueItemType]:
        found = info.context.reference.items.get(self.row.catalogue_item) if info.context.reference else None
        return CatalogueItemType(row=found) if found is not None else None

    @strawberry.field(description="The department that sent the file: the records' provider.")
    def department(self, info: Info) -> Optional[DepartmentType]:
        found = info.context.reference.departments.get(self.row.department_code) if info.context.reference else None
        return DepartmentType(row=found) if found is not None else None

    @strawberry.field(description="The user (token subject) who sent the file.")
    def submitted_by(self) -> Optional[str]:
        return self.row.user

    @strawberry.field(description="BEST_EFFORT stores the sound rows; ALL_OR_NOTHING stores nothing unless every "
                                  "row is sound.")
    def mode(self) -> SubmissionMode:
        return SubmissionMode(self.row.mode)

    @strawberry.field(description="Data rows in the file (rows); null until the job has started reading it.")
    def rows_total(self) -> Optional[int]:
        return self.row.rows_total

    @strawberry.field(description="Rows whose chunk has committed (rows), counted again from the first row "
                                  "when a job is resumed.")
    def rows_done(self) -> int:
        return self.row.rows_done

    @strawberry.field(description="Rows stored as new records by this job (rows).")
    def stored(self) -> int:
        return self.row.stored

    @strawberry.field(description="Rows whose identical record was stored already, by another import (rows).")
    def unchanged(self) -> int:
        return self.row.unchanged

    @strawberry.field(description="Rows refused; each fault is a line of the error report (rows).")
    def rejected(self) -> int:
        return self.row.rejected

    @strawberry.field(description="Sound rows not stored because an ALL_OR_NOTHING job had a rejected row (rows).")
    def not_stored(self) -> int:
        return self.row.not_stored

    @strawberry.field(description="Faults in the error report: a rejected row may have several (faults).")
    def problem_count(self) -> int:
        return self.row.problem_count

    @strawberry.field(description="Why a FAILED job stopped; null otherwise.")
    def error(self) -> Optional[str]:
        return self.row.error

    @strawberry.field(description="Times the job was started: more than 1 when a server stopped during it.")
    def attempts(self) -> int:
        return self.row.attempts

    @strawberry.field(description="The path of the row-level report FILE.errors.csv (UTF-8 with BOM: row, "
                                  "column, field, reason), downloaded with the same token; null until the job "
                                  "has ended.")
    def error_report_url(self) -> Optional[str]:
        from pathlib import Path

        ended = self.row.state in (JobState.SUCCEEDED.value, JobState.FAILED.value)
        if not ended or not (Path(self.row.folder) / report_name(self.row.file_name)).is_file():
            return None
        return f"/import/jobs/{self.row.public_id}/errors.csv"

    @strawberry.field(description="When the file was accepted.")
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(description="When the job first started; null while QUEUED for the first time.")
    def started_at(self) -> Optional[dt.datetime]:
        return self.row.started_at

    @strawberry.field(description="When the job ended; null until it has.")
    def finished_at(self) -> Optional[dt.datetime]:
        return self.row.finished_at


@strawberry.type(description="An import job and its cursor.")
class ImportJobEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the jobs that follow this one.")
    node: ImportJob = strawberry.field(description="The job.")


@strawberry.type(description="A page of import jobs, newest first.")
class ImportJobConnection:
    total_count: int = strawberry.field(description="Jobs the caller may read, on every page (jobs).")
    edges: list[ImportJobEdge] = strawberry.field(description="The jobs of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page is in the list.")


async def import_job(info: Info, id: Annotated[strawberry.ID, strawberry.argument(
        description="The id `POST /import` answered with.")]) -> Optional[ImportJob]:
    ctx = info.context
    row = await import_jobs.job_for(ctx.engine, ctx.principal, ctx.profile, str(id))
    return ImportJob(row=row) if row is not None else None


async def import_job_list(
        info: Info,
        first: Annotated[int, strawberry.argument(description="Jobs per page, 1 to 100.")] = 20,
        after: Annotated[Optional[str], strawberry.argument(
            description="The `endCursor` of the page before; none for the newest jobs.")] = None,
) -> ImportJobConnection:
    ctx = info.context
    page = await import_jobs.job_page(ctx.engine, ctx.principal, ctx.profile, first, after)
    edges = [ImportJobEdge(cursor=import_jobs.job_cursor(r), node=ImportJob(row=r)) for r in page.rows]
    return ImportJobConnection(total_count=page.total, edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))
