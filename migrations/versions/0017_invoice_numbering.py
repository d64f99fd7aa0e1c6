"""invoice numbering and snapshots: drafts lose their number, issued invoices take one
from an office-wide counter (number_counters) at finalize and keep a snapshot of seller
and buyer; logos printed on them are kept once in document_images

Existing issued invoices keep their old per-customer numbers ("0002-0004") and have no
snapshot (they print today's office and customer details). This is pre-release: rebuild
a demo or test database (`flask demo seed` on a fresh one) for one continuous series.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 06:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

import app.models.base

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('number_counters',
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', 'year', name=op.f('pk_number_counters'))
    )
    op.create_table('document_images',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_document_images'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint('uq_invoices_customer_seq', type_='unique')
        batch_op.drop_index(batch_op.f('ix_invoices_number'))
        batch_op.drop_column('seq')
        batch_op.alter_column('number', existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(sa.Column('number_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('number_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('number_key', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('snapshot', sa.Text(), nullable=True))
    invoices = sa.table('invoices', sa.column('id', sa.Integer),
                        sa.column('number', sa.String), sa.column('status', sa.String),
                        sa.column('number_key', sa.String))
    conn = op.get_bind()
    conn.execute(invoices.update().where(invoices.c.status == 'draft').values(number=None))
    for row in conn.execute(sa.select(invoices.c.id, invoices.c.number)
                            .where(invoices.c.number.is_not(None))).all():
        conn.execute(invoices.update().where(invoices.c.id == row.id).values(
            number_key=re.sub(r"[\W_]+", "", row.number.lower())))
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_invoices_number', ['number'])
        batch_op.create_index(batch_op.f('ix_invoices_number_key'), ['number_key'], unique=False)


def downgrade():
    invoices = sa.table('invoices', sa.column('id', sa.Integer),
                        sa.column('number', sa.String), sa.column('seq', sa.Integer))
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_number_key'))
        batch_op.drop_constraint('uq_invoices_number', type_='unique')
        batch_op.drop_column('snapshot')
        batch_op.drop_column('number_key')
        batch_op.drop_column('number_seq')
        batch_op.drop_column('number_year')
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
    conn = op.get_bind()
    # The old schema numbered every row per customer: each gets its id as its counter.
    conn.execute(invoices.update().values(seq=invoices.c.id))
    conn.execute(invoices.update().where(invoices.c.number.is_(None)).values(
        number=sa.literal('DRAFT-') + sa.cast(invoices.c.id, sa.String)))
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('number', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_index(batch_op.f('ix_invoices_number'), ['number'], unique=False)
        batch_op.create_unique_constraint('uq_invoices_customer_seq', ['customer_id', 'seq'])
    op.drop_table('document_images')
    op.drop_table('number_counters')
