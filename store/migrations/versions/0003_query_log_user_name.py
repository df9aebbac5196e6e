"""The querier's name in the query log (HC-23 查询人员姓名): query_log.user_name, from the token's
`name` claim. Entries written before it hold NULL there and keep their hashes (store/chain.py
hashes the column only when it holds a value).

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both dialects: no table rebuild, so the append-only triggers stay.
    op.add_column("query_log", sa.Column("user_name", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column("query_log", "user_name")
