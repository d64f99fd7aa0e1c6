"""Duplicates and merges: customers.merged_into_id, customer_merges (what each merge
moved, for its undo) and duplicate_dismissals (pairs marked "not a duplicate").

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 06:30:00

"""
import sqlalchemy as sa
from alembic import op

import app.crypto
import app.models.base

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN: a batch copy of `customers` would drop its search triggers.
        op.execute("ALTER TABLE customers ADD COLUMN merged_into_id INTEGER "
                   "CONSTRAINT fk_customers_merged_into_id_customers "
                   "REFERENCES customers (id)")
    else:
        op.add_column('customers', sa.Column('merged_into_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_customers_merged_into_id_customers', 'customers',
                              'customers', ['merged_into_id'], ['id'])
    op.create_index('ix_customers_merged_into_id', 'customers', ['merged_into_id'])
    op.create_table('customer_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=False),
    sa.Column('merged_id', sa.Integer(), nullable=False),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('merged_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('record', app.crypto.EncryptedJSON(), nullable=False),
    sa.Column('undone_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'],
                            name=op.f('fk_customer_merges_merged_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_id'], ['customers.id'],
                            name=op.f('fk_customer_merges_merged_id_customers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survivor_id'], ['customers.id'],
                            name=op.f('fk_customer_merges_survivor_id_customers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'],
                            name=op.f('fk_customer_merges_undone_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_merges'))
    )
    op.create_index('ix_customer_merges_survivor', 'customer_merges',
                    ['survivor_id', 'merged_at'])
    op.create_index('ix_customer_merges_merged', 'customer_merges', ['merged_id'])
    op.create_table('duplicate_dismissals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=False),
    sa.Column('second_id', sa.Integer(), nullable=False),
    sa.Column('dismissed_by_id', sa.Integer(), nullable=True),
    sa.Column('dismissed_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('first_id < second_id',
                       name=op.f('ck_duplicate_dismissals_order')),
    sa.ForeignKeyConstraint(['dismissed_by_id'], ['users.id'],
                            name=op.f('fk_duplicate_dismissals_dismissed_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['first_id'], ['customers.id'],
                            name=op.f('fk_duplicate_dismissals_first_id_customers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['second_id'], ['customers.id'],
                            name=op.f('fk_duplicate_dismissals_second_id_customers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_dismissals')),
    sa.UniqueConstraint('first_id', 'second_id', name='uq_duplicate_dismissals_pair')
    )
    op.create_index('ix_duplicate_dismissals_second', 'duplicate_dismissals', ['second_id'])


def downgrade():
    op.drop_table('duplicate_dismissals')
    op.drop_table('customer_merges')
    op.drop_index('ix_customers_merged_into_id', table_name='customers')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE customers DROP COLUMN merged_into_id")
    else:
        op.drop_constraint('fk_customers_merged_into_id_customers', 'customers',
                           type_='foreignkey')
        op.drop_column('customers', 'merged_into_id')
