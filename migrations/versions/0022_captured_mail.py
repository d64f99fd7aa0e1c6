"""Captured correspondence: users.dropbox_token/dropbox_key, inbound_messages.dropbox_user_id,
captured_mail, captured_mail_links and documents.captured_id (an attachment of captured mail).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 09:10:00

"""
import sqlalchemy as sa
from alembic import op

import app.crypto
import app.models.base
import app.models.capture

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('dropbox_token', app.crypto.EncryptedString(),
                                     nullable=True))
    op.add_column('users', sa.Column('dropbox_key', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_users_dropbox_key'), 'users', ['dropbox_key'], unique=True)
    op.create_table('captured_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('received_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('message_key', sa.String(length=64), nullable=False),
    sa.Column('subject', app.crypto.EncryptedString(), nullable=False),
    sa.Column('people', app.crypto.EncryptedJSON(), nullable=False),
    sa.Column('body', app.crypto.EncryptedString(), nullable=False),
    sa.Column('attachments', app.crypto.EncryptedJSON(), nullable=False),
    sa.Column('raw', app.models.capture.EncryptedMail(), nullable=True),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'],
                            name=op.f('fk_captured_mail_filed_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_captured_mail')),
    sa.UniqueConstraint('message_key', name=op.f('uq_captured_mail_message_key'))
    )
    op.create_index('ix_captured_mail_filer_state', 'captured_mail',
                    ['filed_by_id', 'state', 'received_at'])
    op.create_table('captured_mail_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('captured_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('how', sa.String(length=10), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['captured_id'], ['captured_mail.id'],
                            name=op.f('fk_captured_mail_links_captured_id_captured_mail'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                            name=op.f('fk_captured_mail_links_customer_id_customers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'],
                            name=op.f('fk_captured_mail_links_filed_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_captured_mail_links')),
    sa.UniqueConstraint('customer_id', 'captured_id',
                        name='uq_captured_mail_links_customer_captured')
    )
    op.create_index('ix_captured_mail_links_captured', 'captured_mail_links', ['captured_id'])
    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN (SQLite allows a REFERENCES clause there), no table copy.
        op.execute("ALTER TABLE documents ADD COLUMN captured_id INTEGER "
                   "CONSTRAINT fk_documents_captured_id_captured_mail "
                   "REFERENCES captured_mail (id)")
    else:
        op.add_column('documents', sa.Column('captured_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_documents_captured_id_captured_mail', 'documents',
                              'captured_mail', ['captured_id'], ['id'])
    op.create_index(op.f('ix_documents_captured_id'), 'documents', ['captured_id'])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE inbound_messages ADD COLUMN dropbox_user_id INTEGER "
                   "CONSTRAINT fk_inbound_messages_dropbox_user_id_users "
                   "REFERENCES users (id)")
    else:
        op.add_column('inbound_messages', sa.Column('dropbox_user_id', sa.Integer(),
                                                    nullable=True))
        op.create_foreign_key('fk_inbound_messages_dropbox_user_id_users', 'inbound_messages',
                              'users', ['dropbox_user_id'], ['id'])


def downgrade():
    # Plain DROP COLUMNs on SQLite: a batch copy of `users` or `documents` would drop the
    # old table, and its ON DELETE CASCADE children's rows with it.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("ALTER TABLE inbound_messages DROP COLUMN dropbox_user_id")
    else:
        op.drop_constraint('fk_inbound_messages_dropbox_user_id_users', 'inbound_messages',
                           type_='foreignkey')
        op.drop_column('inbound_messages', 'dropbox_user_id')
    op.drop_index(op.f('ix_documents_captured_id'), table_name='documents')
    if sqlite:
        op.execute("ALTER TABLE documents DROP COLUMN captured_id")
    else:
        op.drop_constraint('fk_documents_captured_id_captured_mail', 'documents',
                           type_='foreignkey')
        op.drop_column('documents', 'captured_id')
    op.drop_index('ix_captured_mail_links_captured', table_name='captured_mail_links')
    op.drop_table('captured_mail_links')
    op.drop_index('ix_captured_mail_filer_state', table_name='captured_mail')
    op.drop_table('captured_mail')
    op.drop_index(op.f('ix_users_dropbox_key'), table_name='users')
    for column in ('dropbox_key', 'dropbox_token'):
        if sqlite:
            op.execute(f"ALTER TABLE users DROP COLUMN {column}")
        else:
            op.drop_column('users', column)
