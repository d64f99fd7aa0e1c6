"""Why a delivery failed and whose problem it is: email_events.reason and failure_class,
a person's overturning of the verdict, and customer_emails.problem (a mailbox-class
failure that leaves the address usable)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 02:20:00

"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('email_events') as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=20), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('failure_class', sa.String(length=10), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('overturned_at',
                                      app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('overturned_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('overturn_note', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.create_foreign_key('fk_email_events_overturned_by_id_users', 'users',
                                    ['overturned_by_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('customer_emails') as batch_op:
        batch_op.add_column(sa.Column('problem', sa.String(length=10), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('problem_at',
                                      app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
    # The server defaults only fill the existing rows: the models give the defaults.
    with op.batch_alter_table('email_events') as batch_op:
        for column in ('reason', 'failure_class', 'overturn_note'):
            batch_op.alter_column(column, server_default=None)
    with op.batch_alter_table('customer_emails') as batch_op:
        batch_op.alter_column('problem', server_default=None)


def downgrade():
    with op.batch_alter_table('customer_emails') as batch_op:
        batch_op.drop_column('problem_at')
        batch_op.drop_column('problem')
    with op.batch_alter_table('email_events') as batch_op:
        batch_op.drop_constraint('fk_email_events_overturned_by_id_users', type_='foreignkey')
        batch_op.drop_column('overturn_note')
        batch_op.drop_column('overturned_by_id')
        batch_op.drop_column('overturned_at')
        batch_op.drop_column('failure_class')
        batch_op.drop_column('reason')
