"""initial schema: subjects, catalogue, records and their lifecycle, logs

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 21:50:07.543546
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=256), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('casbin_rule',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('ptype', sa.String(length=8), nullable=False),
    sa.Column('v0', sa.String(length=128), nullable=True),
    sa.Column('v1', sa.String(length=128), nullable=True),
    sa.Column('v2', sa.String(length=128), nullable=True),
    sa.Column('v3', sa.String(length=128), nullable=True),
    sa.Column('v4', sa.String(length=128), nullable=True),
    sa.Column('v5', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('catalogue_items',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('profile', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('basis', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=8), nullable=False),
    sa.Column('family', sa.String(length=32), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('in_force_from', sa.Date(), nullable=True),
    sa.Column('in_force_until', sa.Date(), nullable=True),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_items_profile'), ['profile'], unique=False)

    op.create_table('departments',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('query_documents',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('hash')
    )
    op.create_table('query_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('user', sa.String(length=128), nullable=True),
    sa.Column('department', sa.String(length=32), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=True),
    sa.Column('operation_name', sa.String(length=128), nullable=True),
    sa.Column('operation_type', sa.String(length=16), nullable=True),
    sa.Column('document_hash', sa.String(length=64), nullable=True),
    sa.Column('variables', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=True),
    sa.Column('basis', sa.String(length=128), nullable=True),
    sa.Column('authorization_id', sa.BigInteger(), nullable=True),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('record_ids', sa.JSON(), nullable=False),
    sa.Column('refused', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('duration_ms', sa.Double(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('entry_hash')
    )
    with op.batch_alter_table('query_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_query_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_query_log_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_query_log_purpose'), ['purpose'], unique=False)
        batch_op.create_index(batch_op.f('ix_query_log_user'), ['user'], unique=False)

    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('subjects',
    sa.Column('code', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subjects_name'), ['name'], unique=False)

    op.create_table('submission_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user', sa.String(length=128), nullable=True),
    sa.Column('department', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('entry_hash')
    )
    with op.batch_alter_table('submission_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_log_department'), ['department'], unique=False)

    op.create_table('authorizations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subject_code', sa.String(length=18), nullable=False),
    sa.Column('grantee_user', sa.String(length=128), nullable=True),
    sa.Column('grantee_department', sa.String(length=32), nullable=True),
    sa.Column('scope_items', sa.JSON(), nullable=False),
    sa.Column('scope_classes', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('written_ref', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['grantee_department'], ['departments.code'], ),
    sa.ForeignKeyConstraint(['subject_code'], ['subjects.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('authorizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authorizations_grantee_department'), ['grantee_department'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorizations_grantee_user'), ['grantee_user'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorizations_subject_code'), ['subject_code'], unique=False)

    op.create_table('query_log_subjects',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject_code', sa.String(length=18), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['query_log.seq'], ),
    sa.PrimaryKeyConstraint('seq', 'subject_code')
    )
    with op.batch_alter_table('query_log_subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_query_log_subjects_subject_code'), ['subject_code'], unique=False)

    op.create_table('records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('subject_code', sa.String(length=18), nullable=False),
    sa.Column('catalogue_item_code', sa.String(length=64), nullable=False),
    sa.Column('provider_code', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=8), nullable=False),
    sa.Column('family', sa.String(length=32), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('document_number', sa.String(length=128), nullable=False),
    sa.Column('issuing_authority', sa.String(length=200), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('act_ended_on', sa.Date(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('disclosure_ends_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_changed_on', sa.Date(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('consent_ref', sa.String(length=128), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.String(length=128), nullable=False),
    sa.Column('deadline_on', sa.Date(), nullable=True),
    sa.Column('deadline_provisional', sa.Boolean(), nullable=False),
    sa.Column('late_working_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['catalogue_item_code'], ['catalogue_items.code'], ),
    sa.ForeignKeyConstraint(['provider_code'], ['departments.code'], ),
    sa.ForeignKeyConstraint(['subject_code'], ['subjects.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_code', 'catalogue_item_code', 'document_number', name='uq_record_document')
    )
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_records_catalogue_item_code'), ['catalogue_item_code'], unique=False)
        batch_op.create_index('ix_records_provider_submitted', ['provider_code', 'submitted_at'], unique=False)
        batch_op.create_index('ix_records_subject_listing', ['subject_code', 'status', 'decided_on'], unique=False)

    op.create_table('objections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject_code', sa.String(length=18), nullable=False),
    sa.Column('ground', sa.String(length=32), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('evidence_ref', sa.String(length=256), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('centre_due_on', sa.Date(), nullable=True),
    sa.Column('provider_due_on', sa.Date(), nullable=True),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.ForeignKeyConstraint(['subject_code'], ['subjects.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objections_subject_code'), ['subject_code'], unique=False)

    op.create_table('record_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('change', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('changed_by', sa.String(length=128), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('record_id', 'version', name='uq_record_version')
    )
    with op.batch_alter_table('record_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_versions_record_id'), ['record_id'], unique=False)

    op.create_table('annotations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('objection_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['objection_id'], ['objections.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotations_record_id'), ['record_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotations_record_id'))

    op.drop_table('annotations')
    with op.batch_alter_table('record_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_versions_record_id'))

    op.drop_table('record_versions')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_subject_code'))
        batch_op.drop_index(batch_op.f('ix_objections_record_id'))

    op.drop_table('objections')
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_subject_listing')
        batch_op.drop_index('ix_records_provider_submitted')
        batch_op.drop_index(batch_op.f('ix_records_catalogue_item_code'))

    op.drop_table('records')
    with op.batch_alter_table('query_log_subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_query_log_subjects_subject_code'))

    op.drop_table('query_log_subjects')
    with op.batch_alter_table('authorizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorizations_subject_code'))
        batch_op.drop_index(batch_op.f('ix_authorizations_grantee_user'))
        batch_op.drop_index(batch_op.f('ix_authorizations_grantee_department'))

    op.drop_table('authorizations')
    with op.batch_alter_table('submission_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_log_department'))
        batch_op.drop_index(batch_op.f('ix_submission_log_at'))

    op.drop_table('submission_log')
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subjects_name'))

    op.drop_table('subjects')
    op.drop_table('settings')
    with op.batch_alter_table('query_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_query_log_user'))
        batch_op.drop_index(batch_op.f('ix_query_log_purpose'))
        batch_op.drop_index(batch_op.f('ix_query_log_department'))
        batch_op.drop_index(batch_op.f('ix_query_log_at'))

    op.drop_table('query_log')
    op.drop_table('query_documents')
    op.drop_table('departments')
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_items_profile'))

    op.drop_table('catalogue_items')
    op.drop_table('casbin_rule')
    op.drop_table('calendar_years')

