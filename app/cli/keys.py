from __future__ import annotations

import click
from cryptography.fernet import Fernet
from flask.cli import AppGroup

from app import audit
from app.extensions import db

keys = AppGroup("keys", help="Encryption keys for data at rest (ENCRYPTION_KEYS).")


@keys.command("generate")
def generate() -> None:
    """Print a new Fernet key. Put it FIRST in ENCRYPTION_KEYS, then run `keys rotate`."""
    click.echo(Fernet.generate_key().decode())


@keys.command("rotate")
def rotate() -> None:
    """Re-encrypt every encrypted value under the first key of ENCRYPTION_KEYS.

    Afterwards the older keys can be removed from ENCRYPTION_KEYS.
    """
    from app.key_rotation import RotationError, rotate_all

    try:
        counts = rotate_all()
    except RotationError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    audit.record("keys.rotated", actor="cli", details=counts,
                 summary=f"Re-encrypted {sum(counts.values())} values under the newest key")
    db.session.commit()
    for column, count in counts.items():
        click.echo(f"{column}: {count} re-encrypted")
    click.echo("done: the older keys can now be removed from ENCRYPTION_KEYS")
