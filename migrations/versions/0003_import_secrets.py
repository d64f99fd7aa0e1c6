"""customer imports: rows encrypted at rest, a last-touched time for the clean-up job

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.crypto
import app.models.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # Imports waiting for confirmation hold their rows as plain JSON and a migration has no
    # key to encrypt them with: they go (the user uploads the file again). Applied imports
    # keep their summary; their rows were already emptied.
    if op.get_context().dialect.name == 'sqlite':
        # Else the deleted rows stay readable in free pages, which a backup copies.
        op.execute("PRAGMA secure_delete = ON")
    op.execute("DELETE FROM customer_imports WHERE state <> 'done'")
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.alter_column('data', existing_type=sa.JSON(), nullable=True)
        batch_op.alter_column('data', existing_type=sa.JSON(), type_=app.crypto.EncryptedJSON(),
                              existing_nullable=True, postgresql_using='NULL')
    op.execute("UPDATE customer_imports SET data = NULL, updated_at = created_at")
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=app.models.base.UTCDateTime(
            timezone=True), nullable=False)


def downgrade():
    op.execute("DELETE FROM customer_imports WHERE state <> 'done'")
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.alter_column('data', existing_type=app.crypto.EncryptedJSON(), type_=sa.JSON(),
                              existing_nullable=True, postgresql_using='NULL')
    op.execute("UPDATE customer_imports SET data = '{}'")
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.alter_column('data', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('updated_at')
