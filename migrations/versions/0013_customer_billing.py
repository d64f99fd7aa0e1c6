"""customers: currency, payment terms and a "no reminders" switch with its reason

Empty currency and no terms mean "the office's defaults" (app/invoices/defaults.py), so
existing customers keep being billed as before.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-05 05:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('currency', sa.String(length=3), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('payment_terms_days', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reminders_off', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('reminders_off_reason', sa.String(length=500),
                                   nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('reminders_off_reason')
        batch.drop_column('reminders_off')
        batch.drop_column('payment_terms_days')
        batch.drop_column('currency')
