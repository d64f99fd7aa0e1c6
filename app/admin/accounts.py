"""People who log in: new users, invitations and password resets by system mail.

A reset or an invitation is a link with a token, stored hashed (app.admin.password_links:
the email waiting in the outbox holds only a placeholder). The token works once,
before it expires, and only the POST that sets the password spends it: a link scanner's GET
leaves it whole.

No Flask request here: the callers pass the acting user and commit.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app import audit, settings
from app.admin.password_links import mark, token_for, token_hash
from app.extensions import db
from app.mail import outbox
from app.models import User, UserToken, utcnow
from app.permissions import LEAST_ROLE


def add_user(email: str, name: str = "", role: str = LEAST_ROLE) -> User:
    """A new account, without a password until its owner chooses one; the least powerful
    role unless another is given. The caller checks the address is free."""
    user = User(email=email.strip().lower(), name=name.strip(), role=role, password_hash="")
    db.session.add(user)
    db.session.flush()
    return user


def _issue(user: User, purpose: str, lifetime: timedelta, by: User | None,
           now: datetime) -> UserToken:
    """A new token; the user's earlier open ones of the same purpose end with it."""
    _end_open(user, purpose, now)
    salt = secrets.token_urlsafe(24)
    row = UserToken(user=user, purpose=purpose, salt=salt,
                    token_hash=token_hash(token_for(salt)), created_at=now,
                    expires_at=now + lifetime, created_by_id=getattr(by, "id", None))
    db.session.add(row)
    db.session.flush()
    return row


def _end_open(user: User, purpose: str, now: datetime) -> None:
    db.session.execute(update(UserToken).where(
        UserToken.user_id == user.id, UserToken.purpose == purpose,
        UserToken.used_at.is_(None), UserToken.ended_at.is_(None)).values(ended_at=now))


def _mail(user: User, subject: str, body: str) -> list[int]:
    messages = outbox.add_system_messages(
        recipients=[outbox.Recipient(user.email, user.name)], subject=subject, body=body)
    return [m.id for m in messages]


def _office() -> str:
    return settings.get("office.name") or "the office"


def _until(row: UserToken) -> str:
    minutes = round((row.expires_at - row.created_at).total_seconds() / 60)
    return f"{minutes} minutes" if minutes < 120 else \
        f"{round(minutes / 60)} hours" if minutes < 2880 else f"{round(minutes / 1440)} days"


# -- password reset

def request_reset(email: str, *, ip: str | None = None, now: datetime | None = None) -> list[int]:
    """Email a reset link to the active account with this address, if there is one; the
    ids of the messages to enqueue after commit (none for an unknown address: the caller
    answers the same either way)."""
    now = now or utcnow()
    user = db.session.scalars(select(User).where(
        User.email == email.strip().lower(), User.active.is_(True))).one_or_none()
    if user is None or not user.has_password:  # an invitee uses their invitation
        return []
    row = _issue(user, "reset", timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"]),
                 None, now)
    audit.record("password.reset_requested", user=user, ip=ip,
                 subject_type="user", subject_id=user.id)
    return _mail(user, f"Set a new password for {_office()}",
                 f"Hello {user.display_name},\n\n"
                 f"Someone (we hope you) asked to set a new password for your account "
                 f"{user.email}. Open this link to choose one:\n\n"
                 f"{mark(row)}\n\n"
                 f"The link works once, for {_until(row)}. If you did not ask, ignore this "
                 f"email: your password stays as it is.\n")


# -- invitations

def invite(user: User, by: User, *, now: datetime | None = None) -> list[int]:
    """(Re)send `user` an invitation to choose a password; earlier ones stop working."""
    now = now or utcnow()
    user.active = True
    row = _issue(user, "invitation", timedelta(days=current_app.config["INVITATION_DAYS"]),
                 by, now)
    return _mail(user, f"{by.display_name} invites you to {_office()}",
                 f"Hello {user.name or user.email},\n\n"
                 f"{by.display_name} has made you an account at {_office()} on Clientele "
                 f"(role: {user.role}). Open this link to choose your password:\n\n"
                 f"{mark(row)}\n\n"
                 f"The link works once, for {_until(row)}. Then log in with {user.email} "
                 f"and your new password.\n")


def revoke_invitation(user: User, *, now: datetime | None = None) -> None:
    """The invitation's link stops working and the account is switched off."""
    _end_open(user, "invitation", now or utcnow())
    user.active = False


def pending_invitations() -> list[tuple[User, UserToken | None]]:
    """Active people invited who have not chosen a password, with their latest invitation
    (expired ones included: the admin may resend)."""
    users = db.session.scalars(select(User).where(
        User.password_hash == "", User.active.is_(True)).order_by(User.created_at)).all()
    latest = {}
    if users:
        for row in db.session.scalars(select(UserToken).where(
                UserToken.user_id.in_([u.id for u in users]),
                UserToken.purpose == "invitation").order_by(UserToken.created_at)):
            latest[row.user_id] = row
    return [(u, latest.get(u.id)) for u in users]


# -- using a link

def open_token(token: str, *, now: datetime | None = None) -> UserToken | None:
    """The unspent, unexpired token row for this link (does not spend it), or None."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None
    row = db.session.scalars(select(UserToken).where(
        UserToken.token_hash == token_hash(token))).one_or_none()
    if row is None or row.used_at or row.ended_at or row.expires_at <= now \
            or not row.user.active:
        return None
    if row.purpose == "invitation" and row.user.has_password:
        return None  # an admin set a password meanwhile: the invitation is moot
    return row


def set_password_with(token: str, password: str, *, ip: str | None = None,
                      now: datetime | None = None) -> User | None:
    """Spend the token and set the password (every other session of the user ends with
    the new session token); None when the link no longer works. The caller commits."""
    now = now or utcnow()
    row = open_token(token, now=now)
    if row is None:
        return None
    # The claim is one UPDATE: two tabs posting the same link at once, only one wins.
    spent = db.session.execute(update(UserToken).where(
        UserToken.id == row.id, UserToken.used_at.is_(None), UserToken.ended_at.is_(None),
        UserToken.expires_at > now).values(used_at=now))
    if spent.rowcount != 1:
        return None
    user = row.user
    user.set_password(password)
    _end_open(user, "reset", now)
    _end_open(user, "invitation", now)
    action = "invitation.accepted" if row.purpose == "invitation" else "password.reset"
    audit.record(action, user=user, ip=ip, subject_type="user", subject_id=user.id)
    return user
