"""Query permits (查询申请 HC-23, 正式函件 XZ-18): the credit centre registers a department's approved
written application or official letter; a query's basis names its number (SPEC 2, 3.1).

Revision ID: 0004
Revises: 0002 (the lead re-chains the revisions of issue 11 at merge)
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "query_permits",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=128), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("scope_classes", sa.JSON(), nullable=False),
        sa.Column("scope_items", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=False),
        sa.Column("registered_by", sa.String(length=128), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=128), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["department_code"], ["departments.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("query_permits") as batch_op:
        batch_op.create_index("ix_query_permits_department_code", ["department_code"], unique=False)


def downgrade() -> None:
    op.drop_table("query_permits")
