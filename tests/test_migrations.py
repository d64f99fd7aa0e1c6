"""The migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.extensions import db as _db
from app.models.search_index import is_search_index_object


def test_migrated_database_matches_models(app, db):
    # The session database was built by `flask db upgrade` (see conftest).
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                   "include_object": is_search_index_object})
        diff = compare_metadata(context, _db.metadata)
    assert diff == []


def test_upgrade_reaches_the_head_revision(app, db):
    from alembic.script import ScriptDirectory

    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert current == script.get_current_head()
