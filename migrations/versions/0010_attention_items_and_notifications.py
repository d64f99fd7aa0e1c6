"""attention_items (what needs attention, raised once per condition), notifications, and
users.notify_digest (the daily notification email, off for everyone already here),
email_messages.resent_from_id (fix and resend links the new email to the rejected one)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 03:01:38

"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attention_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('admins_only', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('dismissed_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_attention_items_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_attention_items_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'], name=op.f('fk_attention_items_dismissed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_attention_items_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['email_messages.id'], name=op.f('fk_attention_items_message_id_email_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_attention_items_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_attention_items_resolved_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attention_items')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_attention_items_dedupe_key'))
    )
    with op.batch_alter_table('attention_items', schema=None) as batch_op:
        batch_op.create_index('ix_attention_items_customer', ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attention_items_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attention_items_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_attention_items_open', ['resolved_at', 'dismissed_at', 'created_at'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('digested_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_notifications_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['attention_items.id'], name=op.f('fk_notifications_item_id_attention_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_notifications_digest', ['digested_at', 'user_id'], unique=False)
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at', 'created_at'], unique=False)

    # A plain ADD COLUMN: a batch rebuild of `users` on SQLite would drop the table, and
    # with foreign keys on, every row referring to a user would be deleted or nulled.
    op.add_column('users', sa.Column('notify_digest', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    # No foreign key: SQLite cannot add one to an existing table without the rebuild above.
    op.add_column('email_messages', sa.Column('resent_from_id', sa.Integer(), nullable=True))


def downgrade():
    op.drop_column('users', 'notify_digest')  # SQLite drops a column in place
    op.drop_column('email_messages', 'resent_from_id')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')
        batch_op.drop_index('ix_notifications_digest')
        batch_op.drop_index(batch_op.f('ix_notifications_customer_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('attention_items', schema=None) as batch_op:
        batch_op.drop_index('ix_attention_items_open')
        batch_op.drop_index(batch_op.f('ix_attention_items_message_id'))
        batch_op.drop_index(batch_op.f('ix_attention_items_invoice_id'))
        batch_op.drop_index('ix_attention_items_customer')

    op.drop_table('attention_items')
