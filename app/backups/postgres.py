"""PostgreSQL: pg_dump (custom format) from an exported snapshot, pg_restore and psql."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from app.backups.errors import BackupError


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


def _counts(conn: sa.Connection) -> tuple[dict[str, int], str | None]:
    tables = conn.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "ORDER BY tablename")).scalars().all()
    counts = {t: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()
              for t in tables}
    revision = None
    if "alembic_version" in counts:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return counts, revision


def dump(engine: Engine, out: Path) -> tuple[dict[str, int], str | None]:
    pg_dump = _tool("pg_dump")
    uri, env = _libpq(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        # Export this transaction's snapshot: pg_dump reads exactly what we count.
        snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        counts, revision = _counts(conn)
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={out}",
              f"--dbname={uri}"], env, "pg_dump")
        conn.rollback()
    return counts, revision


# Objects are restored as the connecting role. No comments: the dump carries the one on
# the pg_trgm extension, which only the extension's owner (often a DBA) may set.
_RESTORE_OPTIONS = ("--no-owner", "--no-privileges", "--no-comments")


def scratch_counts(engine: Engine, dump: Path) -> tuple[dict[str, int], str | None]:
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
        _run([pg_restore, *_RESTORE_OPTIONS, "--exit-on-error",
              f"--dbname={uri}", str(dump)], env, "pg_restore")
        scratch = sa.create_engine(scratch_url, poolclass=sa.pool.NullPool)
        try:
            with scratch.connect() as conn:
                return _counts(conn)
        finally:
            scratch.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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


def restore(engine: Engine, dump: Path) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    uri, env = _libpq(engine.url)
    script = dump.with_suffix(".sql")
    # The whole script is written first (a pg_restore failure then changes nothing), and
    # psql runs the prelude and the script as ONE transaction: a failure rolls back.
    script.write_text(_PG_PRELUDE)
    with script.open("a") as out:
        result = subprocess.run([pg_restore, *_RESTORE_OPTIONS, "--file=-", str(dump)],
                                stdout=out, stderr=subprocess.PIPE, env=env, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was changed: "
                          f"{result.stderr.strip()[-2000:]}")
    _run([psql, "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
          f"--dbname={uri}", "-f", str(script)], env, "psql (nothing was changed)")
