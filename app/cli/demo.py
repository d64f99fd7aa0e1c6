from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.models import User

demo = AppGroup("demo", help="Demo data for trying Clientele out.")

DEMO_USERS = (
    ("admin@example.com", "Ada Admin", "admin", "demo-admin-pass"),
    ("billing@example.com", "Bill Ledger", "billing", "demo-billing-pass"),
    ("staff@example.com", "Sam Staff", "staff", "demo-staff-pass"),
    ("viewer@example.com", "Vera Viewer", "viewer", "demo-viewer-pass"),
)


@demo.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
def seed(if_empty: bool) -> None:
    """Fill the database with realistic demo data (never in production)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("refusing to seed demo data in production")
    if if_empty and db.session.scalar(db.select(db.func.count(User.id))):
        click.echo("demo data: database already has users, leaving it alone")
        return
    from app.demo.seed import seed_demo

    summary = seed_demo(DEMO_USERS)
    db.session.commit()
    click.echo("demo data: " + ", ".join(f"{v} {k}" for k, v in summary.items()))
    click.echo("demo logins:")
    for email, _name, role, password in DEMO_USERS:
        click.echo(f"  {role:8} {email:24} {password}")
