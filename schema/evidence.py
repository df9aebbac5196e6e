"""An objection's evidence files in GraphQL (证明材料; HC-29, XZ-22): `Case.evidence`, `node(id)`.

The bytes are read with `GET /evidence/{id}` (the `url`); what a file is, and who may see it, is
resolvers/evidence.py's.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

import strawberry
from sqlalchemy import Row

from resolvers import evidence as resolvers
from resolvers.context import RequestContext
from resolvers.node_ids import NodeKind, global_id
from schema.relay import NODE_ID_DESCRIPTION, Node
from store.evidence import evidence_row


@strawberry.type(name="EvidenceFile", description=(
    "A file a subject (its grantee, or the centre from a written application) uploaded with `POST /evidence` "
    "and an objection cites (证明材料, HC-29, XZ-22). Read by its uploader, the subject, auditors and, once cited, "
    "the credit centre and the record's provider."))
class EvidenceFileType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " fileObjection takes it in `evidenceIds`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.EVIDENCE_FILE, self.row.id))

    @strawberry.field(description="The name the file was uploaded under (its last part; printable characters).")
    def filename(self) -> str:
        return self.row.filename

    @strawberry.field(description="Its type, as its content shows it (not as declared): application/pdf, "
                                  "image/jpeg, image/png or application/ofd.")
    def media_type(self) -> str:
        return self.row.media_type

    @strawberry.field(description="Its size in bytes.")
    def size(self) -> int:
        return self.row.size

    @strawberry.field(description="The SHA-256 of its content, 64 lower-case hex digits: what was uploaded is what "
                                  "is served.")
    def sha256(self) -> str:
        return self.row.sha256

    @strawberry.field(description="When it was uploaded (UTC instant).")
    def uploaded_at(self) -> dt.datetime:
        return self.row.uploaded_at

    @strawberry.field(description="Where its bytes are read (`GET`, with the same token): a path on this gateway.")
    def url(self) -> str:
        return resolvers.evidence_url(self.row)


async def evidence_of_case(ctx: RequestContext, case: Row) -> list[EvidenceFileType]:
    """The files an objection case cites, those the reader may read."""
    rows = await resolvers.evidence_loader(ctx).load(case.id)
    return [EvidenceFileType(row=r) for r in rows if resolvers.may_read(ctx.principal, ctx.profile, r, case)]


async def evidence_node(ctx: RequestContext, ident: int) -> tuple[Optional[EvidenceFileType], bool]:
    """`node(id)` for an evidence file, and whether it exists (null when the reader may not read it)."""
    async with ctx.engine.connect() as connection:
        row = await evidence_row(connection, ident)
        case = await resolvers.citing_case(connection, row) if row is not None else None
    if row is None:
        return None, False
    return (EvidenceFileType(row=row) if resolvers.may_read(ctx.principal, ctx.profile, row, case) else None), True
