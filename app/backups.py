"""Backups: a consistent copy of the database plus a manifest, checked by restoring it.

An archive is a gzipped tar holding two members: the dump (`database.sqlite3`, a copy
made with SQLite's online backup API, or `database.pgdump`, `pg_dump` custom format) and
`manifest.json` (time, schema revision, row counts per table, sha256 of the dump).
The counts are taken from the same snapshot as the dump, so a backup made while the app
writes still verifies. Encrypted columns are copied as stored: they stay encrypted.

Plain module: every function takes the SQLAlchemy engine, no Flask globals.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

FORMAT = 1
SUFFIX = ".tar.gz"
MANIFEST = "manifest.json"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_NAME = re.compile(r"^clientele-\d{8}T\d{6}Z(-\d+)?\.tar\.gz$")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class BackupError(Exception):
    """A backup can't be made, read or restored; the message says why."""


@dataclass
class Verdict:
    ok: bool
    manifest: dict
    problems: list[str] = field(default_factory=list)
    restored_counts: dict[str, int] = field(default_factory=dict)


# -- names, manifest, versions ----------------------------------------------------------

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

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
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
            counts, revision = _dump_sqlite(engine, dump)
        else:
            counts, revision = _dump_postgres(engine, dump)
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


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database can't be backed up")
    return path


def _dump_sqlite(engine: Engine, out: Path) -> tuple[dict[str, int], str | None]:
    source = sqlite3.connect(_sqlite_path(engine), timeout=30)
    copy = sqlite3.connect(out)
    try:
        # One step (pages=-1): a single read transaction, so the copy is one consistent
        # state; in WAL mode writers carry on meanwhile.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        return _sqlite_counts(copy), _sqlite_revision(copy)
    finally:
        copy.close()
        source.close()


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an env carrying the password."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    uri = url.set(drivername="postgresql", password=None)
    return uri.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} not found on PATH: install the PostgreSQL client tools "
                          "(the server's major version or newer)")
    return path


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def _pg_counts(conn: sa.Connection) -> tuple[dict[str, int], str | None]:
    tables = conn.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "ORDER BY tablename")).scalars().all()
    counts = {t: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()
              for t in tables}
    revision = None
    if "alembic_version" in counts:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return counts, revision


def _dump_postgres(engine: Engine, out: Path) -> tuple[dict[str, int], str | None]:
    pg_dump = _tool("pg_dump")
    uri, env = _libpq(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        # Export this transaction's snapshot: pg_dump reads exactly what we count.
        snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        counts, revision = _pg_counts(conn)
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={out}",
              f"--dbname={uri}"], env, "pg_dump")
        conn.rollback()
    return counts, revision


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
                    counts, revision = _scratch_sqlite(dump, Path(tmp))
                else:
                    counts, revision = _scratch_postgres(engine, dump)
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


def _scratch_sqlite(dump: Path, tmp: Path) -> tuple[dict[str, int], str | None]:
    scratch = tmp / "scratch.sqlite3"
    shutil.copyfile(dump, scratch)
    conn = sqlite3.connect(scratch)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"integrity check: {check}")
        return _sqlite_counts(conn), _sqlite_revision(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(str(exc)) from None
    finally:
        conn.close()


def _scratch_postgres(engine: Engine, dump: Path) -> tuple[dict[str, int], str | None]:
    if engine.dialect.name != "postgresql":
        raise BackupError("a PostgreSQL backup needs a PostgreSQL server to verify against "
                          "(set DATABASE_URL to one)")
    pg_restore = _tool("pg_restore")
    name = f"{engine.url.database or 'clientele'}"[:40] + f"_verify_{uuid.uuid4().hex[:8]}"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    scratch_url = engine.url.set(database=name)
    try:
        uri, env = _libpq(scratch_url)
        _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
              f"--dbname={uri}", str(dump)], env, "pg_restore")
        scratch = sa.create_engine(scratch_url, poolclass=sa.pool.NullPool)
        try:
            with scratch.connect() as conn:
                return _pg_counts(conn)
        finally:
            scratch.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
            _restore_sqlite(engine, dump)
        else:
            _restore_postgres(engine, dump)
        engine.dispose()
    return manifest


def _restore_sqlite(engine: Engine, dump: Path) -> None:
    source = sqlite3.connect(dump)
    target = sqlite3.connect(_sqlite_path(engine), timeout=30)
    try:
        source.backup(target)  # page-by-page replacement under the target's write lock
    except sqlite3.Error as exc:
        raise BackupError(f"restore failed: {exc}") from None
    finally:
        target.close()
        source.close()


# Drop what is there (tables and their sequences), in the same transaction as the load.
_PG_PRELUDE = """
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
  END LOOP;
  FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %I CASCADE', r.sequencename);
  END LOOP;
END $$;
"""


def _restore_postgres(engine: Engine, dump: Path) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    uri, env = _libpq(engine.url)
    script = dump.with_suffix(".sql")
    # The whole script is written first (a pg_restore failure then changes nothing), and
    # psql runs the prelude and the script as ONE transaction: a failure rolls back.
    script.write_text(_PG_PRELUDE)
    with script.open("a") as out:
        result = subprocess.run([pg_restore, "--no-owner", "--no-privileges", "--file=-",
                                 str(dump)], stdout=out, stderr=subprocess.PIPE, env=env,
                                text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was changed: "
                          f"{result.stderr.strip()[-2000:]}")
    _run([psql, "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
          f"--dbname={uri}", "-f", str(script)], env, "psql (nothing was changed)")


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
