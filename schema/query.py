"""The root Query type."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from resolvers import catalogue as catalogue_resolvers
from resolvers import history
from resolvers import records as record_resolvers
from resolvers import subjects as subject_resolvers
from resolvers.bounds import DEFAULT_FIRST
from schema import audit, authorizations, collection, connections, imports, notifications, permits, provider_events
from schema import cases as case_fields
from schema import sources as source_fields
from schema import credit_check as check_fields
from schema import objections as objection_fields
from schema import nodes as node_fields
from schema import webhooks as webhook_fields
from schema.enums import Category, SubjectKind
from schema.records import CreditRecord, record_object
from schema.relay import FIRST_DESCRIPTION, Node
from schema.types import CatalogueItemType, DepartmentType, SubjectType


AS_OF_DESCRIPTION = ("A past day (Beijing), or today: answer as the platform would have answered that day (statuses, "
                     "periods, annotations and content as they were; records submitted later absent), under "
                     "today's access rules (README, History and asOf). A day after today is refused.")


async def subject(info: Info, code: Annotated[strawberry.ID, strawberry.argument(
        description="The full code (18 characters); a masked code is refused.")],
        as_of: Annotated[Optional[dt.date], strawberry.argument(description=AS_OF_DESCRIPTION)] = None,
) -> Optional[SubjectType]:
    row = await subject_resolvers.subject_by_code(info.context, code)
    if as_of is not None:
        row = await history.subject_as_of(info.context, row, as_of)
    return SubjectType(row=row, as_of=as_of) if row is not None else None


async def subjects(info: Info, codes: Annotated[list[strawberry.ID], strawberry.argument(
        description="Full codes, at most 100.")]) -> list[Optional[SubjectType]]:
    rows = await subject_resolvers.subjects_by_codes(info.context, codes)
    return [SubjectType(row=r) if r is not None else None for r in rows]


async def search_subjects(info: Info, name: Annotated[str, strawberry.argument(
        description="Part of the name (1 to 100 characters).")],
        first: Annotated[Optional[int], strawberry.argument(description=FIRST_DESCRIPTION)] = DEFAULT_FIRST,
) -> list[SubjectType]:
    rows = await subject_resolvers.search_subjects(info.context, name, DEFAULT_FIRST if first is None else first)
    return [SubjectType(row=r) for r in rows]


async def record(info: Info, id: Annotated[strawberry.ID, strawberry.argument(
        description="The record's `id` (deprecated until 0.3.0: the record's number, 0.1.0's id).")],
        as_of: Annotated[Optional[dt.date], strawberry.argument(description=AS_OF_DESCRIPTION)] = None,
) -> Optional[CreditRecord]:
    if as_of is not None:
        row = await history.record_as_of(info.context, id, as_of, info.path.as_list())
        return record_object(row, as_of) if row is not None else None
    row = await record_resolvers.record_by_id(info.context, id, info.path.as_list())
    return record_object(row) if row is not None else None


async def catalogue(
        info: Info,
        category: Annotated[Optional[Category], strawberry.argument(
            description="Only items of this category.")] = None,
        subject_kind: Annotated[Optional[SubjectKind], strawberry.argument(
            description="Only items recorded about this kind of subject.")] = None,
) -> list[CatalogueItemType]:
    rows = await catalogue_resolvers.catalogue(info.context, category, subject_kind)
    return [CatalogueItemType(row=r) for r in rows]


async def departments(info: Info) -> list[DepartmentType]:
    rows = await catalogue_resolvers.departments(info.context)
    return [DepartmentType(row=r) for r in rows]


@strawberry.type(description="Reading the credit gateway. Growing lists are Relay connections (`first` 1 to 100, "
                             "default 20, then `after: pageInfo.endCursor`); lists bounded by the deployment's "
                             "configuration are plain lists. Any object with an `id` can be refetched with "
                             "`node(id)`.")
class Query:
    """Fields in the order GraphiQL's docs list them (declaration order; federation's last: schema/build.py)."""

    subject: Optional[SubjectType] = strawberry.field(
        resolver=subject,
        description="One subject by its resident ID number or unified social credit code; null if unknown, or a "
                    "person none of whose records the reader may see (SPEC 3.1).")
    subjects: list[Optional[SubjectType]] = strawberry.field(
        resolver=subjects, description="Several subjects by code (at most 100), in the order asked; null if unknown.")
    subject_search: connections.SubjectConnection = strawberry.field(
        resolver=connections.subject_search,
        description="Subjects whose name contains `name`, in name order (organisations only, for the public; "
                    "persons only for readers who may see their personal data).")
    search_subjects: list[SubjectType] = strawberry.field(
        resolver=search_subjects,
        description="Subjects whose name contains `name` (organisations only, for the public).",
        deprecation_reason="Use subjectSearch, a connection with pageInfo; removed in 0.3.0.")
    record: Optional[CreditRecord] = strawberry.field(
        resolver=record,
        description="One record by id; null if it does not exist or the reader may not see it (the same answer; "
                    "SPEC 3.1).")
    node: Optional[Node] = strawberry.field(
        resolver=node_fields.node,
        description="Any object by its global id (Relay), under the rules of the field that returned it: null "
                    "when it does not exist or the reader may not see it (the same answer).")
    nodes: list[Optional[Node]] = strawberry.field(
        resolver=node_fields.nodes,
        description="Several objects by global id (at most 100), in the order asked; each null as `node(id)` "
                    "would be. One statement per kind of object, however many ids.")
    credit_check: check_fields.CreditCheck = strawberry.field(
        resolver=check_fields.credit_check,
        description="An approval system's check of one subject for one purpose (SPEC 3.5; HC-24..26, XZ-21): its "
                    "active bad and good records the reader may use, open annotations, a hint per rule with its legal "
                    "source, the verdict, what was withheld, and a receipt kept in the chained log.")
    credit_checks: list[check_fields.CreditCheckResult] = strawberry.field(
        resolver=check_fields.credit_checks,
        description="The creditCheck of up to 500 subjects in one round trip (every bidder of an evaluation), in the "
                    "order asked; an invalid code is answered at its position and never fails the batch.")
    verify_credit_check: check_fields.CreditCheckVerification = strawberry.field(
        resolver=check_fields.verify_credit_check,
        description="Whether an answer is exactly what a creditCheck answered, when and to whom, proven from the "
                    "chained query log (never from the receipts table alone). For the user who checked, its "
                    "department, auditors and the subject.")
    catalogue: list[CatalogueItemType] = strawberry.field(
        resolver=catalogue,
        description="The catalogue (目录) of the deployment's jurisdiction profile. A plain list: its size is the "
                    "profile's, a few dozen items.")
    departments: list[DepartmentType] = strawberry.field(
        resolver=departments,
        description="The departments of the deployment. A plain list: its size is the profile's registry.")

    authorizations_given: connections.AuthorizationConnection = strawberry.field(
        resolver=connections.authorizations_given,
        description="The authorisations the calling subject has given, newest first (HC-22): a token with "
                    "`subject`.")
    my_authorizations: list[authorizations.AuthorizationType] = strawberry.field(
        resolver=authorizations.mine, description="The authorisations the calling subject has given (HC-22).",
        deprecation_reason="Use authorizationsGiven, a connection with pageInfo; removed in 0.3.0.")
    access_explanation: authorizations.AccessExplanation = strawberry.field(
        resolver=authorizations.explanation,
        description="Which policy line lets the caller read a record, each of its roles considered (for policy "
                    "authors). A record the caller may not see is answered exactly as one that does not exist.")

    registered_query_permits: connections.QueryPermitConnection = strawberry.field(
        resolver=connections.registered_query_permits,
        description="Registered query permits, newest first (HC-23, XZ-18): for the credit centre's operators and "
                    "for auditors.")
    query_permits: list[permits.QueryPermitType] = strawberry.field(
        resolver=permits.permits,
        description="Registered query permits, newest first (HC-23, XZ-18): for the credit centre's operators and "
                    "for auditors.",
        deprecation_reason="Use registeredQueryPermits, a connection with pageInfo; removed in 0.3.0.")

    sources: list[source_fields.FederatedSourceType] = strawberry.field(
        resolver=source_fields.sources,
        description="The departments' live sources admitted to extend Subject, by name, with their fields' catalogue "
                    "items and health (issue 18): for the credit centre's operators and for auditors.")

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
                    "much, most late first, so the credit centre can send reminders (催报, XZ-13). A plain list: "
                    "one row per department of the registry at most.")

    import_job: Optional[imports.ImportJob] = strawberry.field(
        resolver=imports.import_job, description="A background import sent to POST /import, by the id it answered "
                                                 "with: its progress and result; null if not the caller's department's.")
    import_jobs: imports.ImportJobConnection = strawberry.field(
        resolver=imports.import_job_list, description="The caller's department's background imports, newest first "
                                                      "(every department's for the credit centre's operators).")

    my_notifications: notifications.NotificationConnection = strawberry.field(
        resolver=notifications.my_notifications,
        description="The caller's notifications, newest first (SPEC 3.4): a subject's (token with `subject`), its "
                    "department's (any officer), or the credit centre's (its operators). Not for the public.")
    webhooks: list[webhook_fields.WebhookType] = strawberry.field(
        resolver=webhook_fields.webhooks,
        description="The caller's department's webhooks, newest first, removed ones included. A plain list: a "
                    "department keeps at most 5 at once.")
    webhook_deliveries: webhook_fields.WebhookDeliveryConnection = strawberry.field(
        resolver=webhook_fields.deliveries,
        description="The delivery log of the caller's department's webhooks, newest first: each notification owed to "
                    "each webhook, its attempts and outcome.")
    cases: case_fields.CaseConnection = strawberry.field(
        resolver=case_fields.cases,
        description="Revocation, repair and honour deletion cases, newest first (SPEC 3.4): for the credit centre's "
                    "operators and auditors; `filter: {overdue: true}` lists the missed deadlines.")
    overdue_objections: list[objection_fields.OverdueObjections] = strawberry.field(
        resolver=objection_fields.overdue_objections,
        description="Open objections past their step's day, per department that must act (the centre or the "
                    "record's provider), most first (XZ-25(7) liability): for the credit centre's operators and "
                    "auditors.")
    my_cases: case_fields.CaseConnection = strawberry.field(
        resolver=case_fields.my_cases,
        description="The caller's cases, newest first: a subject's own, or those on a department's records.")



@strawberry.type(description="Writing to the credit gateway. Every mutation takes one `input` and returns a payload "
                             "with the result (null when refused) and `errors { code field message }` (README, "
                             "Mutations); every write is one transaction, logged in the submission log (HC-35).")
class Mutation:
    grant_authorization: authorizations.GrantAuthorizationPayload = strawberry.mutation(
        resolver=authorizations.grant,
        description="A subject (token with `subject`) authorises a user or department to read its non-public "
                    "records within a scope, for a purpose and a time window (HC-22, XZ-18).")
    revoke_authorization: authorizations.RevokeAuthorizationPayload = strawberry.mutation(
        resolver=authorizations.revoke, description="Revoke one of your authorisations; holds from the next request.")
    admit_source: source_fields.AdmitSourcePayload = strawberry.mutation(
        resolver=source_fields.admit_source,
        description="The credit centre admits a department's live GraphQL source: its `_service { sdl }` is fetched "
                    "and checked (read-only, nullable fields extending Subject one hop; README, Federated sources), "
                    "every field bound to a catalogue item. Every worker serves the fields within a second. Logged "
                    "in the submission log.")
    refresh_source: source_fields.RefreshSourcePayload = strawberry.mutation(
        resolver=source_fields.refresh_source,
        description="The credit centre fetches an admitted source's SDL again: checked again, a new version only "
                    "when it changed. Logged in the submission log.")
    remove_source: source_fields.RemoveSourcePayload = strawberry.mutation(
        resolver=source_fields.remove_source,
        description="The credit centre takes a source out of the served schema (within a second on every worker); "
                    "its SDL versions are kept. Logged in the submission log.")
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
    mark_notifications_read: notifications.MarkNotificationsReadPayload = strawberry.mutation(
        resolver=notifications.mark_read,
        description="Mark some of your notifications read (yours only: another's id is NOT_FOUND and nothing is "
                    "marked). Logged in the submission log.")
    register_webhook: webhook_fields.RegisterWebhookPayload = strawberry.mutation(
        resolver=webhook_fields.register,
        description="A department registers an http(s) address of its own system: each of its notifications is "
                    "POSTed there as JSON signed with HMAC-SHA256 (README, Webhooks), retried with backoff. The secret "
                    "is answered once. Logged in the submission log.")
    remove_webhook: webhook_fields.RemoveWebhookPayload = strawberry.mutation(
        resolver=webhook_fields.remove,
        description="A department removes one of its webhooks: nothing more is sent to it. Logged in the submission "
                    "log.")
    report_act_ended: provider_events.ReportActEndedPayload = strawberry.mutation(
        resolver=provider_events.report_act_ended,
        description="The provider department reports, with its written document, the day the ongoing act behind "
                    "one of its bad records ended: the record's disclosure period runs from it (HC-19(3)). An "
                    "event of the record, a notice to the subject, logged in the submission log.")
    report_subject_ended: provider_events.ReportSubjectEndedPayload = strawberry.mutation(
        resolver=provider_events.report_subject_ended,
        description="The department that registered a subject (its registration or identity record's provider) "
                    "reports its deregistration or death, with the document: the subject is TERMINATED or DECEASED "
                    "and its basic records' periods follow (HC-19(1)). Events, a notice, logged.")
    cancel_record: provider_events.CancelRecordPayload = strawberry.mutation(
        resolver=provider_events.cancel_record,
        description="The provider department cancels (取消) one of its good records without validity, with the "
                    "document: it is disclosed until the day given, then archived (HC-19(2)). An event, a notice, "
                    "logged.")

    report_revocation: case_fields.CasePayload = strawberry.mutation(
        resolver=case_fields.report_revocation,
        description="The provider reports in writing that the decision behind one of its bad records was revoked "
                    "(HC-30): the record leaves every query at once, and the credit centre deletes it within 3 "
                    "working days (completeRevocation). Opens a REVOCATION case.")
    complete_revocation: case_fields.CasePayload = strawberry.mutation(
        resolver=case_fields.complete_revocation,
        description="The credit centre's operator deletes a reported record (HC-30): its content leaves every live "
                    "table and version; a tombstone keeps its id, provider, item, document number and the "
                    "revocation's reference.")
    certify_repair: case_fields.CasePayload = strawberry.mutation(
        resolver=case_fields.certify_repair,
        description="The provider certifies credit repair of one of its bad records in writing (HC-31): the record "
                    "leaves the query interface at once (its subject and auditors still see it, REPAIRED). Refused "
                    "before the item's minimum publicity period.")
    request_honour_deletion: case_fields.CasePayload = strawberry.mutation(
        resolver=case_fields.request_honour_deletion,
        description="The subject asks to delete one of its award, volunteer or charity records (HC-33): the centre "
                    "and the provider are notified at once; the provider deletes it within 5 working days.")
    delete_honour: case_fields.CasePayload = strawberry.mutation(
        resolver=case_fields.delete_honour,
        description="The provider deletes an honour its subject asked to delete (HC-33); a tombstone remains.")
    file_objection: case_fields.CasePayload = strawberry.mutation(
        resolver=objection_fields.file_objection,
        description="The subject or its grantee objects to a record online, or the centre's operator enters a "
                    "written application (HC-29, XZ-22): opens an OBJECTION case, annotates the record for every "
                    "reader and notifies the centre. A second open objection on the record is refused naming it.")
    compare_objection: case_fields.CasePayload = strawberry.mutation(
        resolver=objection_fields.compare_objection,
        description="Huancui: the centre's operator compares the platform's copy with the provider's within 3 working "
                    "days (HC-29): DIFFERS closes the case corrected, SAME forwards it to the provider.")
    forward_objection: case_fields.CasePayload = strawberry.mutation(
        resolver=objection_fields.forward_objection,
        description="Xinzheng: the centre's operator forwards the objection to the provider within 3 working days "
                    "(XZ-23); the provider verifies within 15.")
    decide_objection: case_fields.CasePayload = strawberry.mutation(
        resolver=objection_fields.decide_objection,
        description="The record's provider verifies a forwarded objection (HC-29, XZ-23): UPHELD or REJECTED, with "
                    "the reason. Huancui: the subject is notified at once and the case closes; Xinzheng: the centre "
                    "notifies the applicant in writing within 2 working days (notifyObjectionResult).")
    withdraw_objection: case_fields.CasePayload = strawberry.mutation(
        resolver=objection_fields.withdraw_objection,
        description="The subject withdraws its objection while it is open (any step before the result); the "
                    "annotation ends and the case closes (WITHDRAWN).")
    dispute_objection_result: case_fields.CasePayload = strawberry.mutation(
        resolver=objection_fields.dispute_objection_result,
        description="The subject still disputes a rejected objection (HC-29): the record is annotated "
                    "OBJECTION_DISPUTED for every reader from now on (DISPUTED).")
    notify_objection_result: case_fields.CasePayload = strawberry.mutation(
        resolver=objection_fields.notify_objection_result,
        description="Xinzheng: the centre's operator records its written notice of the result to the applicant "
                    "(XZ-23), with the letter's reference; the case closes.")
