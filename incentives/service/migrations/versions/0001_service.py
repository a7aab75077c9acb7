"""The service's tables: plan versions, datasets, runs and their payees, tokens, audit, webhooks.

Revision ID: 0001_service
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_service"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('svc_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=400), nullable=False),
    sa.Column('before_hash', sa.String(length=64), nullable=False),
    sa.Column('after_hash', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_audit'))
    )
    op.create_table('svc_datasets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_datasets'))
    )
    op.create_table('svc_plan_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('effective_start', sa.Date(), nullable=True),
    sa.Column('effective_end', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_plan_versions')),
    sa.UniqueConstraint('name', 'hash', name=op.f('uq_svc_plan_versions_name_hash')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_svc_plan_versions_name_version'))
    )
    op.create_index(op.f('ix_svc_plan_versions_name'), 'svc_plan_versions', ['name'], unique=False)
    op.create_table('svc_runs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_runs')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_svc_runs_idempotency_key'))
    )
    op.create_table('svc_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('person', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_tokens')),
    sa.UniqueConstraint('hash', name=op.f('uq_svc_tokens_hash'))
    )
    op.create_table('svc_webhooks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_webhooks'))
    )
    op.create_table('svc_deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['webhook_id'], ['svc_webhooks.id'],
                            name=op.f('fk_svc_deliveries_webhook_id_svc_webhooks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_deliveries'))
    )
    op.create_table('svc_run_payees',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('period', sa.String(length=64), nullable=False),
    sa.Column('payee', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('manager', sa.String(length=200), nullable=False),
    sa.Column('plan', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('earned_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('breakdown', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['svc_runs.id'], name=op.f('fk_svc_run_payees_run_id_svc_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_svc_run_payees'))
    )
    op.create_index(op.f('ix_svc_run_payees_run_id'), 'svc_run_payees', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_svc_run_payees_run_id'), table_name='svc_run_payees')
    op.drop_table('svc_run_payees')
    op.drop_table('svc_deliveries')
    op.drop_table('svc_webhooks')
    op.drop_table('svc_tokens')
    op.drop_table('svc_runs')
    op.drop_index(op.f('ix_svc_plan_versions_name'), table_name='svc_plan_versions')
    op.drop_table('svc_plan_versions')
    op.drop_table('svc_datasets')
    op.drop_table('svc_audit')
