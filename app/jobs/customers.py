"""Periodic customer jobs: forget CSV imports nobody confirmed."""
from __future__ import annotations

from app.customers import csv_import
from app.extensions import db


def forget_abandoned_imports() -> int:
    """Delete imports left unconfirmed for a day, so no upload lingers in the database."""
    deleted = csv_import.forget_abandoned()
    db.session.commit()
    return deleted
