"""The root Query type."""

from __future__ import annotations

from typing import Optional

import strawberry
from strawberry.types import Info

from resolvers import catalogue as catalogue_resolvers
from resolvers import records as record_resolvers
from resolvers import subjects as subject_resolvers
from schema import audit, authorizations, collection, permits
from schema.enums import Category, SubjectKind
from schema.records import CreditRecord, record_object
from schema.types import CatalogueItemType, DepartmentType, SubjectType


@strawberry.type
class Query:
    @strawberry.field(description="One subject by its resident ID number or unified social credit code.")
    async def subject(self, info: Info, code: strawberry.ID) -> Optional[SubjectType]:
        row = await subject_resolvers.subject_by_code(info.context, code)
        return SubjectType(row=row) if row is not None else None

    @strawberry.field(description="Several subjects by code (at most 100), in the order asked; null if unknown.")
    async def subjects(self, info: Info, codes: list[strawberry.ID]) -> list[Optional[SubjectType]]:
        rows = await subject_resolvers.subjects_by_codes(info.context, codes)
        return [SubjectType(row=r) if r is not None else None for r in rows]

    @strawberry.field(description="Subjects whose name contains `name` (organisations only, for the public).")
    async def search_subjects(self, info: Info, name: str, first: Optional[int] = 20) -> list[SubjectType]:
        rows = await subject_resolvers.search_subjects(info.context, name, 20 if first is None else first)
        return [SubjectType(row=r) for r in rows]

    @strawberry.field(description="One record by id, if the reader may see it.")
    async def record(self, info: Info, id: strawberry.ID) -> Optional[CreditRecord]:
        row = await record_resolvers.record_by_id(info.context, id, info.path.as_list())
        return record_object(row) if row is not None else None

    @strawberry.field(description="The catalogue (目录) of the deployment's jurisdiction profile.")
    async def catalogue(self, info: Info, category: Optional[Category] = None,
                        subject_kind: Optional[SubjectKind] = None) -> list[CatalogueItemType]:
        rows = await catalogue_resolvers.catalogue(info.context, category, subject_kind)
        return [CatalogueItemType(row=r) for r in rows]

    my_authorizations: list[authorizations.AuthorizationType] = strawberry.field(
        resolver=authorizations.mine, description="The authorisations the calling subject has given (HC-22).")
    access_explanation: authorizations.AccessExplanation = strawberry.field(
        resolver=authorizations.explanation,
        description="Which policy line lets the caller read a record, each of its roles considered (for policy "
                    "authors). A record the caller may not see is answered exactly as one that does not exist.")

    query_permits: list[permits.QueryPermitType] = strawberry.field(
        resolver=permits.permits,
        description="Registered query permits, newest first (HC-23, XZ-18): for the credit centre's operators and "
                    "for auditors.")

    query_log: Optional[audit.QueryLogConnection] = strawberry.field(
        resolver=audit.query_log_field,
        description="The query log, newest first (auditors; HC-35). `refusedOnly` lists refusals for supervisors.")

    late_submissions: collection.LateSubmissionConnection = strawberry.field(
        resolver=collection.late_submissions,
        description="Records submitted after their catalogue item's deadline between from and to (Beijing days), "
                    "newest first (XZ-12, XZ-13): operators and auditors for any department, a department for its own.")
    late_submission_summary: list[collection.DepartmentLateness] = strawberry.field(
        resolver=collection.late_submission_summary,
        description="Per providing department: records submitted between from and to, how many late and by how "
                    "much, most late first, so the credit centre can send reminders (催报, XZ-13).")

    @strawberry.field(description="The departments of the deployment.")
    async def departments(self, info: Info) -> list[DepartmentType]:
        rows = await catalogue_resolvers.departments(info.context)
        return [DepartmentType(row=r) for r in rows]


@strawberry.type
class Mutation:
    grant_authorization: authorizations.GrantAuthorizationPayload = strawberry.mutation(
        resolver=authorizations.grant,
        description="A subject (token with `subject`) authorises a user or department to read its non-public "
                    "records within a scope, for a purpose and a time window (HC-22, XZ-18).")
    revoke_authorization: authorizations.RevokeAuthorizationPayload = strawberry.mutation(
        resolver=authorizations.revoke, description="Revoke one of your authorisations; holds from the next request.")
    register_query_permit: permits.RegisterQueryPermitPayload = strawberry.mutation(
        resolver=permits.register,
        description="The credit centre registers a department's approved written application (HC-23) or official "
                    "letter (XZ-18); queries that need it name its number as X-Query-Basis. Logged in the "
                    "submission log.")
    revoke_query_permit: permits.RevokeQueryPermitPayload = strawberry.mutation(
        resolver=permits.revoke,
        description="The credit centre revokes a query permit; it opens nothing from the next request on. Logged in "
                    "the submission log.")
    submit_records: collection.SubmitRecordsPayload = strawberry.mutation(
        resolver=collection.submit_records,
        description="A provider department submits records (at most 1,000 per call; HC-16, XZ-12): each input is "
                    "validated against the catalogue (SPEC 3.3) and gets an outcome; resending the same document "
                    "is safe (UNCHANGED). Manual entry uses this too, with channel MANUAL.")
    correct_record: collection.CorrectRecordPayload = strawberry.mutation(
        resolver=collection.correct_record,
        description="The providing department corrects one of its records, with a reason; the previous version "
                    "is kept (HC-18). Nobody else, the credit centre included, changes a record's content.")
