"""Staff accounts and the audit log."""
from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedString
from app.extensions import db
from app.models.base import UTCDateTime, utcnow

ROLES = ("admin", "billing", "staff", "viewer")

# argon2id with the library's RFC 9106 "low memory" profile (64 MiB, t=3).
_hasher = PasswordHasher()


def _new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    # Empty for an invited person until they choose a password (app.admin.accounts).
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the login cookie: rotating it logs out every session of this user.
    session_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=_new_session_token
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Besides the in-app list: a daily email of the day's notifications (app.attention).
    notify_digest: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The secret in the person's drop-box address, file+<token>@BOUNCE_DOMAIN (app.capture),
    # None until they first look at it: a credential, so encrypted (shown to its owner), and
    # found by its SHA-256 (`dropbox_key`), which reveals nothing.
    dropbox_token: Mapped[str | None] = mapped_column(EncryptedString)
    dropbox_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)
        self.rotate_session_token()

    @property
    def has_password(self) -> bool:
        """False for an invited person who has not chosen a password yet."""
        return bool(self.password_hash)

    def check_password(self, password: str) -> bool:
        if not self.password_hash:  # invited, no password yet: the same hash time as any
            check_dummy_password(password)
            return False
        try:
            ok = _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)
        return ok

    def rotate_session_token(self) -> None:
        self.session_token = _new_session_token()

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


def check_dummy_password(password: str) -> None:
    """Spend the same time as a real check, so unknown emails are not revealed by timing."""
    try:
        _hasher.verify(_dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        pass


@cache
def _dummy_hash() -> str:
    # Made on first use, not on import: every CLI call, worker and test process imports
    # the models, and a hash costs ~0.1 s and 64 MiB of work memory.
    return _hasher.hash("not-a-real-password")


TOKEN_PURPOSES = ("reset", "invitation")


class UserToken(db.Model):
    """The link of a password reset or an invitation (app.admin.accounts). Neither the
    token nor anything that gives it away is stored in plain: `token_hash` is its SHA-256,
    and the token itself is an HMAC of `salt` under the app's secret key. It works once
    (`used_at`), before `expires_at`, unless `ended_at` (revoked, or replaced by a newer
    one)."""

    __tablename__ = "user_tokens"
    __table_args__ = (Index("ix_user_tokens_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AuditLog(db.Model):
    """Who did what, when. Never holds a password or an unredacted sensitive value."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_user_at", "user_id", "at"),
        Index("ix_audit_log_subject", "subject_type", "subject_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()
