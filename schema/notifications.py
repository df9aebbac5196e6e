"""Notifications in GraphQL (SPEC 3.4; issue 15): `myNotifications`, `markNotificationsRead`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from resolvers import notifications as resolvers
from resolvers.bounds import DEFAULT_FIRST
from resolvers.node_ids import NodeKind, global_id
from schema.mutation_errors import MutationError, errors_of
from schema.records import CreditRecord, visible_record
from schema.relay import AFTER_DESCRIPTION, FIRST_DESCRIPTION, NODE_ID_DESCRIPTION, Node, PageInfo, page_info


@strawberry.type(name="Notification", description=(
    "A message to whom a step concerns (SPEC 3.4): a subject about its records, a department about the records it "
    "provides and its cases, the credit centre about cases. Written with the step, in its transaction."))
class NotificationType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " markNotificationsRead takes it.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.NOTIFICATION, self.row.id))

    @strawberry.field(description=(
        "What happened: a record event's kind (ARCHIVED, PUBLICITY_ENDED, RETENTION_ENDED, DEADLINE_MISSED, REVOKED, "
        "...: RecordEvent's kinds) or a case step. A string, not an enum: new steps add kinds, and a client "
        "should show `message` for a kind it does not know."))
    def kind(self) -> str:
        return self.row.kind

    @strawberry.field(description="What happened, for a person: the record or case, the day, the article.")
    def message(self) -> str:
        return self.row.message

    @strawberry.field(description="When it was written (the step's instant).")
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(description="When the recipient marked it read; null while unread.")
    def read_at(self) -> Optional[dt.datetime]:
        return self.row.read_at

    @strawberry.field(description=(
        "The record it is about, as `record(id)` answers the reader: null when there is none, when it was deleted "
        "(revocation, honour deletion, end of retention) or when the reader may no longer see it."))
    async def record(self, info: Info) -> Optional[CreditRecord]:
        if self.row.record_id is None:
            return None
        return await visible_record(info, str(self.row.record_id))


@strawberry.type(description="One notification in a page, with its cursor.")
class NotificationEdge:
    cursor: str = strawberry.field(description="The notification's position: pass it as `after` for older ones.")
    node: NotificationType = strawberry.field(description="The notification.")


@strawberry.type(description="A page of the caller's notifications, newest first.")
class NotificationConnection:
    total_count: int = strawberry.field(description="How many notifications match (all, or the unread ones).")
    edges: list[NotificationEdge] = strawberry.field(description="The page's notifications, newest first.")
    page_info: PageInfo = strawberry.field(description="Where the page lies: `endCursor` for the next one.")


async def my_notifications(
        info: Info,
        unread_only: Annotated[bool, strawberry.argument(description="Only those not marked read yet.")] = False,
        first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = DEFAULT_FIRST,
        after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
) -> NotificationConnection:
    page = await resolvers.notification_page(info.context, bool(unread_only), first, after)
    edges = [NotificationEdge(cursor=str(row.id), node=NotificationType(row=row)) for row in page.rows]
    return NotificationConnection(total_count=page.total, edges=edges,
                                  page_info=page_info([e.cursor for e in edges], page.has_next, after))


@strawberry.input(description="Which of your notifications to mark read.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] = strawberry.field(description="Their ids (1 to 100); each must be yours.")


@strawberry.type(description="The result of markNotificationsRead: the notifications as marked, or the errors.")
class MarkNotificationsReadPayload:
    notifications: list[NotificationType] = strawberry.field(description=(
        "The notifications named, newest first, each with its `readAt` (those read before keep their time); empty "
        "when refused."))
    errors: list[MutationError] = strawberry.field(description=(
        "Every fault found; empty on success. An id that is not one of your notifications is NOT_FOUND, and then "
        "nothing is marked."))


async def mark_read(info: Info, input: Annotated[MarkNotificationsReadInput, strawberry.argument(
        description="The notifications to mark read.")]) -> MarkNotificationsReadPayload:
    rows, problems = await resolvers.mark_read(info.context, [str(i) for i in input.ids])
    return MarkNotificationsReadPayload(notifications=[NotificationType(row=r) for r in rows],
                                        errors=errors_of(problems))


async def notification_node(ctx, ident: int) -> Optional[NotificationType]:
    row = await resolvers.notification_by_id(ctx, ident)
    return NotificationType(row=row) if row is not None else None
