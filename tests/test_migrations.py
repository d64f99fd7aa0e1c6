"""The migrations build exactly the schema the models describe."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db as _db
from app.models.search_index import is_search_index_object
from tests.conftest import _base_config, postgres_database


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


def _insert_as_then(model, rows: list[dict]) -> None:
    """Insert `rows` into the table as an older revision left it: only the columns it had
    then, the others of them from the model's defaults (today's model has more columns)."""
    table = sa.Table(model.__tablename__, sa.MetaData(), autoload_with=_db.engine)
    filled = []
    for row in rows:
        values = dict(row)
        for column in table.columns:
            default = model.__table__.columns[column.name].default
            if column.name not in values and default is not None and not column.primary_key:
                arg = default.arg
                values[column.name] = arg(None) if callable(arg) else arg
        filled.append(values)
    with _db.engine.begin() as conn:
        conn.execute(table.insert(), filled)


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database of the same kind as the test database."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    with postgres_database(database_url, "clientele_scratch") as url:
        yield url


def test_upgrade_leaves_no_readable_import_rows(scratch_url, tmp_path):
    """Imports waiting in plain JSON go; applied ones keep their summary, not their rows."""
    app = create_app(_base_config(scratch_url, "redis://127.0.0.1:1/0",
                                  INSTANCE_PATH=str(tmp_path / "instance")))
    imports = sa.text("SELECT state, data, summary FROM customer_imports")
    with app.app_context():
        if scratch_url.startswith("sqlite"):
            # As SQLite builds whose default is off (Debian's is on): deleted rows linger.
            sa.event.listen(_db.engine, "connect", lambda conn, _: conn.execute(
                "PRAGMA secure_delete = OFF"))
        upgrade(revision="0002")
        with _db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id, email, name, role, password_hash, "
                                 "session_token, active, created_at) VALUES (1, "
                                 "'a@example.com', 'A', 'admin', 'x', 't', true, "
                                 "CURRENT_TIMESTAMP)"))
            conn.execute(sa.text(
                "INSERT INTO customer_imports (user_id, filename, created_at, state, data, "
                "mapping, mode, summary) VALUES (1, :name, CURRENT_TIMESTAMP, :state, :data, "
                "'[]', 'skip', :summary)"), [
                {"name": "waiting.csv", "state": "uploaded", "summary": "{}",
                 "data": '{"header": ["VAT"], "rows": [["DE811907980"]]}'},
                {"name": "done.csv", "state": "done", "data": "{}",
                 "summary": '{"created": 1, "updated": 0, "skipped": 0}'}])
        upgrade()
        with _db.engine.connect() as conn:
            [(state, data, summary)] = conn.execute(imports).all()
        assert (state, data) == ("done", None) and "created" in str(summary)
        _db.engine.dispose()  # SQLite: checkpoint the WAL into the file
        if scratch_url.startswith("sqlite"):
            assert b"DE811907980" not in (tmp_path / "scratch.db").read_bytes()
        downgrade(revision="0002")
        with _db.engine.connect() as conn:
            [(state, data, _)] = conn.execute(imports).all()
        assert state == "done" and data in ("{}", {})
        _db.engine.dispose()


def test_failure_reasons_migrate_up_and_down_keeping_the_events(scratch_url, tmp_path):
    """0007 adds reason, class and overturn columns to stored events (and the mailbox
    problem to addresses); existing rows get empty values; down removes them again."""
    app = create_app(_base_config(scratch_url, "redis://127.0.0.1:1/0",
                                  INSTANCE_PATH=str(tmp_path / "instance")))

    def columns(table: str) -> set[str]:
        with _db.engine.connect() as conn:
            return {c["name"] for c in sa.inspect(conn).get_columns(table)}

    new_event_columns = {"reason", "failure_class", "overturned_at", "overturned_by_id",
                         "overturn_note"}
    with app.app_context():
        upgrade(revision="0006")
        with _db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO email_messages (id, kind, batch, to_address, to_name, "
                "recipient_role, cc_addresses, subject, body_text, attach_pdf, include_link, "
                "message_id, verp_token, open_token, state, status, status_at, attempts, "
                "smtp_response, possible_duplicate, gave_up, override_suppression, "
                "human_opens, automated_opens, clicks, last_event_type, created_at) VALUES "
                "(1, 'invoice', 'b', 'a@example.org', '', 'to', '', 'S', 'B', false, false, "
                "'m@x', 'v', 'o', 'rejected', 'rejected', CURRENT_TIMESTAMP, 1, '', false, "
                "false, false, 0, 0, 0, '', CURRENT_TIMESTAMP)"))
            conn.execute(sa.text(
                "INSERT INTO email_events (id, message_id, type, occurred_at, received_at, "
                "source, automated, delivered, code, diagnostic, user_agent, ip, url, "
                "details, dedupe_key) VALUES (1, 1, 'rejected', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP, 'dsn', false, false, '5.1.1', 'user unknown', '', '', "
                "'', '{}', 'k1')"))
        assert not new_event_columns & columns("email_events")
        upgrade(revision="0007")
        assert new_event_columns <= columns("email_events")
        assert {"problem", "problem_at"} <= columns("customer_emails")
        with _db.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT reason, failure_class, overturned_at, "
                                       "overturn_note FROM email_events")).one()
        assert tuple(row) == ("", "", None, "")
        downgrade(revision="0006")
        assert not new_event_columns & columns("email_events")
        assert not {"problem", "problem_at"} & columns("customer_emails")
        with _db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT code FROM email_events")).scalar() == "5.1.1"
        upgrade()
        assert new_event_columns <= columns("email_events")
        _db.engine.dispose()


def test_upgrade_turns_known_languages_into_codes_and_keeps_the_rest(scratch_url, tmp_path):
    from app.customers.languages import language_label
    from app.models import Customer

    app = create_app(_base_config(scratch_url, "redis://127.0.0.1:1/0",
                                  INSTANCE_PATH=str(tmp_path / "instance")))
    typed = ["German", "de-AT", " Deutsch ", "en_GB", "ENGLISH", "fr", "français",
             "Klingon", "", "Swiss German"]
    with app.app_context():
        upgrade(revision="0008")
        _insert_as_then(Customer, [{"kind": "person", "last_name": f"L{i}", "language": value}
                                   for i, value in enumerate(typed)])
        upgrade()
        rows = _db.session.execute(sa.select(Customer.last_name, Customer.language)
                                   .order_by(Customer.id)).all()
        _db.engine.dispose()
    assert [language for _, language in rows] == [
        "de", "de", "de", "en", "en", "fr", "fr", "Klingon", "", "Swiss German"]
    # What was not recognised stays visible as it was typed.
    assert language_label("Klingon") == "Klingon (not in the list)"
    assert language_label("de") == "German (Deutsch)"


def test_open_counts_are_recounted_with_views_and_clicks(scratch_url, tmp_path):
    """0012: a view counts as an open, a person's click alone as one; machines never."""
    app = create_app(_base_config(scratch_url, "redis://127.0.0.1:1/0",
                                  INSTANCE_PATH=str(tmp_path / "instance")))
    # message id: [(event type, automated)], stored before 0012 with the old count
    stored = {1: [("viewed", False)], 2: [("clicked", False)],
              3: [("opened", False), ("viewed", False), ("opened", True)],
              4: [("opened", True), ("clicked", True)], 5: []}
    with app.app_context():
        upgrade(revision="0011")
        with _db.engine.begin() as conn:
            for message_id, events in stored.items():
                old = sum(1 for kind, machine in events if kind == "opened" and not machine)
                conn.execute(sa.text(
                    "INSERT INTO email_messages (id, kind, batch, to_address, to_name, "
                    "recipient_role, cc_addresses, subject, body_text, attach_pdf, "
                    "include_link, message_id, verp_token, open_token, state, status, "
                    "status_at, attempts, smtp_response, possible_duplicate, gave_up, "
                    "override_suppression, human_opens, automated_opens, clicks, "
                    "last_event_type, created_at) VALUES (:id, 'invoice', 'b', :to, '', "
                    "'to', '', 'S', 'B', false, false, :mid, :verp, :open, 'sent', 'sent', "
                    "CURRENT_TIMESTAMP, 1, '', false, false, false, :old, 0, 0, '', "
                    "CURRENT_TIMESTAMP)"),
                    {"id": message_id, "to": f"a{message_id}@example.org", "old": old,
                     "mid": f"m{message_id}@x", "verp": f"v{message_id}",
                     "open": f"o{message_id}"})
                for n, (kind, machine) in enumerate(events):
                    conn.execute(sa.text(
                        "INSERT INTO email_events (message_id, type, occurred_at, "
                        "received_at, source, automated, delivered, code, diagnostic, "
                        "user_agent, ip, url, details, dedupe_key, reason, failure_class, "
                        "overturn_note) VALUES (:m, :kind, CURRENT_TIMESTAMP, "
                        "CURRENT_TIMESTAMP, 'pixel', :machine, false, '', '', '', '', '', "
                        "'{}', :key, '', '', '')"),
                        {"m": message_id, "kind": kind, "machine": machine,
                         "key": f"k{message_id}-{n}"})

        def counts():
            with _db.engine.connect() as conn:
                return dict(conn.execute(sa.text(
                    "SELECT id, human_opens FROM email_messages ORDER BY id")).all())

        assert counts() == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}
        upgrade(revision="0012")
        assert counts() == {1: 1, 2: 1, 3: 2, 4: 0, 5: 0}
        downgrade(revision="0011")
        assert counts() == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}
        _db.engine.dispose()


@pytest.mark.parametrize("stored, env, expected", [
    ('[14, 7]', "", [(7, True), (14, True)]),  # the setting an admin saved wins
    (None, "30,7,x", [(7, True), (30, True)]),  # else REMINDER_DAYS
    (None, "", [(-3, False), (7, False), (14, False), (30, False)]),  # else the usual, off
])
def test_reminder_days_become_stages(scratch_url, tmp_path, monkeypatch, stored, env,
                                     expected):
    """0018: reminders.days (or REMINDER_DAYS) become stages; the setting row goes."""
    monkeypatch.setenv("REMINDER_DAYS", env)
    app = create_app(_base_config(scratch_url, "redis://127.0.0.1:1/0",
                                  INSTANCE_PATH=str(tmp_path / "instance")))
    with app.app_context():
        upgrade(revision="0017")
        if stored is not None:
            with _db.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO settings (key, value, updated_at) VALUES "
                                     "('reminders.days', :v, CURRENT_TIMESTAMP)"), {"v": stored})
        upgrade(revision="0018")
        with _db.engine.connect() as conn:
            stages = conn.execute(sa.text("SELECT offset_days, enabled, subject FROM "
                                          "reminder_stages ORDER BY offset_days")).all()
            left = conn.execute(sa.text("SELECT count(*) FROM settings WHERE "
                                        "key = 'reminders.days'")).scalar()
        downgrade(revision="0017")
        _db.engine.dispose()
    assert [(days, bool(on)) for days, on, _ in stages] == expected
    assert all("{invoice_number}" in subject for _, _, subject in stages)
    assert left == 0
