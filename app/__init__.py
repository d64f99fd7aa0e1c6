"""Clientele: customer files and tracked invoice emails for small offices."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import Config

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides settings read from the environment."""
    # Imported here, so that a process using one small part of `app` (make run's
    # supervisor) does not load Flask for nothing.
    from dotenv import load_dotenv
    from flask import Flask

    from app.web.limits import defaults as request_limits

    load_dotenv()
    settings = Config.from_env()
    settings.update(request_limits())
    settings.update(config or {})
    app = Flask(__name__, instance_path=settings.pop("INSTANCE_PATH"),
                instance_relative_config=True)
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _ensure_secrets(app)

    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def _ensure_secrets(app: Flask) -> None:
    """Development keeps generated keys in instance/; production must set them."""
    production = app.config["ENV_NAME"] == "production"
    for name, make in (("SECRET_KEY", lambda: secrets.token_urlsafe(48)),
                       ("ENCRYPTION_KEYS", _new_fernet_key)):
        if app.config.get(name):
            continue
        if production:
            raise RuntimeError(f"{name} must be set in production")
        path = Path(app.instance_path) / name.lower()
        if not path.exists():
            path.write_text(make())
            path.chmod(0o600)
        value = path.read_text().strip()
        app.config[name] = [value] if name == "ENCRYPTION_KEYS" else value


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def register_logging(app: Flask) -> None:
    from app.logs import configure_logging

    configure_logging(app)


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every table registered before migrations)
    from app.web.auth import init_login
    from app.extensions import csrf, db, htmx, limiter, mail, migrate
    from app.models.search_index import is_search_index_object
    from app.queues import init_redis
    from app.web.security import (
        init_every_response, init_requests, init_security_headers, init_sessions, trust_proxies,
    )

    init_redis(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True,
                     include_object=is_search_index_object)
    csrf.init_app(app)
    htmx.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    init_login(app)
    init_requests(app)
    init_security_headers(app)
    init_sessions(app)
    _serve_tracking_image(app)
    trust_proxies(app)  # outside the image layer, so it sees the real client address
    init_every_response(app)  # outermost: no answer leaves without its headers
    _configure_sqlite(app)


def _serve_tracking_image(app: Flask) -> None:
    from app.blueprints.tracking.image import TrackingImage

    app.wsgi_app = TrackingImage(app, app.wsgi_app)


def _configure_sqlite(app: Flask) -> None:
    from sqlalchemy import event

    from app.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from app.blueprints import BLUEPRINTS
    from app.blueprints.tracking import bp as tracking
    from app.blueprints.webhooks import bp as webhooks
    from app.extensions import csrf, limiter
    from app.web.render import DatabaseIdConverter

    # Every <int:...> in a URL is a database id: out-of-range ones are a plain 404.
    app.url_map.converters["int"] = DatabaseIdConverter

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    # Provider webhooks are signed by the provider instead of carrying a CSRF token.
    csrf.exempt(webhooks)
    # Nothing to throttle in tracking, and the image must cost as little as a static file.
    limiter.exempt(tracking)


def register_errorhandlers(app: Flask) -> None:
    from app.web.errors import init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    from app.web.templating import init_templating

    init_templating(app)


def register_commands(app: Flask) -> None:
    from app.cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)
