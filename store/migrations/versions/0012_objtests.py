"""An annotation names the objection case it stands for (issue 16: `RecordAnnotation.caseId`).

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both dialects (as record_events.case_id: no foreign key, no table rebuild).
    op.add_column("annotations", sa.Column("case_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("annotations") as batch_op:
        batch_op.drop_column("case_id")
