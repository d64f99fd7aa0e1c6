"""customers: currency, payment terms and a "no reminders" switch with its reason

Empty currency and no terms mean "the office's defaults" (app/invoices/defaults.py), so
existing customers keep being billed as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 05:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN, no batch: rebuilding the table on SQLite would drop the search
    # index's triggers on it (0002).
    op.add_column('customers', sa.Column('currency', sa.String(length=3), nullable=False,
                                         server_default=''))
    op.add_column('customers', sa.Column('payment_terms_days', sa.Integer(), nullable=True))
    op.add_column('customers', sa.Column('reminders_off', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.add_column('customers', sa.Column('reminders_off_reason', sa.String(length=500),
                                         nullable=False, server_default=''))


def downgrade():
    # SQLite drops a column in place since 3.35 (search triggers name none of these).
    for column in ('reminders_off_reason', 'reminders_off', 'payment_terms_days', 'currency'):
        op.drop_column('customers', column)
