"""Global ids (Relay object identification): one opaque `ID` names any object of the API.

An object's global id is its kind and its key, `Kind:key`, in unpadded base64url: opaque to
clients (they pass it back unchanged), and self-describing to the gateway, so that `node(id)`
knows which loader to ask. The kinds are the gateway's own names, not its GraphQL type names,
so that renaming a type never changes an id a client stored.

Subjects and import jobs are the exceptions: a subject's `id` is already opaque and unforgeable
(domain/subject_ids.py, `sj1_…`, the federation key), and an import job's is the random id `POST /import`
answered and `/import/jobs/{id}` names (32 lower-case hex digits); each is its global id as it is, recognised
by its form. An encoded id never has that form: it starts with an upper-case letter (a kind's first byte).
"""

from __future__ import annotations

import base64
import binascii
import enum
import re


class NodeKind(str, enum.Enum):
    """What a global id names. A subject's id is domain/subject_ids.py's, not encoded here."""

    SUBJECT = "Subject"
    RECORD = "CreditRecord"
    CATALOGUE_ITEM = "CatalogueItem"
    DEPARTMENT = "Department"
    QUERY_PERMIT = "QueryPermit"
    AUTHORIZATION = "Authorization"
    QUERY_LOG_ENTRY = "QueryLogEntry"
    IMPORT_JOB = "ImportJob"
    NOTIFICATION = "Notification"
    WEBHOOK = "Webhook"
    WEBHOOK_DELIVERY = "WebhookDelivery"
    CASE = "Case"  # a revocation, repair or honour-deletion case (domain/workflows.py)
    EVIDENCE_FILE = "EvidenceFile"  # an objection's evidence (POST /evidence, GET /evidence/{id})


_ENCODED = {NodeKind.RECORD, NodeKind.CATALOGUE_ITEM, NodeKind.DEPARTMENT, NodeKind.QUERY_PERMIT,
            NodeKind.AUTHORIZATION, NodeKind.QUERY_LOG_ENTRY, NodeKind.NOTIFICATION, NodeKind.WEBHOOK,
            NodeKind.WEBHOOK_DELIVERY, NodeKind.CASE, NodeKind.EVIDENCE_FILE}
_BY_NAME = {kind.value: kind for kind in _ENCODED}
SUBJECT_ID_PREFIX = "sj1_"  # domain/subject_ids.PREFIX: a subject's id is recognised by it
IMPORT_JOB_ID = re.compile(r"[0-9a-f]{32}", re.ASCII)  # ingest/import_jobs.py: uuid4().hex
MAX_LENGTH = 200  # a real global id is well under 100 characters


def global_id(kind: NodeKind, key: object) -> str:
    """The global id of the object of `kind` whose key (id, code or sequence number) is `key`."""
    assert kind in _ENCODED, kind
    return base64.urlsafe_b64encode(f"{kind.value}:{key}".encode()).rstrip(b"=").decode("ascii")


def record_named(ident: int) -> str:
    """A record as a message names it: by the global id a client holds, never the row's number."""
    return f"record {global_id(NodeKind.RECORD, ident)}"


def authorisation_named(ident: int) -> str:
    """An authorisation as a message names it: by the global id its subject holds."""
    return f"authorisation {global_id(NodeKind.AUTHORIZATION, ident)}"


def decode(text: str) -> tuple[NodeKind, str]:
    """(kind, key) of a global id; ValueError saying why when it is not one the gateway made.

    A subject's id comes back as (SUBJECT, the id unchanged): domain/subject_ids.py checks it; an
    import job's as (IMPORT_JOB, the id unchanged).
    """
    if not isinstance(text, str) or not text or len(text) > MAX_LENGTH:
        raise ValueError("not a global id: pass an `id` this API returned, unchanged")
    if text.startswith(SUBJECT_ID_PREFIX):
        return NodeKind.SUBJECT, text
    if IMPORT_JOB_ID.fullmatch(text):
        return NodeKind.IMPORT_JOB, text
    try:
        padded = text + "=" * (-len(text) % 4)
        plain = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (UnicodeError, binascii.Error, ValueError):
        raise ValueError("not a global id: pass an `id` this API returned, unchanged") from None
    name, separator, key = plain.partition(":")
    if not separator or name not in _BY_NAME or not key:
        raise ValueError("not a global id: pass an `id` this API returned, unchanged")
    return _BY_NAME[name], key


def looks_global(text: str) -> bool:
    """Whether an id argument is a global id rather than a bare number (the 0.1.0 form)."""
    return isinstance(text, str) and not text.strip().isdigit()
