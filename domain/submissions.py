"""Checking a submitted record (SPEC 3.3; HC-15, HC-16, XZ-9, XZ-12): every rule that needs no database.

The API, manual entry and the spreadsheet import hand `resolvers.collection` the same
`RecordSubmission`s, checked here by the same rules whatever the route (XZ-12): the subject's
code and kind, the catalogue item in force and open to the department and channel, required and
typed fields, dates that cohere, prohibited information absent. Every fault of every item is
reported at once, each as a `Problem` named like the GraphQL input (`subjectCode`,
`content.fineAmount`), so a batch's submitter fixes all rows in one go.

Pure and picklable: the importer checks the rows of a large file in a second process while the
first writes (`ingest.import_checker`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from domain.catalogue import CatalogueItem, JurisdictionProfile
from domain.enums import SubjectKind, SubmissionChannel
from domain.identifiers import InvalidIdentifier, mask_resident_id, validate_subject_code
from domain.problems import Problem, ProblemCode
from domain.prohibited import check_record_content

MAX_SUBJECT_NAME = 200
MAX_DOCUMENT_NUMBER = 128
MAX_ISSUING_AUTHORITY = 200
MAX_CONSENT_REF = 128
MAX_CONTENT_FIELDS = 100  # far above any catalogue item; bounds the work one hostile input causes
MAX_FIELD_NAME = 64
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class RecordSubmission:
    """One record as a provider submits it, by any route. Dates are dates or 'YYYY-MM-DD' text.

    `subject_name` is needed only for a subject the gateway does not know yet (it is created), on
    one submission of a batch for it;
    `row` is the spreadsheet row the item came from, echoed in its outcome.
    """

    subject_code: str | None
    catalogue_item: str | None
    document_number: str | None
    issuing_authority: str | None
    decided_on: dt.date | str | None
    subject_name: str | None = None
    act_ended_on: dt.date | str | None = None
    valid_from: dt.date | str | None = None
    valid_until: dt.date | str | None = None
    content: Mapping[str, Any] | None = None
    consent_ref: str | None = None
    row: int | None = None


# The record columns a sound submission fills, in a fixed order (`CheckedSubmission.packed`).
COLUMNS = ("subject_code", "catalogue_item_code", "provider_code", "document_number", "issuing_authority",
           "decided_on", "act_ended_on", "valid_from", "valid_until", "content", "consent_ref")


@dataclass
class CheckedSubmission:
    """One item after `check`: its problems, and (when it has none) the record's own columns.

    `problems` stays open: storing adds what needs the database (an unknown subject without a
    name, a resend that differs).
    """

    problems: list[Problem]
    subject_kind: SubjectKind | None = None
    subject_name: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    row: int | None = None
    content_json: str | None = None  # columns["content"] encoded, when the checking process did it

    def packed(self) -> tuple:
        """As plain values, several times cheaper to pickle than the object (a process boundary),
        with the content already encoded: the checking process has the time, the storing one not."""
        if self.problems:
            return self.row, tuple(self.problems)
        return (self.row, (), self.subject_kind.value, self.subject_name,
                json.dumps(self.columns["content"], ensure_ascii=False), *(self.columns[c] for c in COLUMNS))

    @classmethod
    def unpacked(cls, values: tuple) -> "CheckedSubmission":
        if values[1]:
            return cls(list(values[1]), row=values[0])
        return cls([], _KINDS[values[2]], values[3], dict(zip(COLUMNS, values[5:])), values[0], values[4])


_KINDS = {kind.value: kind for kind in SubjectKind}


def _text(value: Any, name: str, limit: int, problems: list[Problem], *, required: bool) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets hand numbers-as-text (document no. 12345) as floats
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is not None and not isinstance(value, str):
        problems.append(Problem(name, f"expected text, got {type(value).__name__}"))
        return None
    text = (value or "").strip()
    if not text:
        if required:
            problems.append(Problem(name, "required: missing or blank"))
        return None
    if len(text) > limit:
        problems.append(Problem(name, f"is {len(text)} characters long; at most {limit} allowed"))
        return None
    return text


def _date(value: Any, name: str, problems: list[Problem], *, required: bool = False) -> dt.date | None:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date()
    elif isinstance(value, dt.date):
        return value
    elif value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(name, "required: missing or blank"))
        return None
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            problems.append(Problem(name, f"{value.strip()!r} is not a real date"))
            return None
    problems.append(Problem(name, f"expected a date as YYYY-MM-DD, got {str(value)[:40]!r}"))
    return None


def shown_code(code: str, kind: SubjectKind | None) -> str:
    """A code as messages show it: a resident ID masked, since messages end up in logs."""
    return mask_resident_id(code) if kind is SubjectKind.NATURAL_PERSON else code


def _json_value(value: Any) -> Any:
    """A normalised content value as stored (JSON): dates ISO, decimals as exact numbers."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and abs(value) < 2 ** 53:
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    return value


def _content_shape(content: Any, problems: list[Problem]) -> Mapping[str, Any] | None:
    """The content if it is an object of reasonable size; else None, with the problem noted."""
    if content is None:
        return {}
    if not isinstance(content, Mapping):
        problems.append(Problem("content", "must be an object of field name to value"))
        return None
    if len(content) > MAX_CONTENT_FIELDS:
        problems.append(Problem("content", f"has {len(content)} fields; at most {MAX_CONTENT_FIELDS}"))
        return None
    too_long = next((str(k) for k in content if len(str(k)) > MAX_FIELD_NAME), None)
    if too_long is not None:
        problems.append(Problem("content", f"field name {too_long[:MAX_FIELD_NAME]!r}… is longer than "
                                           f"{MAX_FIELD_NAME} characters"))
        return None
    return content


def _content(item: CatalogueItem | None, content: Any, consent_ref: str | None,
             problems: list[Problem]) -> dict[str, Any]:
    """The content normalised against the item (None: no usable item, so only prohibited information
    is looked for: it is refused whatever the catalogue says)."""
    content = _content_shape(content, problems)
    if content is None:
        return {}
    if item is None:
        found = check_record_content(content, consent_ref)
        normalised: dict[str, Any] = {}
    else:
        found, normalised = item.validate_content(content, consent_ref=consent_ref)
    problems.extend(Problem(f"content.{p.field}" if p.field else "content", p.reason, p.code) for p in found)
    return {k: _json_value(v) for k, v in normalised.items()}


def _subject(raw: Any, today: dt.date, problems: list[Problem]) -> tuple[str | None, SubjectKind | None]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.append(Problem("subjectCode", "required: missing or blank"))
    elif not isinstance(raw, str):
        problems.append(Problem("subjectCode", f"expected text, got {type(raw).__name__}"))
    else:
        try:
            return validate_subject_code(raw, today=today)
        except InvalidIdentifier as exc:
            problems.append(Problem("subjectCode", exc.masked_message))
    return None, None


def _item(raw: Any, profile: JurisdictionProfile, department: str, channel: SubmissionChannel | None,
          problems: list[Problem]) -> tuple[CatalogueItem | None, bool]:
    """The catalogue item, and whether this department may submit it through this channel.

    `channel` None: a correction, whose provider is the record's already (HC-18)."""
    code = _text(raw, "catalogueItem", 64, problems, required=True)
    if code is None:
        return None, False
    item = profile.items.get(code)
    before = len(problems)
    if item is None:
        problems.append(Problem("catalogueItem", f"unknown catalogue item {code!r}: information outside the "
                                                 "catalogue is refused (HC-8)", ProblemCode.UNKNOWN_ITEM))
    elif channel is not None and not item.may_submit(department):
        problems.append(Problem("catalogueItem", f"department {department} is not a provider of item {item.code} "
                                                 f"(providers: {', '.join(item.providers)})",
                                ProblemCode.NOT_PROVIDER))
    elif channel is not None and channel not in item.submission.methods:
        methods = ", ".join(sorted(m.value for m in item.submission.methods))
        problems.append(Problem("catalogueItem", f"item {item.code} is not accepted through {channel.value} "
                                                 f"(methods: {methods})"))
    return item, len(problems) == before


def check(submission: RecordSubmission, *, profile: JurisdictionProfile, department: str,
          channel: SubmissionChannel | None, today: dt.date) -> CheckedSubmission:
    """Every rule of SPEC 3.3 that needs no database; with no problem, the record's columns.

    `channel` None checks a correction: the record's department provides it whatever the
    catalogue's provider list says today."""
    problems: list[Problem] = []
    code, kind = _subject(submission.subject_code, today, problems)
    name = _text(submission.subject_name, "subjectName", MAX_SUBJECT_NAME, problems, required=False)
    item, usable = _item(submission.catalogue_item, profile, department, channel, problems)
    if item is not None and kind is not None and kind not in item.subject_kinds:
        allowed = ", ".join(sorted(k.value for k in item.subject_kinds))
        problems.append(Problem("subjectCode", f"the subject is a {kind.value}; item {item.code} applies to "
                                               f"{allowed} only"))
    document = _text(submission.document_number, "documentNumber", MAX_DOCUMENT_NUMBER, problems, required=True)
    authority = _text(submission.issuing_authority, "issuingAuthority", MAX_ISSUING_AUTHORITY, problems,
                      required=True)
    decided = _date(submission.decided_on, "decidedOn", problems, required=True)
    act_ended = _date(submission.act_ended_on, "actEndedOn", problems)
    valid_from = _date(submission.valid_from, "validFrom", problems)
    valid_until = _date(submission.valid_until, "validUntil", problems)
    if decided is not None:
        if decided > today:
            problems.append(Problem("decidedOn", f"{decided} is in the future (today is {today}): only legally "
                                                 "effective decisions are recorded (HC-16)"))
        if item is not None and not item.is_in_force(decided):
            until = item.in_force_until.isoformat() if item.in_force_until else "open-ended"
            problems.append(Problem("catalogueItem", f"item {item.code} is not in force on {decided} "
                                                     f"(in force {item.in_force_from}..{until})"))
    # HC-19(3): a bad record's period runs from the day the act ended, which may be before the decision (a
    # violation that stopped before it was decided) or after it (arrears paid later). Left out, the act is
    # still going on: no period yet. An end after today has not happened.
    if act_ended is not None and act_ended > today:
        problems.append(Problem("actEndedOn", f"{act_ended} is in the future (today is {today}): report the act's "
                                              "end once it has ended (HC-19(3))"))
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        problems.append(Problem("validUntil", f"{valid_until} is before validFrom {valid_from}"))
    consent = _text(submission.consent_ref, "consentRef", MAX_CONSENT_REF, problems, required=False)
    content = _content(item if usable else None, submission.content, consent, problems)
    if problems:
        return CheckedSubmission(problems, row=submission.row)
    columns = {"subject_code": code, "catalogue_item_code": item.code, "provider_code": department,
               "document_number": document, "issuing_authority": authority, "decided_on": decided,
               "act_ended_on": act_ended, "valid_from": valid_from, "valid_until": valid_until,
               "content": content, "consent_ref": consent}
    return CheckedSubmission([], kind, name, columns, submission.row)


def validate(submission: RecordSubmission, *, profile: JurisdictionProfile, department: str, today: dt.date,
             channel: SubmissionChannel | str | None = SubmissionChannel.API) -> list[Problem]:
    """Every fault of one submission that can be found without the database (empty: sound).

    `resolvers.collection.submit` adds what needs the database: an unknown subject without a name, a resend that
    differs from the stored record, a document repeated within the call.
    """
    channel = SubmissionChannel(channel) if channel is not None else None
    return check(submission, profile=profile, department=department, channel=channel, today=today).problems




def check_batch(submissions: list[RecordSubmission], *, profile: JurisdictionProfile, department: str,
                channel: SubmissionChannel, today: dt.date) -> list[CheckedSubmission]:
    """`check` for each item of one call, plus the one rule across items: a document given twice."""
    checked = [check(s, profile=profile, department=department, channel=channel, today=today)
               for s in submissions]
    first: dict[tuple[str, str], int] = {}
    for index, c in enumerate(checked):
        if c.problems:
            continue
        key = (c.columns["catalogue_item_code"], c.columns["document_number"])
        if key in first:
            c.problems.append(Problem("documentNumber", f"repeats input {first[key]} of this call (same catalogue "
                                                        "item and document number)", ProblemCode.DUPLICATE))
        else:
            first[key] = index
    return checked
