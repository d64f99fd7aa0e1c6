"""customer search index: pg_trgm GIN on PostgreSQL, FTS5 trigram table on SQLite

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:45:00

"""
from alembic import op

from app.models import search_index

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Through op.execute, so `flask db upgrade --sql` can print it too.
    for statement in search_index.statements(op.get_context().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in search_index.drop_statements(op.get_context().dialect.name):
        op.execute(statement)
