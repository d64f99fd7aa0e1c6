"""SQLite: the online backup API both ways, so the app may keep running."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.engine import Engine

from app.backups.errors import BackupError


def _path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database can't be backed up")
    return path


def dump(engine: Engine, out: Path) -> tuple[dict[str, int], str | None]:
    source = sqlite3.connect(_path(engine), timeout=30)
    copy = sqlite3.connect(out)
    try:
        # One step (pages=-1): a single read transaction, so the copy is one consistent
        # state; in WAL mode writers carry on meanwhile.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        return _counts(copy), _revision(copy)
    finally:
        copy.close()
        source.close()


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def scratch_counts(dump: Path, tmp: Path) -> tuple[dict[str, int], str | None]:
    scratch = tmp / "scratch.sqlite3"
    shutil.copyfile(dump, scratch)
    conn = sqlite3.connect(scratch)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"integrity check: {check}")
        return _counts(conn), _revision(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(str(exc)) from None
    finally:
        conn.close()


def restore(engine: Engine, dump: Path) -> None:
    source = sqlite3.connect(dump)
    target = sqlite3.connect(_path(engine), timeout=30)
    try:
        source.backup(target)  # page-by-page replacement under the target's write lock
    except sqlite3.Error as exc:
        raise BackupError(f"restore failed: {exc}") from None
    finally:
        target.close()
        source.close()
