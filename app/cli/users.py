from __future__ import annotations

import click
from flask.cli import AppGroup

from app import audit
from app.extensions import db
from app.models import ROLES, User
from app.permissions import LEAST_ROLE

users = AppGroup("users", help="Manage staff accounts.")


def _validate_password(password: str) -> str:
    from flask import current_app

    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise click.BadParameter(
            f"use at least {current_app.config['PASSWORD_MIN_LENGTH']} characters")
    return password


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default=LEAST_ROLE, show_default=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(email: str, role: str, name: str, password: str) -> None:
    """Create a user who can log in."""
    email = email.strip().lower()
    _validate_password(password)
    if db.session.execute(db.select(User.id).filter_by(email=email)).first():
        raise click.ClickException(f"{email} already exists")
    user = User(email=email, role=role, name=name)
    user.set_password(password)
    db.session.add(user)
    audit.record("user.created", actor="cli", details={"email": email, "role": role})
    db.session.commit()
    click.echo(f"created {email} ({role})")


@users.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(email: str, password: str) -> None:
    """Set a user's password (logs out their sessions)."""
    user = db.session.execute(
        db.select(User).filter_by(email=email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"no user {email}")
    _validate_password(password)
    user.set_password(password)
    audit.record("password.changed", actor="cli", subject_type="user", subject_id=user.id)
    db.session.commit()
    click.echo(f"password set for {user.email}")


@users.command("list")
def list_users() -> None:
    """List users with their roles."""
    for user in db.session.scalars(db.select(User).order_by(User.email)):
        state = "" if user.active else "  (disabled)"
        click.echo(f"{user.email:40} {user.role:8}{state}")
