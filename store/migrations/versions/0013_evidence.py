"""Evidence files name the objection case they support (issue 16): `evidence_files.case_id`.

Objections are cases since the lifecycle issue (`cases`, kind OBJECTION); the older `objections`
table that 0011's `objection_id` points at is no longer written, so an evidence file is attached
to its case here, and `objection_id` stays empty.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence_files") as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key("fk_evidence_files_case_id", "cases", ["case_id"], ["id"])
        batch_op.create_index("ix_evidence_files_case_id", ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_files") as batch_op:
        batch_op.drop_index("ix_evidence_files_case_id")
        batch_op.drop_constraint("fk_evidence_files_case_id", type_="foreignkey")
        batch_op.drop_column("case_id")
