"""Backups: a consistent copy of the database plus a manifest, checked by restoring it.

An archive is a gzipped tar holding two members: the dump (`database.sqlite3`, a copy
made with SQLite's online backup API, or `database.pgdump`, `pg_dump` custom format) and
`manifest.json` (time, schema revision, row counts per table, sha256 of the dump).
The counts are taken from the same snapshot as the dump, so a backup made while the app
writes still verifies. Encrypted columns are copied as stored: they stay encrypted.

Plain modules: every function takes the SQLAlchemy engine, no Flask globals. What differs
per database lives in `app.backups.sqlite` and `app.backups.postgres`.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import Engine

from app.backups import postgres, sqlite
from app.backups.errors import BackupError

FORMAT = 1
SUFFIX = ".tar.gz"
MANIFEST = "manifest.json"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_NAME = re.compile(r"^clientele-\d{8}T\d{6}Z(-\d+)?\.tar\.gz$")
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Verdict:
    ok: bool
    manifest: dict
    problems: list[str] = field(default_factory=list)
    restored_counts: dict[str, int] = field(default_factory=dict)


# -- names, manifest, versions ----------------------------------------------------------

def backup_dir() -> Path:
    configured = current_app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def default_backup_path(directory: str | Path, now: datetime | None = None) -> Path:
    """`clientele-YYYYmmddTHHMMSSZ.tar.gz` in `directory`, never an existing file."""
    now = now or datetime.now(timezone.utc)
    base = Path(directory) / f"clientele-{now:%Y%m%dT%H%M%SZ}"
    path, n = base.with_name(base.name + SUFFIX), 1
    while path.exists():
        path, n = base.with_name(f"{base.name}-{n}{SUFFIX}"), n + 1
    return path


def app_version() -> str:
    try:
        from importlib.metadata import version

        return version("clientele")
    except Exception:  # noqa: BLE001 - not installed (tests run from the source tree)
        import tomllib

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text())["project"]["version"]
        except (OSError, KeyError, ValueError):
            return "unknown"


def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR))


def code_heads() -> list[str]:
    return list(_scripts().get_heads())


def revision_known(revision: str | None) -> bool:
    """Whether this code's migrations contain `revision` (so it is not newer than head)."""
    if revision is None:
        return True
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for unknown ids
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(path: str | Path) -> dict:
    try:
        with tarfile.open(path, "r:*") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest = json.load(member)
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except (tarfile.TarError, KeyError, ValueError, OSError) as exc:
        raise BackupError(f"{path} is not a Clientele backup ({exc})") from None
    if manifest.get("format") != FORMAT or manifest.get("database") not in DUMP_NAMES:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    return manifest


def _extract_dump(path: Path, manifest: dict, into: Path) -> Path:
    """Copy the dump member out (by its known name only: no path from the archive is used)."""
    name = DUMP_NAMES[manifest["database"]]
    target = into / name
    try:
        with tarfile.open(path, "r:*") as tar:
            member = tar.extractfile(name)
            if member is None:
                raise KeyError(name)
            with target.open("wb") as out:
                shutil.copyfileobj(member, out, 1 << 20)
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise BackupError(f"{path}: the dump can't be read ({exc})") from None
    return target


# -- create ------------------------------------------------------------------------------

def create_backup(engine: Engine, dest: str | Path) -> tuple[Path, dict]:
    """Write a backup archive to `dest` (a file path, or a directory for a default name)."""
    dest = Path(dest)
    if dest.is_dir():
        dest = default_backup_path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    kind = engine.dialect.name
    if kind not in DUMP_NAMES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {kind}")
    with tempfile.TemporaryDirectory(prefix="clientele-backup-") as tmp:
        dump = Path(tmp) / DUMP_NAMES[kind]
        if kind == "sqlite":
            counts, revision = sqlite.dump(engine, dump)
        else:
            counts, revision = postgres.dump(engine, dump)
        manifest = {
            "format": FORMAT,
            "app": "clientele",
            "app_version": app_version(),
            "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "database": kind,
            "schema_revision": revision,
            "dump": dump.name,
            "dump_bytes": dump.stat().st_size,
            "dump_sha256": _sha256(dump),
            "row_counts": counts,
        }
        # Written under a temporary name and renamed: a half-written file never looks
        # like a backup (and retention never counts one).
        partial = dest.with_name(dest.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                tar.add(dump, arcname=dump.name)
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(dump.stat().st_mtime), 0o600
                tar.addfile(info, io.BytesIO(data))
            partial.chmod(0o600)  # customer data: readable by the app's user only
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
    return dest, manifest


# -- verify --------------------------------------------------------------------------

def verify_backup(engine: Engine, path: str | Path) -> Verdict:
    """Restore into a scratch database and compare with the manifest."""
    path = Path(path)
    manifest = read_manifest(path)
    verdict = Verdict(ok=True, manifest=manifest)
    with tempfile.TemporaryDirectory(prefix="clientele-verify-") as tmp:
        dump = _extract_dump(path, manifest, Path(tmp))
        actual = _sha256(dump)
        if actual != manifest.get("dump_sha256"):
            verdict.problems.append(f"checksum mismatch: manifest {manifest.get('dump_sha256')}"
                                    f", dump {actual}")
        else:
            try:
                if manifest["database"] == "sqlite":
                    counts, revision = sqlite.scratch_counts(dump, Path(tmp))
                else:
                    counts, revision = postgres.scratch_counts(engine, dump)
            except BackupError as exc:
                verdict.problems.append(f"restore into a scratch database failed: {exc}")
            else:
                verdict.restored_counts = counts
                verdict.problems += _compare(manifest, counts, revision)
    verdict.ok = not verdict.problems
    return verdict


def _compare(manifest: dict, counts: dict[str, int], revision: str | None) -> list[str]:
    problems = []
    expected = manifest.get("row_counts") or {}
    for table in sorted(set(expected) | set(counts)):
        if expected.get(table) != counts.get(table):
            problems.append(f"{table}: manifest {expected.get(table, 'missing')} rows, "
                            f"restored {counts.get(table, 'missing')}")
    if revision != manifest.get("schema_revision"):
        problems.append(f"schema revision: manifest {manifest.get('schema_revision')}, "
                        f"restored {revision}")
    return problems


# -- restore -------------------------------------------------------------------------

def check_restorable(engine: Engine, manifest: dict) -> None:
    """Raise unless this backup can be restored over `engine`'s database by this code."""
    if manifest["database"] != engine.dialect.name:
        raise BackupError(f"this is a {manifest['database']} backup; the configured "
                          f"database is {engine.dialect.name}")
    revision = manifest.get("schema_revision")
    if not revision_known(revision):
        raise BackupError(f"the backup's schema revision {revision} is newer than this "
                          f"code's ({', '.join(code_heads())}): deploy the newer code first")


def restore_backup(engine: Engine, path: str | Path) -> dict:
    """Replace the configured database's contents with the backup's. Returns the manifest."""
    path = Path(path)
    manifest = read_manifest(path)
    check_restorable(engine, manifest)
    with tempfile.TemporaryDirectory(prefix="clientele-restore-") as tmp:
        dump = _extract_dump(path, manifest, Path(tmp))
        if _sha256(dump) != manifest.get("dump_sha256"):
            raise BackupError("the dump does not match the manifest's checksum; "
                              "nothing was changed")
        engine.dispose()  # no pooled connection keeps the old state open
        if manifest["database"] == "sqlite":
            sqlite.restore(engine, dump)
        else:
            postgres.restore(engine, dump)
        engine.dispose()
    return manifest


# -- retention -----------------------------------------------------------------------

def list_backups(directory: str | Path) -> list[Path]:
    """Backups made with default names in `directory`, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.is_file() and _NAME.match(p.name)]
    return sorted(found, key=_backup_order)


def _backup_order(path: Path) -> tuple[str, int]:
    stem = path.name[:-len(SUFFIX)]  # clientele-YYYYmmddTHHMMSSZ[-n]
    return stem[:26], int(stem[27:] or 0)


def prune_backups(directory: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` default-named backups; returns what was deleted."""
    backups = list_backups(directory)
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
