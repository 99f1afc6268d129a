"""sync_rejects: tracker events the sync set aside, with the reason

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sync_rejects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cursor_name', sa.String(length=64), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.String(length=255), nullable=True),
        sa.Column('type_name', sa.String(length=255), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('set_aside_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('cursor_name', 'event_id', name='uq_sync_reject_cursor_event'),
    )
    with op.batch_alter_table('sync_rejects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_rejects_set_aside_at'), ['set_aside_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sync_rejects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_rejects_set_aside_at'))
    op.drop_table('sync_rejects')
