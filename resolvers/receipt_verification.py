"""verifyCreditCheck (issue 17): was this exactly what the platform answered, when, and to whom?

The `credit_check_receipts` row only finds the query-log entry; the proof is the chained entry
itself: its own hash recomputed (`store.chain.entry_hash` with its predecessor's hash), its link to
the entry before it, and its `receipts` column holding this receipt with this answer hash. A
receipts row edited by an insider, or an entry edited or moved, is reported as such, never trusted.

Who may verify (anyone else is answered exactly as for a receipt that does not exist): the user who
made the check, its department (the approval file changes hands), auditors (HC-35), and the subject
the check was about.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from resolvers.context import RequestContext
from resolvers.errors import BadUserInput
from store.chain import QUERY_LOG, entry_hash, logged_subject
from store.models import CreditCheckReceipt

Q = QUERY_LOG.c
_RECEIPT = select(CreditCheckReceipt.__table__).where(CreditCheckReceipt.receipt_id == bindparam("receipt_id"))
_ENTRY = select(QUERY_LOG).where(Q.seq == bindparam("seq"))
_PREVIOUS = select(Q.seq, Q.entry_hash).where(Q.seq < bindparam("seq")).order_by(Q.seq.desc()).limit(1)
_RECEIPT_ID = re.compile(r"R[0-9A-F]{24}")
_HASH = re.compile(r"[0-9a-f]{64}")


class VerificationOutcome(str, enum.Enum):
    VALID = "VALID"  # the chained entry holds this receipt with exactly this answer hash
    ANSWER_DIFFERS = "ANSWER_DIFFERS"  # the receipt exists; the answer presented is not the one given
    UNKNOWN_RECEIPT = "UNKNOWN_RECEIPT"  # no such receipt, or not the caller's to verify
    LOG_ENTRY_ALTERED = "LOG_ENTRY_ALTERED"  # the entry is missing, edited, or no longer links to its predecessor
    RECEIPT_ROW_ALTERED = "RECEIPT_ROW_ALTERED"  # the receipts row disagrees with the chained entry


REASONS = {
    VerificationOutcome.VALID: None,
    VerificationOutcome.ANSWER_DIFFERS: "the answer's hash is not the one the platform issued with this receipt: "
                                        "the answer presented is not exactly what was answered",
    VerificationOutcome.UNKNOWN_RECEIPT: "no receipt with this id that you may verify (the user who made the "
                                         "check, its department, auditors and the subject may)",
    VerificationOutcome.LOG_ENTRY_ALTERED: "the query-log entry that holds this receipt is missing or was altered "
                                           "(its hash or its link to the entry before no longer match): report it "
                                           "to the supervisor (HC-35)",
    VerificationOutcome.RECEIPT_ROW_ALTERED: "the receipts table disagrees with the chained query-log entry: the "
                                             "table was altered; report it to the supervisor (HC-35)",
}


@dataclass
class Verification:
    outcome: VerificationOutcome
    entry: Any = None  # the query-log row, when the caller may see it
    receipt: dict | None = None  # the entry's own record of the receipt {receipt, code, hash, kind}

    @property
    def valid(self) -> bool:
        return self.outcome is VerificationOutcome.VALID

    @property
    def reason(self) -> str | None:
        return REASONS[self.outcome]


def _may_verify(ctx: RequestContext, entry, subject_code: str | None) -> bool:
    principal = ctx.principal
    if principal.is_anonymous:
        return False
    if principal.department and "auditor" in principal.roles:
        return True
    if principal.department and principal.department == entry.department:
        return True
    if principal.user and principal.user == entry.user and principal.department == entry.department:
        return True
    return bool(principal.subject_code) and principal.subject_code == subject_code


async def verify_receipt(ctx: RequestContext, receipt_id: str, answer_hash: str) -> Verification:
    receipt_id, answer_hash = receipt_id.strip(), answer_hash.strip().lower()
    if not _RECEIPT_ID.fullmatch(receipt_id):
        raise BadUserInput("receiptId must be a receipt id as a check answered it: R and 24 hexadecimal digits",
                           argument="receiptId")
    if not _HASH.fullmatch(answer_hash):
        raise BadUserInput("answerHash must be the SHA-256 of the answer's canonical JSON: 64 hexadecimal digits",
                           argument="answerHash")
    async with ctx.engine.connect() as connection:
        row = (await connection.execute(_RECEIPT, {"receipt_id": receipt_id})).first()
        if row is None:
            return Verification(VerificationOutcome.UNKNOWN_RECEIPT)
        entry = (await connection.execute(_ENTRY, {"seq": row.log_seq})).first()
        previous = (await connection.execute(_PREVIOUS, {"seq": row.log_seq})).first()
    if entry is None:  # only an auditor learns that a receipt's entry is gone; others: unknown
        return Verification(VerificationOutcome.LOG_ENTRY_ALTERED if "auditor" in ctx.principal.roles
                            else VerificationOutcome.UNKNOWN_RECEIPT)
    claimed = next((r for r in entry.receipts or [] if isinstance(r, dict) and r.get("receipt") == receipt_id), None)
    if not _may_verify(ctx, entry, row.subject_code):
        return Verification(VerificationOutcome.UNKNOWN_RECEIPT)
    ctx.observed.subjects.add(row.subject_code)
    mapping = dict(entry._mapping)
    if entry_hash("query_log", mapping, entry.prev_hash) != entry.entry_hash or (
            previous is not None and previous.entry_hash != entry.prev_hash):
        return Verification(VerificationOutcome.LOG_ENTRY_ALTERED, entry, claimed)
    if claimed is None or claimed.get("hash") != row.answer_hash or claimed.get("code") != logged_subject(row.subject_code):
        return Verification(VerificationOutcome.RECEIPT_ROW_ALTERED, entry, claimed)
    if claimed.get("hash") != answer_hash:
        return Verification(VerificationOutcome.ANSWER_DIFFERS, entry, claimed)
    return Verification(VerificationOutcome.VALID, entry, claimed)
