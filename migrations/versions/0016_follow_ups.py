"""follow_ups: tasks about a customer (optionally an invoice) for one person, and the
suggestions the periodic scan makes (one per customer, invoice and rule, for ever)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 05:50:00

"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('due_time', sa.Time(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('rule_key', sa.String(length=120), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('dismissed_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_follow_ups_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_follow_ups_completed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_follow_ups_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_follow_ups_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'], name=op.f('fk_follow_ups_dismissed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_follow_ups_invoice_id_invoices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['attention_items.id'], name=op.f('fk_follow_ups_item_id_attention_items'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('rule_key', name=op.f('uq_follow_ups_rule_key'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_assignee_state_due', ['assignee_id', 'state', 'due_on'], unique=False)
        batch_op.create_index('ix_follow_ups_customer_state', ['customer_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_invoice_id'), ['invoice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_invoice_id'))
        batch_op.drop_index('ix_follow_ups_customer_state')
        batch_op.drop_index('ix_follow_ups_assignee_state_due')

    op.drop_table('follow_ups')
