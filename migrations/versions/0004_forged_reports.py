"""inbound_messages.dedupe_key: a provider event waiting for review is stored once

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 23:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Rows already stored keep NULL (NULLs never conflict): earlier replays stay as they are.
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_inbound_messages_dedupe_key'),
                                          ['dedupe_key'])


def downgrade():
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_inbound_messages_dedupe_key'), type_='unique')
        batch_op.drop_column('dedupe_key')
