"""email_messages.claimed_by: the worker holding a claim, so that the claims of a worker
whose heartbeat stopped are handed back at once instead of after the sending timeout

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 03:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('email_messages') as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('email_messages') as batch_op:
        batch_op.drop_column('claimed_by')
