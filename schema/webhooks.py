"""A department's webhooks in GraphQL (issue 15): register, remove, list, and the delivery log."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Optional

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from resolvers import webhooks as resolvers
from resolvers.bounds import DEFAULT_FIRST
from resolvers.node_ids import NodeKind, global_id
from schema.mutation_errors import MutationError, errors_of
from schema.notifications import NotificationType
from schema.relay import AFTER_DESCRIPTION, FIRST_DESCRIPTION, NODE_ID_DESCRIPTION, Node, PageInfo, page_info


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryState(enum.Enum):
    PENDING = strawberry.enum_value("PENDING", description=(
        "Owed: not answered with a 2xx yet; tried again at `nextAttemptAt` (exponential backoff)."))
    DELIVERED = strawberry.enum_value("DELIVERED", description="The webhook answered with a 2xx status.")
    FAILED = strawberry.enum_value("FAILED", description=(
        "Given up: every attempt failed (see `lastStatus`, `lastError`), or the webhook was removed first. The "
        "notification stays readable with myNotifications."))


@strawberry.type(name="Webhook", description=(
    "An address of a department's own system that receives the department's notifications as JSON, signed with "
    "HMAC-SHA256 under the secret registerWebhook answered once (README, Webhooks)."))
class WebhookType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " removeWebhook takes it.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.WEBHOOK, self.row.id))

    @strawberry.field(description="The address notifications are POSTed to (http or https).")
    def url(self) -> str:
        return self.row.url

    @strawberry.field(description="When it was registered.")
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(description="Who registered it (token `sub`).")
    def created_by(self) -> Optional[str]:
        return self.row.created_by

    @strawberry.field(description="When it was removed; null while it receives notifications.")
    def removed_at(self) -> Optional[dt.datetime]:
        return self.row.disabled_at


@strawberry.type(name="WebhookDelivery", description=(
    "One notification owed to one webhook: its attempts and outcome (the delivery log)."))
class WebhookDeliveryType(Node):
    row: strawberry.Private[Row]

    @strawberry.field(description=NODE_ID_DESCRIPTION + " Sent as the X-Credit-Delivery header: a receiver that "
                                                        "saw it before can ignore a repeat.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id(NodeKind.WEBHOOK_DELIVERY, self.row.id))

    @strawberry.field(description="The webhook it is owed to (removed or not).")
    async def webhook(self, info: Info) -> WebhookType:
        # the delivery was read as the caller's department's, so is its webhook: one batched statement per page
        return WebhookType(row=await info.context.loaders.webhook.load(self.row.subscription_id))

    @strawberry.field(description="The notification it carries.")
    async def notification(self, info: Info) -> Optional[NotificationType]:
        row = await info.context.loaders.notification.load(self.row.notification_id)
        return NotificationType(row=row) if row is not None else None

    @strawberry.field(description="Where it stands.")
    def state(self) -> WebhookDeliveryState:
        return WebhookDeliveryState(self.row.state)

    @strawberry.field(description="How many times it was sent.")
    def attempts(self) -> int:
        return self.row.attempts

    @strawberry.field(description="When it is tried next; null once delivered or given up.")
    def next_attempt_at(self) -> Optional[dt.datetime]:
        return self.row.next_attempt_at if self.row.state == "PENDING" else None

    @strawberry.field(description="The HTTP status of the last attempt; null when none answered (see lastError).")
    def last_status(self) -> Optional[int]:
        return self.row.last_status

    @strawberry.field(description="Why the last attempt failed (a status, a timeout, a refused connection).")
    def last_error(self) -> Optional[str]:
        return self.row.last_error

    @strawberry.field(description="When a 2xx answered it.")
    def delivered_at(self) -> Optional[dt.datetime]:
        return self.row.delivered_at


@strawberry.type(description="One delivery in a page, with its cursor.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="The delivery's position: pass it as `after` for older ones.")
    node: WebhookDeliveryType = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of the department's webhook deliveries, newest first.")
class WebhookDeliveryConnection:
    total_count: int = strawberry.field(description="How many deliveries the department's webhooks were owed.")
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="The page's deliveries, newest first.")
    page_info: PageInfo = strawberry.field(description="Where the page lies: `endCursor` for the next one.")


@strawberry.input(description="The address of your department's system that will receive its notifications.")
class RegisterWebhookInput:
    url: str = strawberry.field(description="An absolute http:// or https:// URL, at most 500 characters, without "
                                            "credentials or fragment.")


@strawberry.type(description="The result of registerWebhook: the webhook and its secret, or the errors.")
class RegisterWebhookPayload:
    webhook: Optional[WebhookType] = strawberry.field(description="The webhook as stored; null when refused.")
    secret: Optional[str] = strawberry.field(description=(
        "The HMAC-SHA256 key its deliveries are signed with (64 hexadecimal characters). Shown here only, once: keep "
        "it in your system; to change it, remove the webhook and register it again."))
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


@strawberry.input(description="Which webhook to remove.")
class RemoveWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook's id.")


@strawberry.type(description="The result of removeWebhook: the webhook as removed, or the errors.")
class RemoveWebhookPayload:
    webhook: Optional[WebhookType] = strawberry.field(description=(
        "The webhook as removed; null when refused, except ALREADY_REVOKED, which shows it as it is."))
    errors: list[MutationError] = strawberry.field(description="Every fault found; empty on success.")


async def register(info: Info, input: Annotated[RegisterWebhookInput, strawberry.argument(
        description="The address to register.")]) -> RegisterWebhookPayload:
    row, secret, problems = await resolvers.register_webhook(info.context, input.url)
    return RegisterWebhookPayload(webhook=WebhookType(row=row) if row is not None else None, secret=secret,
                                  errors=errors_of(problems))


async def remove(info: Info, input: Annotated[RemoveWebhookInput, strawberry.argument(
        description="The webhook to remove.")]) -> RemoveWebhookPayload:
    row, problems = await resolvers.remove_webhook(info.context, str(input.id))
    return RemoveWebhookPayload(webhook=WebhookType(row=row) if row is not None else None, errors=errors_of(problems))


async def webhooks(info: Info) -> list[WebhookType]:
    return [WebhookType(row=row) for row in await resolvers.webhooks_of(info.context)]


async def deliveries(
        info: Info,
        first: Annotated[int, strawberry.argument(description=FIRST_DESCRIPTION)] = DEFAULT_FIRST,
        after: Annotated[Optional[str], strawberry.argument(description=AFTER_DESCRIPTION)] = None,
) -> WebhookDeliveryConnection:
    page = await resolvers.delivery_page(info.context, first, after)
    edges = [WebhookDeliveryEdge(cursor=str(row.id), node=WebhookDeliveryType(row=row)) for row in page.rows]
    return WebhookDeliveryConnection(total_count=page.total, edges=edges,
                                     page_info=page_info([e.cursor for e in edges], page.has_next, after))
