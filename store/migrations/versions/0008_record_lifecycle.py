"""A record's whole life (issue 15): dated events, tombstones, cases, notifications, webhooks; the
publicity end of graded penalties and Xinzheng's retention end on each record.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Instant = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("records") as batch_op:
        batch_op.add_column(sa.Column("publicity_ends_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("retained_until", sa.Date(), nullable=True))

    op.create_table(
        "record_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_code", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("at", Instant, nullable=False),
        sa.Column("actor_user", sa.String(length=128), nullable=True),
        sa.Column("actor_department", sa.String(length=32), nullable=True),
        sa.Column("document_ref", sa.String(length=200), nullable=True),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("record_events") as batch_op:
        batch_op.create_index("ix_record_events_record", ["record_id", "effective_on", "id"], unique=False)
        batch_op.create_index("ix_record_events_subject_code", ["subject_code"], unique=False)
        batch_op.create_index("ix_record_events_case_id", ["case_id"], unique=False)

    op.create_table(
        "record_tombstones",
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_code", sa.String(length=18), nullable=False),
        sa.Column("provider_code", sa.String(length=32), nullable=False),
        sa.Column("catalogue_item_code", sa.String(length=64), nullable=False),
        sa.Column("document_number", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("deleted_at", Instant, nullable=False),
        sa.Column("deleted_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("record_id"),
    )
    with op.batch_alter_table("record_tombstones") as batch_op:
        batch_op.create_index("ix_record_tombstones_subject_code", ["subject_code"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_code", sa.String(length=18), nullable=False),
        sa.Column("provider_code", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("next_party", sa.String(length=16), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_at", Instant, nullable=False),
        sa.Column("opened_by", sa.String(length=128), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("closed_at", Instant, nullable=True),
        sa.Column("updated_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cases") as batch_op:
        batch_op.create_index("ix_cases_open", ["state", "due_on"], unique=False)
        batch_op.create_index("ix_cases_record_id", ["record_id"], unique=False)
        batch_op.create_index("ix_cases_subject_code", ["subject_code"], unique=False)
        batch_op.create_index("ix_cases_provider_code", ["provider_code"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("recipient_party", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_code", sa.String(length=18), nullable=True),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("read_at", Instant, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.create_index("ix_notifications_recipient", ["recipient_party", "recipient", "read_at", "id"],
                              unique=False)

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.Column("disabled_at", Instant, nullable=True),
        sa.ForeignKeyConstraint(["department_code"], ["departments.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_subscriptions") as batch_op:
        batch_op.create_index("ix_webhook_subscriptions_department_code", ["department_code"], unique=False)

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Instant, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", Instant, nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["webhook_subscriptions.id"]),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "notification_id", name="uq_webhook_delivery"),
    )
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.create_index("ix_webhook_deliveries_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    for table in ("webhook_deliveries", "webhook_subscriptions", "notifications", "cases",
                  "record_tombstones", "record_events"):
        op.drop_table(table)
    with op.batch_alter_table("records") as batch_op:
        batch_op.drop_column("retained_until")
        batch_op.drop_column("publicity_ends_on")
