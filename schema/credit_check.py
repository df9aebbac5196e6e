"""creditCheck, creditChecks and verifyCreditCheck (issue 17, SPEC 3.5; HC-24..26, XZ-21): the answer an
approval system acts on, and the proof of it later.

`verifyCreditCheck` is a query field, not a mutation: it changes nothing (it is logged like any
read), and an approval system can ask it beside its checks in one document. It still takes one
`input`, like the mutations, since a receipt id and a hash belong together.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from domain import credit_rules
from domain.enums import AnnotationKind as AnnotationKindValue
from resolvers import credit_check as checks
from resolvers import receipt_verification as verification
from schema.enums import Category, Purpose, Severity, Visibility, described
from schema.records import CreditRecord, RecordAnnotation, record_object
from schema.types import CatalogueItemType, DepartmentType, SubjectType

CreditCheckAction = described(credit_rules.HintAction, (
    "What a credit-check rule tells the approver (HC-25 incentives, HC-26 restrictions; XZ-21), strongest first. "
    "The hint informs the approval; the decision stays the approver's."), {
    "RESTRICT": "Refuse or restrict as the rule's source says (限制, 禁入): e.g. a supplier on a joint-punishment list.",
    "CAUTION": "Weigh the records and examine closely (审慎); also a restriction resting only on records under an "
               "open objection where the profile suspends it (HC-29).",
    "INCENTIVE": "Good records and no bad one: priority, simplified procedure or preferential choice (守信激励).",
    "NONE": "The rule applies to the purpose and found nothing to act on.",
}, name="CreditCheckAction")
VerificationOutcome = described(verification.VerificationOutcome, (
    "What verifying a creditCheck receipt found in the chained query log (HC-35)."), {
    "VALID": "The chained query-log entry holds this receipt with exactly this answer hash: this is what the "
             "platform answered, when and to whom `checkedAt` and `checkedBy` say.",
    "ANSWER_DIFFERS": "The receipt exists, but the answer presented is not the one given (its hash differs).",
    "UNKNOWN_RECEIPT": "No receipt with this id that the caller may verify (the same answer for both).",
    "LOG_ENTRY_ALTERED": "The entry holding the receipt is missing, was edited, or no longer links to the entry "
                         "before it: the log was tampered with.",
    "RECEIPT_ROW_ALTERED": "The receipts table disagrees with the chained entry: the table was tampered with.",
})


@strawberry.type(description="A record a check used: one of the subject's active BAD or GOOD records the reader "
                             "may use, as it stood on the check's day.")
class CheckedRecord:
    row: strawberry.Private[object]
    as_of: strawberry.Private[Optional[dt.date]]
    notes: strawberry.Private[list]

    @strawberry.field(description="The record itself (its content, history and annotations), as `record(id, asOf)` "
                                  "answers it.")
    def record(self) -> CreditRecord:
        return record_object(self.row, self.as_of)

    @strawberry.field(description="The record's catalogue item (目录项).")
    def catalogue_item(self, info: Info) -> CatalogueItemType:
        return CatalogueItemType(row=info.context.reference.items[self.row.catalogue_item_code])

    @strawberry.field(description="BAD (失信) or GOOD (良好).")
    def category(self) -> Category:
        return Category(self.row.category)

    @strawberry.field(description="The grade of a bad record (national credit repair measures); null if ungraded.")
    def severity(self) -> Optional[Severity]:
        return Severity(self.row.severity) if self.row.severity else None

    @strawberry.field(description="The record's visibility class (HC-20, XZ-15).")
    def visibility(self) -> Visibility:
        return Visibility(self.row.visibility)

    @strawberry.field(description="The day the decision was made (Beijing day).")
    def decided_on(self) -> dt.date:
        return self.row.decided_on

    @strawberry.field(description="The day the act ended (HC-19(3)); null while the act goes on.")
    def act_ended_on(self) -> Optional[dt.date]:
        return self.row.act_ended_on

    @strawberry.field(description="The document number of the decision (HC-16).")
    def document_number(self) -> str:
        return self.row.document_number

    @strawberry.field(description="The department that provided the record (信息提供主体).")
    def provider(self, info: Info) -> DepartmentType:
        return DepartmentType(row=info.context.reference.departments[self.row.provider_code])

    @strawberry.field(description="Annotations standing on the check's day, e.g. an open objection (HC-29, XZ-22).")
    def annotations(self) -> list[RecordAnnotation]:
        return [RecordAnnotation(kind=AnnotationKindValue(a.kind), text=a.text, created_at=a.created_at)
                for a in self.notes]


@strawberry.type(description="One rule's hint for the check's purpose: its action, why, its legal source and the "
                             "records that triggered it (rules are data: README, Credit checks).")
class CreditCheckHint:
    # plain fields (no resolvers): a batch of 500 checks has thousands of them
    rule: str = strawberry.field(description="The rule's code in the profile's rules file, e.g. "
                                             "PROCUREMENT-JOINT-LISTS.")
    action: CreditCheckAction = strawberry.field(description="What the rule tells the approver; NONE when nothing "
                                                             "matched.")
    reason_zh: str = strawberry.field(description="Why, in Chinese (the rule's reason; said whether or not it fired).")
    reason_en: str = strawberry.field(description="Why, in English.")
    source: str = strawberry.field(description="The rule's legal source (law, regulation, normative document, "
                                               "article).")
    capped_by_objection: bool = strawberry.field(description=(
        "True when the rule would RESTRICT but every triggering record is under an open objection and the profile "
        "lowers it meanwhile (Huancui HC-29: CAUTION; never under Xinzheng, XZ-24)."))
    records: list[CheckedRecord] = strawberry.field(description=(
        "The records that triggered the rule (for INCENTIVE: the good records); empty for NONE."))

    @classmethod
    def of(cls, hint, records: list[CheckedRecord]) -> "CreditCheckHint":
        rule = hint.rule
        return cls(rule=rule.code, action=hint.action, reason_zh=rule.reason_zh, reason_en=rule.reason_en,
                   source=rule.source, capped_by_objection=hint.capped_by_objection, records=records)


@strawberry.type(description="A visibility class whose records of some catalogue items the reader may not use for "
                             "this subject (its role, department, purpose, basis and permits decide, SPEC 3.1): the "
                             "check did not look at them. Named from the catalogue, never from the subject's "
                             "records: it says nothing about whether the subject has any.")
class WithheldClass:
    visibility: Visibility = strawberry.field(description="The class (HC-20, XZ-15).")
    item_codes: strawberry.Private[list[str]]

    @strawberry.field(description="The catalogue items of the class (BAD and GOOD, for this kind of subject) not "
                                  "used; the reader's own department's records of them were used.")
    def catalogue_items(self, info: Info) -> list[CatalogueItemType]:
        return [CatalogueItemType(row=info.context.reference.items[code]) for code in self.item_codes]


@strawberry.type(description="The receipt of a check (回执): keep `answerJson` (or the answer) with the approval "
                             "file; `verifyCreditCheck` later proves it is what the platform answered.")
class CreditCheckReceipt:
    answer: strawberry.Private[checks.CheckAnswer]
    id: strawberry.ID = strawberry.field(description="The receipt id (R and 24 hexadecimal digits).")
    answer_hash: str = strawberry.field(description="SHA-256 (lowercase hex) of `answerJson`, kept in the chained "
                                                    "query-log entry of this request.")

    @strawberry.field(description=(
        "The answer exactly as hashed: canonical JSON (keys sorted, no spaces, UTF-8 characters as they are) of "
        "the subject, purpose, asOf, checkedAt, rules version, records, annotations, hints, verdict and withheld "
        "classes (each rule's reasons and source are those of the rules file `rulesVersion` names)."))
    def answer_json(self) -> str:
        return self.answer.answer_json


@strawberry.type(description="A credit check of one subject for one purpose (SPEC 3.5): its active BAD and GOOD "
                             "records and open annotations the reader may use, a hint per rule of the purpose, the "
                             "verdict, what was withheld, and a receipt.")
class CreditCheck:
    answer: strawberry.Private[checks.CheckAnswer]
    code: str = strawberry.field(description="The code checked, as the reader is shown it (a person's masked unless "
                                             "the reader may see its personal data, SPEC 3.1).")
    purpose: Purpose = strawberry.field(description="The purpose checked for: it chose the rules (and must equal "
                                                    "X-Query-Purpose).")
    as_of: dt.date = strawberry.field(description="The day answered for (Beijing day): today, or the `asOf` asked.")
    rules_version: str = strawberry.field(description="The version of the profile's rules file applied (the first 16 "
                                                      "hex digits of its SHA-256): part of the hashed answer.")
    verdict: CreditCheckAction = strawberry.field(description="The strongest action among the hints (RESTRICT > "
                                                              "CAUTION > INCENTIVE > NONE).")

    @classmethod
    def of(cls, ctx, answer: checks.CheckAnswer) -> "CreditCheck":
        return cls(answer=answer, code=checks.shown_code(ctx, answer.code), purpose=answer.purpose,
                   as_of=answer.as_of, rules_version=answer.rules.version,
                   verdict=answer.verdict)

    def _records(self, rows) -> list[CheckedRecord]:
        as_of = None if self.answer.live else self.answer.as_of
        return [CheckedRecord(row=r, as_of=as_of, notes=self.answer.annotations.get(r.id, [])) for r in rows]

    @strawberry.field(description="The subject as it stood on `asOf`; null when the platform does not know it (or "
                                  "it is a person none of whose records the reader may see: the same answer). A "
                                  "subject the platform does not know has no record: every hint is NONE.")
    def subject(self) -> Optional[SubjectType]:
        if self.answer.subject is None:
            return None
        return SubjectType(row=self.answer.subject, as_of=None if self.answer.live else self.answer.as_of)

    @strawberry.field(description="Active BAD records (失信信息) the reader may use, newest decision first.")
    def bad_records(self) -> list[CheckedRecord]:
        return self._records(self.answer.bad)

    @strawberry.field(description="Active GOOD records (良好信息) the reader may use, newest decision first.")
    def good_records(self) -> list[CheckedRecord]:
        return self._records(self.answer.good)

    @strawberry.field(description="The used records that carry an open annotation (an objection under review or "
                                  "still disputed, HC-29, XZ-22), with their annotations.")
    def annotated_records(self) -> list[CheckedRecord]:
        return self._records([r for r in (*self.answer.bad, *self.answer.good) if r.id in self.answer.annotations])

    @strawberry.field(description="One hint per rule of the profile for this purpose, in the rules file's order.")
    def hints(self) -> list[CreditCheckHint]:
        by_id = {r.id: r for r in (*self.answer.bad, *self.answer.good)}
        return [CreditCheckHint.of(h, self._records([by_id[i] for i in h.record_ids])) for h in self.answer.hints]

    @strawberry.field(description="What the check could not use (without revealing what it holds): empty when the "
                                  "reader may use every BAD and GOOD item for this subject. Non-empty means the "
                                  "verdict rests on part of the record only.")
    def withheld(self) -> list[WithheldClass]:
        return [WithheldClass(visibility=Visibility(cls), item_codes=items) for cls, items in self.answer.withheld]

    @strawberry.field(description="The receipt: its id and the hash of this answer, kept in the chained query log.")
    def receipt(self) -> CreditCheckReceipt:
        receipt = self.answer.receipt
        return CreditCheckReceipt(answer=self.answer, id=strawberry.ID(receipt.receipt_id),
                                  answer_hash=receipt.answer_hash)


@strawberry.type(description="A code of a batch that is not a subject code: the rest of the batch is answered.")
class CreditCheckCodeError:
    fault: str = strawberry.field(description="What is wrong, e.g. CHECK_CHARACTER, LENGTH, MASKED (HC-7).")
    message: str = strawberry.field(description="The fault in words, naming the code (a person's masked).")


@strawberry.type(description="One position of a `creditChecks` batch: the check, or why the code was not checked.")
class CreditCheckResult:
    index: int = strawberry.field(description="The position in `codes`, from 0.")
    code: str = strawberry.field(description="The code as given (a resident ID masked unless the reader may see "
                                             "it).")
    check: Optional[CreditCheck] = strawberry.field(description="The check; null when the code is invalid.")
    error: Optional[CreditCheckCodeError] = strawberry.field(description="Why the code was not checked; null when "
                                                                         "it was.")


@strawberry.type(description="Who made a verified check, as its query-log entry records it (HC-23).")
class CheckedBy:
    user: Optional[str] = strawberry.field(description="The user id of the token.")
    user_name: Optional[str] = strawberry.field(description="The querier's name (查询人员姓名, HC-23).")
    department_code: Optional[str] = strawberry.field(description="The querier's department's code.")

    @strawberry.field(description="The querier's department; null for a subject's own check.")
    def department(self, info: Info) -> Optional[DepartmentType]:
        row = info.context.reference.departments.get(self.department_code) if self.department_code else None
        return DepartmentType(row=row) if row is not None else None


@strawberry.type(description="What verifying a receipt found (README, Credit checks).")
class CreditCheckVerification:
    outcome: VerificationOutcome = strawberry.field(description="What the chained query log says.")
    valid: bool = strawberry.field(description="True only for VALID.")
    reason: Optional[str] = strawberry.field(description="Why not valid, in words; null when valid.")
    checked_at: Optional[dt.datetime] = strawberry.field(description=(
        "When the check was answered (the entry's instant, UTC); null for UNKNOWN_RECEIPT."))
    checked_by: Optional[CheckedBy] = strawberry.field(description="Who asked; null for UNKNOWN_RECEIPT.")
    purpose: Optional[Purpose] = strawberry.field(description="The purpose the check was logged with "
                                                              "(X-Query-Purpose).")
    subject_code: Optional[str] = strawberry.field(description=(
        "The code checked, as the log keeps it (a person's masked); null for UNKNOWN_RECEIPT."))


@strawberry.input(description="A receipt to verify: its id and the hash of the answer relied on.")
class VerifyCreditCheckInput:
    receipt_id: strawberry.ID = strawberry.field(description="The receipt's id (`CreditCheck.receipt.id`).")
    answer_hash: str = strawberry.field(description="SHA-256 (hex) of the answer's canonical JSON as kept "
                                                    "(`receipt.answerJson`); compare `receipt.answerHash`.")


CODE_DESCRIPTION = "The subject's resident ID number or unified social credit code (18 characters)."
PURPOSE_DESCRIPTION = ("Why the check is made (HC-23, XZ-18): it chooses the rules; send the same in X-Query-Purpose, "
                       "with X-Query-Basis (the approval's application or project number), to use non-public "
                       "records your role allows.")
AS_OF_DESCRIPTION = ("A past day (Beijing), or today when absent: the check as the platform would have answered it "
                     "that day (records, statuses and annotations as they stood), under today's access rules and "
                     "rules file. A day after today is refused.")


async def credit_check(
        info: Info,
        code: Annotated[strawberry.ID, strawberry.argument(description=CODE_DESCRIPTION)],
        purpose: Annotated[Purpose, strawberry.argument(description=PURPOSE_DESCRIPTION)],
        as_of: Annotated[Optional[dt.date], strawberry.argument(description=AS_OF_DESCRIPTION)] = None,
) -> CreditCheck:
    return CreditCheck.of(info.context, await checks.credit_check(info.context, code, purpose, as_of))


async def credit_checks(
        info: Info,
        codes: Annotated[list[strawberry.ID], strawberry.argument(description=(
            f"The subjects' codes, at most {checks.MAX_CODES} (every bidder of an evaluation); invalid ones are "
            "answered per position."))],
        purpose: Annotated[Purpose, strawberry.argument(description=PURPOSE_DESCRIPTION)],
        as_of: Annotated[Optional[dt.date], strawberry.argument(description=AS_OF_DESCRIPTION)] = None,
) -> list[CreditCheckResult]:
    answers = await checks.credit_checks(info.context, codes, purpose, as_of)
    results = []
    for index, answer in enumerate(answers):
        if isinstance(answer, checks.CodeProblem):
            results.append(CreditCheckResult(index=index, code=answer.code, check=None, error=CreditCheckCodeError(
                fault=answer.fault, message=answer.message)))
        else:
            results.append(CreditCheckResult(index=index, code=checks.shown_code(info.context, answer.code),
                                             check=CreditCheck.of(info.context, answer), error=None))
    return results


async def verify_credit_check(info: Info, input: Annotated[VerifyCreditCheckInput, strawberry.argument(
        description="The receipt's id and the hash of the answer relied on.")]) -> CreditCheckVerification:
    found = await verification.verify_receipt(info.context, str(input.receipt_id), input.answer_hash)
    entry = found.entry
    if entry is None:
        return CreditCheckVerification(outcome=found.outcome, valid=False, reason=found.reason, checked_at=None,
                                       checked_by=None, purpose=None, subject_code=None)
    logged = (found.receipt or {}).get("code")
    return CreditCheckVerification(
        outcome=found.outcome, valid=found.valid, reason=found.reason, checked_at=entry.at,
        checked_by=CheckedBy(user=entry.user, user_name=entry.user_name, department_code=entry.department),
        purpose=Purpose(entry.purpose) if entry.purpose else None,
        subject_code=checks.shown_code(info.context, logged) if logged else None)


__all__ = ["CreditCheck", "CreditCheckResult", "CreditCheckVerification", "credit_check", "credit_checks",
           "verify_credit_check"]
