"""Shared set-up for benchmarks: a scratch database and the machine they ran on."""
from __future__ import annotations

import os
import platform
import statistics
import tempfile
import uuid
from contextlib import contextmanager

import sqlalchemy as sa


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as info:
            mem_kb = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        mem = "? GiB"
    return f"{cpu}, {os.cpu_count()} cores, {mem}, Python {platform.python_version()}"


@contextmanager
def scratch_database(kind: str = "sqlite"):
    """Yield a database URL: a temp SQLite file, or a fresh PostgreSQL database."""
    server = os.environ.get("BENCH_DATABASE_URL", "")
    if kind != "sqlite" and not server:
        raise SystemExit(f"--db {kind} needs BENCH_DATABASE_URL (a server to make a scratch "
                         "database on), e.g. postgresql://postgres@127.0.0.1:5432/postgres")
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="clientele-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    from app.config import _database_url

    admin = sa.create_engine(_database_url(server), isolation_level="AUTOCOMMIT")
    name = f"clientele_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


def bench_app(database_url: str, **config):
    from app import create_app
    from app.extensions import db

    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                "ENCRYPTION_KEYS": ["x3nHgy1x0aKJ0Jg9m3u9xv3mJ8bq2H7X1vO9yQv5G0s="],
                "INSTANCE_PATH": tempfile.mkdtemp(prefix="clientele-bench-inst-"),
                "TESTING": False, "WTF_CSRF_ENABLED": False}
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    return app


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def chosen_databases() -> list[str]:
    """The databases a bench runs on, from `--db` (default: SQLite, then PostgreSQL when
    BENCH_DATABASE_URL is set)."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"],
                        help="one database (default: SQLite, then PostgreSQL when "
                             "BENCH_DATABASE_URL is set)")
    chosen = parser.parse_args().db
    return [chosen] if chosen else \
        ["sqlite"] + (["postgresql"] if os.environ.get("BENCH_DATABASE_URL") else [])
