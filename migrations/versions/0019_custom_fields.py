"""the office's own customer fields and their typed values

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 06:40:00

"""
import sqlalchemy as sa
from alembic import op

import app.crypto
import app.models.base

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'custom_fields',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=60), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('in_list', sa.Boolean(), nullable=False),
        sa.Column('sensitive', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('archived_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('label'),
    )
    op.create_table(
        'customer_field_values',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('field_id', sa.Integer(), nullable=False),
        sa.Column('text_value', sa.String(length=500), nullable=True),
        sa.Column('number_value', sa.Numeric(18, 4), nullable=True),
        sa.Column('date_value', sa.Date(), nullable=True),
        sa.Column('bool_value', sa.Boolean(), nullable=True),
        sa.Column('secret', app.crypto.EncryptedString(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['field_id'], ['custom_fields.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('customer_id', 'field_id', name='uq_field_values_customer_field'),
    )
    for kind in ('text', 'number', 'date', 'bool'):
        op.create_index(f'ix_field_values_{kind}', 'customer_field_values',
                        ['field_id', f'{kind}_value', 'customer_id'])


def downgrade():
    op.drop_table('customer_field_values')
    op.drop_table('custom_fields')
