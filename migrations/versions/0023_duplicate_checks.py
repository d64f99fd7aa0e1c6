"""The duplicate finder's result: duplicate_checks (a run, its progress) and
duplicate_pairs (what it found, ids and kinds only).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 09:30:00

"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('duplicate_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('step', sa.String(length=20), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('pairs_found', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                            name=op.f('fk_duplicate_checks_requested_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_checks'))
    )
    op.create_index('ix_duplicate_checks_state', 'duplicate_checks', ['state', 'id'])
    op.create_table('duplicate_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=False),
    sa.Column('second_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['duplicate_checks.id'],
                            name=op.f('fk_duplicate_pairs_check_id_duplicate_checks'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['first_id'], ['customers.id'],
                            name=op.f('fk_duplicate_pairs_first_id_customers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['second_id'], ['customers.id'],
                            name=op.f('fk_duplicate_pairs_second_id_customers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_pairs'))
    )
    op.create_index('ix_duplicate_pairs_check_score', 'duplicate_pairs', ['check_id', 'score'])
    op.create_index('ix_duplicate_pairs_first', 'duplicate_pairs', ['first_id'])
    op.create_index('ix_duplicate_pairs_second', 'duplicate_pairs', ['second_id'])


def downgrade():
    op.drop_index('ix_duplicate_pairs_second', table_name='duplicate_pairs')
    op.drop_index('ix_duplicate_pairs_first', table_name='duplicate_pairs')
    op.drop_index('ix_duplicate_pairs_check_score', table_name='duplicate_pairs')
    op.drop_table('duplicate_pairs')
    op.drop_index('ix_duplicate_checks_state', table_name='duplicate_checks')
    op.drop_table('duplicate_checks')
