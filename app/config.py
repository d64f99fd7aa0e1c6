"""Settings, read from the environment (and `.env`) once, when the app is created."""
from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


class Config:
    """Defaults for a laptop; every value can be overridden from the environment."""

    ENV_NAME = "development"
    TESTING = False
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 15
    MAIL_DEFAULT_SENDER = "Clientele <billing@clientele.localhost>"
    MAIL_SINK_DIR: str | None = None
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    BOUNCE_DOMAIN = "bounces.clientele.localhost"
    ENCRYPTION_KEYS: list[str] = []
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    # Failed logins only (app/web/login_throttle.py): one account from one address, and
    # one address over all accounts (30 people behind one router, each mistyping twice).
    LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
    LOGIN_LIMIT_PER_IP = "60 per 15 minutes"
    # "Forgot your password?": every request counts, known address or not.
    RESET_LIMIT_PER_ACCOUNT = "3 per hour"
    RESET_LIMIT_PER_IP = "30 per hour"
    PASSWORD_RESET_MINUTES = 60
    INVITATION_DAYS = 7
    LOG_FORMAT = "text"
    # OFFICE_NAME, OFFICE_DETAILS, MAIL_DEFAULT_SENDER, DEFAULT_PHONE_REGION: the defaults
    # of the office settings (app/settings/keys.py) until an admin sets them. REMINDER_DAYS
    # is read once, by migration 0018, to make the first reminder stages.
    OFFICE_NAME = "Clientele Demo Office"
    MAIL_MAX_ATTEMPTS = 5
    MAIL_RETRY_BACKOFF = (60, 120, 300, 900, 1800)
    MAIL_SENDING_TIMEOUT = 300
    MAIL_PICKUP_TIMEOUT = 60
    MAIL_IN_FLIGHT = 20
    MAIL_REUSE_CONNECTION = True
    REMINDER_DAYS = ""
    # The largest document a customer file accepts (app/documents); the request cap follows.
    DOCUMENT_MAX_BYTES = 20_000_000
    SENDGRID_WEBHOOK_PUBLIC_KEY: str | None = None
    MAILGUN_WEBHOOK_SIGNING_KEY: str | None = None
    POSTMARK_WEBHOOK_USERNAME: str | None = None
    POSTMARK_WEBHOOK_PASSWORD: str | None = None
    SES_TOPIC_ARN: str | None = None
    BOUNCE_IMAP_HOST: str | None = None
    BOUNCE_IMAP_PORT = 993
    BOUNCE_IMAP_USERNAME: str | None = None
    BOUNCE_IMAP_PASSWORD: str | None = None
    BOUNCE_IMAP_FOLDER = "INBOX"
    BOUNCE_POLL_SECONDS = 300
    PASSWORD_MIN_LENGTH = 10
    PROXY_COUNT = 0  # reverse proxies in front of gunicorn (X-Forwarded-* trusted)
    BACKUP_DIR: str | None = None  # None: instance/backups
    BACKUP_KEEP = 7
    BACKUP_EVERY_SECONDS = 86400  # 0 turns the scheduled backup off
    OFFICE_DETAILS = ""  # address, tax number...: printed under the name ("\n" = new line)
    DEFAULT_PHONE_REGION = "GB"
    # How old a process's copy of the office settings may get outside a web request.
    SETTINGS_RECHECK_SECONDS = 2.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> dict:
        """Build the settings dict from environment variables."""
        env = dict(os.environ if env is None else env)
        instance = Path(env.get("CLIENTELE_INSTANCE", INSTANCE_DIR))
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        settings["INSTANCE_PATH"] = str(instance)
        settings["ENV_NAME"] = env.get("CLIENTELE_ENV", cls.ENV_NAME)
        settings["SECRET_KEY"] = env.get("SECRET_KEY") or None
        settings["SQLALCHEMY_DATABASE_URI"] = _database_url(
            env.get("DATABASE_URL"), instance
        )
        settings["REDIS_URL"] = env.get("REDIS_URL") or None
        settings["MAIL_SERVER"] = env.get("MAIL_SERVER") or None
        settings["MAIL_PORT"] = _int(env.get("MAIL_PORT"), cls.MAIL_PORT)
        settings["MAIL_USERNAME"] = env.get("MAIL_USERNAME") or None
        settings["MAIL_PASSWORD"] = env.get("MAIL_PASSWORD") or None
        settings["MAIL_USE_TLS"] = _bool(env.get("MAIL_USE_TLS"))
        settings["MAIL_USE_SSL"] = _bool(env.get("MAIL_USE_SSL"))
        settings["MAIL_TIMEOUT"] = _int(env.get("MAIL_TIMEOUT"), cls.MAIL_TIMEOUT)
        settings["MAIL_DEFAULT_SENDER"] = env.get(
            "MAIL_DEFAULT_SENDER", cls.MAIL_DEFAULT_SENDER
        )
        # The development mailbox shows every email sent: never in production.
        settings["MAIL_SINK_DIR"] = (None if settings["ENV_NAME"] == "production"
                                     else env.get("MAIL_SINK_DIR") or None)
        settings["PUBLIC_BASE_URL"] = env.get(
            "PUBLIC_BASE_URL", cls.PUBLIC_BASE_URL
        ).rstrip("/")
        settings["BOUNCE_DOMAIN"] = env.get("BOUNCE_DOMAIN", cls.BOUNCE_DOMAIN)
        settings["ENCRYPTION_KEYS"] = [
            k.strip() for k in env.get("ENCRYPTION_KEYS", "").split(",") if k.strip()
        ]
        settings["LOG_FORMAT"] = env.get("LOG_FORMAT", cls.LOG_FORMAT)
        settings["PROXY_COUNT"] = max(0, _int(env.get("PROXY_COUNT"), cls.PROXY_COUNT))
        settings["BACKUP_DIR"] = env.get("BACKUP_DIR") or None
        settings["BACKUP_KEEP"] = max(1, _int(env.get("BACKUP_KEEP"), cls.BACKUP_KEEP))
        settings["BACKUP_EVERY_SECONDS"] = max(
            0, _int(env.get("BACKUP_EVERY_SECONDS"), cls.BACKUP_EVERY_SECONDS))
        settings["DEFAULT_PHONE_REGION"] = (
            env.get("DEFAULT_PHONE_REGION") or cls.DEFAULT_PHONE_REGION).upper()
        for name in _OPTIONAL_STRINGS:
            if env.get(name):
                settings[name] = env[name]
        for name in _OPTIONAL_INTS:
            settings[name] = _int(env.get(name), getattr(cls, name))
        settings["OFFICE_DETAILS"] = env.get("OFFICE_DETAILS", "").replace("\\n", "\n")
        secure = settings["PUBLIC_BASE_URL"].startswith("https://")
        settings["SESSION_COOKIE_SECURE"] = secure
        settings["REMEMBER_COOKIE_SECURE"] = secure
        return settings


_OPTIONAL_STRINGS = (
    "OFFICE_NAME", "REMINDER_DAYS", "SENDGRID_WEBHOOK_PUBLIC_KEY", "MAILGUN_WEBHOOK_SIGNING_KEY",
    "POSTMARK_WEBHOOK_USERNAME", "POSTMARK_WEBHOOK_PASSWORD", "SES_TOPIC_ARN",
    "BOUNCE_IMAP_HOST", "BOUNCE_IMAP_USERNAME", "BOUNCE_IMAP_PASSWORD", "BOUNCE_IMAP_FOLDER",
    "RESET_LIMIT_PER_ACCOUNT", "RESET_LIMIT_PER_IP",
)
_OPTIONAL_INTS = ("MAIL_MAX_ATTEMPTS", "MAIL_SENDING_TIMEOUT", "MAIL_PICKUP_TIMEOUT", "MAIL_IN_FLIGHT",
                  "BOUNCE_IMAP_PORT", "BOUNCE_POLL_SECONDS", "PASSWORD_RESET_MINUTES",
                  "INVITATION_DAYS", "DOCUMENT_MAX_BYTES")


def _database_url(url: str | None, instance: Path = INSTANCE_DIR) -> str:
    if not url:
        return f"sqlite:///{instance / 'clientele.db'}"
    # Heroku-style URLs; SQLAlchemy wants the driver spelled out.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
