"""inbound_messages.has_original: whether a notice returned a copy of our email

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 02:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Rows already stored keep NULL (not known); processing one again fills it in.
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_original', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_column('has_original')
