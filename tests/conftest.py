"""Shared fixtures: a real database (SQLite or PostgreSQL), a real Redis, the app."""
from __future__ import annotations

import os
import re
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis as redis_lib
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from app import create_app
from app.extensions import db as _db
from tests.support.smtp_server import ControlledSmtpServer

# Property tests explore the same inputs on every run, so CI results are reproducible.
settings.register_profile("clientele", derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("clientele")

TEST_KEYS = ["x3nHgy1x0aKJ0Jg9m3u9xv3mJ8bq2H7X1vO9yQv5G0s="]


def _postgres_server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith(("postgresql", "postgres")) else None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh, migrated database for this run; PostgreSQL when TEST_DATABASE_URL says so."""
    server = _postgres_server_url()
    if server is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        _migrate(url)
        yield url
        return
    from app.config import _database_url

    with postgres_database(_database_url(server), "clientele_test") as url:
        _migrate(url)
        yield url


@contextmanager
def postgres_database(server: str, prefix: str):
    """A new, empty database on the PostgreSQL `server`, dropped afterwards; yields its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _migrate(url: str) -> None:
    """Build the schema through the real Alembic migrations, as `flask db upgrade` does."""
    from flask_migrate import upgrade

    import tempfile

    app = create_app(_base_config(url, "redis://127.0.0.1:1/0",
                                  INSTANCE_PATH=tempfile.mkdtemp(prefix="clientele-")))
    with app.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: REDIS_URL when it answers, else an embedded valkey-server."""
    url = os.environ.get("REDIS_URL")
    if url:
        try:
            redis_lib.Redis.from_url(url, socket_connect_timeout=1).ping()
            yield url
            return
        except redis_lib.RedisError:
            pass
    from app.dev.embedded_redis import EmbeddedRedis

    with EmbeddedRedis() as server:
        yield server.url


def _base_config(database_url: str, redis_url: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "ENV_NAME": "testing",
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "ENCRYPTION_KEYS": list(TEST_KEYS),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,
        "MAIL_SINK_DIR": None,
        "PUBLIC_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }
    config.update(extra)
    return config


@pytest.fixture
def app_config(database_url, redis_url, tmp_path):
    return _base_config(database_url, redis_url, INSTANCE_PATH=str(tmp_path / "instance"))


class _Client(FlaskClient):
    """The fixture keeps an app context pushed, so `g` would outlive a request.

    Flask-Login caches the user and Flask-WTF the CSRF token on `g`; clear it so each
    request starts as it would in production.
    """

    def open(self, *args, **kwargs):
        from flask import g, has_app_context

        if has_app_context():
            g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        except Exception:
            # In production the request's session ends with it; here it is shared.
            if has_app_context():
                _db.session.rollback()
            raise


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    application.test_client_class = _Client
    with application.app_context():
        _clean_database()
        redis_lib.Redis.from_url(application.config["REDIS_URL"]).flushdb()
        yield application
        _db.session.remove()
        _db.engine.dispose()


def _clean_database() -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    if _db.engine.dialect.name == "postgresql":
        _db.session.execute(sa.text(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(sa.text(f'DELETE FROM "{table}"'))
    _db.session.commit()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
_HX_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def csrf_from(html: str) -> str:
    match = _TOKEN.search(html) or _HX_TOKEN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def make_user(db):
    from app.models import User

    def make(role: str = "staff", email: str | None = None, password: str = "correct horse 1",
             **fields) -> User:
        user = User(email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.com", role=role,
                    name=fields.pop("name", role.capitalize()), **fields)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def login(client, email: str, password: str = "correct horse 1"):
    page = client.get("/login")
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_from(page.text)})


@pytest.fixture
def login_as(client, make_user):
    """Log the test client in as a new user with `role`; returns the user."""
    def do(role: str, **fields):
        user = make_user(role, **fields)
        response = login(client, user.email)
        assert response.status_code == 302, response.text[:500]
        return user

    return do


def csrf_token(client, path: str = "/") -> str:
    return csrf_from(client.get(path).text)


ARTIFACTS = Path(__file__).parent / "artifacts"


# -- a real SMTP server and a real worker, shared by the mail, job, blueprint and browser tests
@pytest.fixture
def smtp(app):
    server = ControlledSmtpServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=5,
                      MAIL_RETRY_BACKOFF=(1, 1, 1, 1), MAIL_MAX_ATTEMPTS=3)
    from app.extensions import mail

    mail.init_app(app)
    yield server
    server.stop()


@pytest.fixture
def run_worker(app):
    """Run a real RQ worker (burst) until the queues are empty and nothing is scheduled."""
    def run(timeout: float = 20.0) -> None:
        from app.jobs.runner import AppWorker
        from app.queues import get_queue, get_redis

        queues = [get_queue(n) for n in ("mail", "events", "default")]
        deadline = time.monotonic() + timeout
        while True:
            worker = AppWorker(queues, connection=get_redis())
            worker.app = app
            worker.work(burst=True, with_scheduler=True, logging_level="WARNING")
            _raise_failures(queues)
            scheduled = sum(q.scheduled_job_registry.count for q in queues)
            if not scheduled and not any(q.count for q in queues):
                return
            if time.monotonic() > deadline:
                raise AssertionError("jobs still scheduled after the timeout")
            time.sleep(0.3)

    return run


def _raise_failures(queues) -> None:
    """A job that crashed is a test failure, shown with its traceback."""
    for queue in queues:
        for job_id in queue.failed_job_registry.get_job_ids():
            job = queue.fetch_job(job_id)
            result = job.latest_result() if job else None
            if result is not None and "DeliveryDeferred" in (result.exc_string or ""):
                continue  # the last retry of a deferred batch: expected
            raise AssertionError(f"job {job_id} failed:\n{result.exc_string if result else ''}")
