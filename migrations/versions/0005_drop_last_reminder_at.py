"""invoices.last_reminder_at: never written or read (reminders are emails of kind
"reminder"), so it goes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 23:45:00

"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoices') as batch_op:
        batch_op.drop_column('last_reminder_at')


def downgrade():
    with op.batch_alter_table('invoices') as batch_op:
        batch_op.add_column(sa.Column('last_reminder_at',
                                      app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
