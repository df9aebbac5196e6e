"""Evidence files of objections (issue 16), creditCheck receipts (issue 17), federated sources and
their admitted SDL versions (issue 18), and the query log's two optional hashed columns: the remote
calls a request made and the receipts it issued.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Instant = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by", sa.String(length=128), nullable=False),
        sa.Column("uploaded_for", sa.String(length=18), nullable=True),
        sa.Column("uploaded_at", Instant, nullable=False),
        sa.Column("objection_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["objection_id"], ["objections.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("evidence_files") as batch_op:
        batch_op.create_index("ix_evidence_files_sha256", ["sha256"], unique=False)
        batch_op.create_index("ix_evidence_files_objection_id", ["objection_id"], unique=False)

    op.create_table(
        "credit_check_receipts",
        sa.Column("receipt_id", sa.String(length=64), nullable=False),
        sa.Column("log_seq", sa.BigInteger(), nullable=False),
        sa.Column("subject_code", sa.String(length=18), nullable=False),
        sa.Column("answer_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("receipt_id"),
    )
    with op.batch_alter_table("credit_check_receipts") as batch_op:
        batch_op.create_index("ix_credit_check_receipts_log_seq", ["log_seq"], unique=False)
        batch_op.create_index("ix_credit_check_receipts_subject_code", ["subject_code"], unique=False)

    op.create_table(
        "federated_sources",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("signing_key", sa.String(length=128), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("admitted_at", Instant, nullable=False),
        sa.Column("admitted_by", sa.String(length=128), nullable=True),
        sa.Column("removed_at", Instant, nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "federated_source_versions",
        sa.Column("source_name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sdl", sa.Text(), nullable=False),
        sa.Column("sdl_hash", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("admitted_at", Instant, nullable=False),
        sa.Column("admitted_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["source_name"], ["federated_sources.name"]),
        sa.PrimaryKeyConstraint("source_name", "version"),
    )
    # A plain ADD COLUMN on both dialects: no table rebuild, so the append-only triggers stay (0002).
    op.add_column("query_log", sa.Column("remote_calls", sa.JSON(), nullable=True))
    op.add_column("query_log", sa.Column("receipts", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("query_log", "receipts")
    op.drop_column("query_log", "remote_calls")
    op.drop_table("federated_source_versions")
    op.drop_table("federated_sources")
    op.drop_table("credit_check_receipts")
    op.drop_table("evidence_files")
