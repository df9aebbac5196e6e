"""Receipts (回执, issue 17): what proves later exactly what the platform answered, when and to whom.

An answer (a creditCheck's, a credit report's) is hashed as canonical JSON; the receipt id and the
hash go into the request's query-log entry (`Observed.receipts` → `query_log.receipts`, a hashed
column of the chain), and the log writer files a `credit_check_receipts` row that finds the entry
again by receipt id. Verifying reads the hash from the chained entry, never from that row alone.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from store.json_safe import json_safe


def canonical_json(answer: Any) -> str:
    """The one text an answer hashes as: keys sorted, no spaces, characters as they are."""
    return json.dumps(json_safe(answer), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def answer_hash(answer: Any) -> str:
    """SHA-256 of the answer's canonical JSON, as lowercase hex (what `verifyCreditCheck` compares)."""
    return hashlib.sha256(canonical_json(answer).encode()).hexdigest()


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    answer_hash: str


def issue_receipt(observed, subject_code: str, answer: Any, kind: str = "CREDIT_CHECK") -> Receipt:
    """A new receipt for `answer` about `subject_code`, recorded for this request's log entry
    (`observed` is the request's `resolvers.context.Observed`)."""
    receipt = Receipt(receipt_id=f"R{secrets.token_hex(12).upper()}", answer_hash=answer_hash(answer))
    observed.receipts.append({"receipt": receipt.receipt_id, "code": subject_code, "hash": receipt.answer_hash,
                              "kind": kind})
    return receipt
