"""customer imports that finish: the rows with problems set aside (encrypted), progress of
an import running in the background

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 06:00:00

"""
import sqlalchemy as sa
from alembic import op

import app.crypto

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skip_problems', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('total', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('processed', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('skipped', app.crypto.EncryptedJSON(), nullable=True))
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.alter_column('skip_problems', server_default=None)
        batch_op.alter_column('total', server_default=None)
        batch_op.alter_column('processed', server_default=None)


def downgrade():
    # An import still queued or running has no state to go back to.
    op.execute("DELETE FROM customer_imports WHERE state IN ('queued', 'running')")
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.drop_column('skipped')
        batch_op.drop_column('processed')
        batch_op.drop_column('total')
        batch_op.drop_column('skip_problems')
