"""The scheduled backup: checked every few minutes, made when the newest is old enough."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app

from app import backups
from app.extensions import db

log = logging.getLogger(__name__)


def _made_at(path: Path) -> datetime:
    stamp = path.name[len("clientele-"):len("clientele-") + 16]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def make_scheduled_backup(now: datetime | None = None) -> str:
    """Back up when the newest backup in BACKUP_DIR is BACKUP_EVERY_SECONDS old; prune.

    Checking often and deciding from the files (not from a timer) means a restarted or
    replaced worker neither skips a day nor backs up twice.
    """
    every = current_app.config.get("BACKUP_EVERY_SECONDS", 86400)
    if not every:
        return "scheduled backups are off (BACKUP_EVERY_SECONDS=0)"
    now = now or datetime.now(timezone.utc)
    directory = backups.backup_dir()
    existing = backups.list_backups(directory)
    # A little slack so the check interval doesn't push each backup a bit later.
    if existing and (now - _made_at(existing[-1])).total_seconds() < every - 60:
        return f"not due: newest is {existing[-1].name}"
    path, manifest = backups.create_backup(db.engine, backups.default_backup_path(directory))
    pruned = backups.prune_backups(directory, current_app.config.get("BACKUP_KEEP", 7))
    log.info("backup written to %s (%d rows), %d old backup(s) pruned", path,
             sum(manifest["row_counts"].values()), len(pruned))
    return f"backup written to {path.name}; pruned {len(pruned)}"
