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
    search_index.install(op.get_bind())


def downgrade():
    search_index.uninstall(op.get_bind())
