"""信用报告 (XZ-21): what a subject's printable credit report holds, as data.

A report is for the subject itself and its grantees (HC-22, XZ-18) only: the request's access,
decided once like any GraphQL read's (resolvers/access.py), must hold a `self` or `grantee` right
over the subject. Its records are those the same scope opens, loaded by the same loader as
`Subject.records` (one statement), every status the reader may see shown with it (SPEC 3.2).
What the reader's rights leave out is named by class and item, never by content: a grantee
learns which kinds of record it could not see, not whether any exist.

The content is a plain JSON-able dict: the page renders it, and its canonical JSON is what the
receipt's hash covers (resolvers/receipts.py), so the printed page and the hash say the same.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Row

from domain import disclosure
from domain.enums import Category, SubjectKind
from resolvers.context import RequestContext
from resolvers.errors import ClientError, Forbidden
from resolvers.loaders import PageKey, RecordFilter
from resolvers.node_ids import NodeKind, authorisation_named, global_id
from resolvers.scope import RecordScope
from resolvers.subjects import parse_subject_code, subject_by_code

# At most this many records in one report, newest first; a longer history says how many are left out.
MAX_REPORT_RECORDS = 1000
READER_ROLES = ("self", "grantee")  # SubjectRight roles a report is printed for (XZ-21, HC-22)
CATEGORY_ORDER = (Category.BAD, Category.GOOD, Category.BASIC)
_EVERY_STATUS = RecordFilter(status=None)  # every status the scope opens to the reader, each marked


class NotFound(ClientError):
    """The subject is not in the platform."""

    code = "NOT_FOUND"


def report_right_problem(ctx: RequestContext, code: str) -> str | None:
    """Why this reader may not have `code`'s report, or None when it is the subject or its grantee."""
    right = ctx.scope.right_for(code)
    if right is not None and right.role in READER_ROLES:
        return None
    return ("a credit report (信用报告, XZ-21) is printed for the subject itself (a token with its verified subject "
            "claim) and for its grantees: a written authorisation of the subject (HC-22, XZ-18) naming you, with "
            "the authorisation's purpose in X-Query-Purpose and its reference in X-Query-Basis")


async def credit_report(ctx: RequestContext, code: str) -> dict:
    """The report of subject `code` as this reader may see it, or the client's error (BadUserInput for a
    malformed code, Forbidden for a reader who is neither the subject nor its grantee, NotFound)."""
    code = parse_subject_code(code)
    problem = report_right_problem(ctx, code)
    if problem is not None:
        raise Forbidden(problem, rule="XZ-21, HC-22: the subject and its grantees")
    subject = await subject_by_code(ctx, code)
    if subject is None:
        raise NotFound(f"no subject {code} in the platform")
    ctx.observed.records_read = True
    page = await ctx.loaders.record_page.load(PageKey(code, _EVERY_STATUS, MAX_REPORT_RECORDS, None))
    annotations = await ctx.loaders.annotations.load_many([row.id for row in page.rows])
    ctx.observed.record_ids.update(row.id for row in page.rows)
    total = await ctx.loaders.record_count.load((code, _EVERY_STATUS))
    right = ctx.scope.right_for(code)
    by_category: dict[str, list[dict]] = {c.value: [] for c in CATEGORY_ORDER}
    for row, notes in zip(page.rows, annotations):
        by_category[row.category].append(_record(ctx, row, notes))
    return {
        "title": "信用报告",
        "profile": ctx.profile.code if ctx.profile is not None else None,
        "issuedAt": ctx.now.astimezone(ctx.profile.time_zone if ctx.profile is not None else dt.timezone.utc)
        .isoformat(timespec="seconds"),
        "asOfDay": ctx.today.isoformat(),
        "subject": {"id": ctx.subject_ids.id_of(code) if ctx.subject_ids is not None else None, "code": subject.code,
                    "name": subject.name, "kind": subject.kind, "status": subject.status},
        "reader": {"user": ctx.principal.user, "name": ctx.principal.name, "department": ctx.principal.department,
                   "as": "SUBJECT" if right.role == "self" else "GRANTEE",
                   "authorization": authorisation_named(right.authorization_id) if right.authorization_id else None,
                   "purpose": ctx.purpose.value if ctx.purpose is not None else None, "basis": ctx.basis},
        "categories": [{"category": c.value, "records": by_category[c.value]} for c in CATEGORY_ORDER],
        "recordCount": total,
        "recordsLeftOut": max(0, total - len(page.rows)),
        "withheld": withheld(ctx, ctx.scope, SubjectKind(subject.kind), code),
    }


def _record(ctx: RequestContext, row: Row, notes: list[Row]) -> dict:
    item = ctx.reference.items.get(row.catalogue_item_code) if ctx.reference is not None else None
    provider = ctx.reference.departments.get(row.provider_code) if ctx.reference is not None else None
    return {
        "id": global_id(NodeKind.RECORD, row.id),
        "item": row.catalogue_item_code,
        "itemName": item.name if item is not None else None,
        "provider": row.provider_code,
        "providerName": provider.name if provider is not None else None,
        "visibility": row.visibility,
        "severity": row.severity,
        "documentNumber": row.document_number,
        "issuingAuthority": row.issuing_authority,
        "decidedOn": _day(row.decided_on),
        "actEndedOn": _day(row.act_ended_on),
        "validUntil": _day(row.valid_until),
        "publicityEndsOn": _day(row.publicity_ends_on),
        "disclosureEndsOn": _day(row.disclosure_ends_on),
        "retainedUntil": _day(row.retained_until),
        "status": disclosure.status_on(row.status, row.disclosure_ends_on, ctx.today),
        "archivedOn": _day(disclosure.archived_on(row.status, row.status_changed_on, row.disclosure_ends_on,
                                                  ctx.today)),
        "annotations": [{"kind": a.kind, "text": a.text, "createdAt": a.created_at.isoformat()} for a in notes],
    }


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def withheld(ctx: RequestContext, scope: RecordScope, kind: SubjectKind, code: str) -> list[dict]:
    """The classes (whole, `items` empty) and catalogue items a record of this kind of subject can have
    that no right of the reader opens, in class order: what the report cannot show, never whether it exists."""
    if scope.all_records or ctx.profile is None:
        return []
    right = scope.right_for(code)
    shut: dict[str, list[str]] = {}
    every: dict[str, int] = {}
    for item in ctx.profile.items.values():
        if kind not in item.subject_kinds:
            continue
        cls = item.visibility_for(kind).value
        every[cls] = every.get(cls, 0) + 1
        if not (scope.general.covers(cls, item.code) or (right is not None and right.pairs.covers(cls, item.code))):
            shut.setdefault(cls, []).append(item.code)
    return [{"visibility": cls, "items": [] if len(items) == every[cls] else sorted(items)}
            for cls, items in sorted(shut.items())]
