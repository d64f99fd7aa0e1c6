"""Customer jobs: running a large import, and the periodic clean-up of imports."""
from __future__ import annotations

from app import settings
from app.customers import csv_import, import_runs
from app.extensions import db


def import_customers(import_id: int) -> str:
    """Import the rows of a confirmed import (resuming where a previous run stopped)."""
    return import_runs.run(import_id, settings.get("office.country"))


def forget_abandoned_imports() -> int:
    """Delete imports left unconfirmed for a day, so no upload lingers in the database;
    hand imports whose job was lost to a worker again."""
    deleted = csv_import.forget_abandoned()
    db.session.commit()
    for import_id in import_runs.stalled():
        import_runs.enqueue(import_id)
    return deleted
