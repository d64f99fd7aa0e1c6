from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_KEYS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_env(app, tmp_path):
    """Environment for a real `flask worker` process using this test's database and Redis."""
    def make(**extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "DATABASE"))}
        env.update(
            DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=app.config["REDIS_URL"], SECRET_KEY=app.config["SECRET_KEY"],
            ENCRYPTION_KEYS=",".join(TEST_KEYS), CLIENTELE_INSTANCE=str(tmp_path / "worker"),
            MAIL_SERVER="127.0.0.1", MAIL_PORT=str(app.config["MAIL_PORT"]),
            PUBLIC_BASE_URL=app.config["PUBLIC_BASE_URL"],
            BOUNCE_DOMAIN=app.config["BOUNCE_DOMAIN"], PYTHONPATH=str(ROOT))
        env.update(extra)
        return env
    return make


_STARTED: list[subprocess.Popen] = []


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", *args],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    _STARTED.append(process)
    return process


def stop_processes(processes: list[subprocess.Popen], grace: float = 15.0) -> None:
    """SIGTERM, a grace period, then SIGKILL: a test never leaves a process behind."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _reap_workers():
    yield
    stop_processes(_STARTED)
    _STARTED.clear()
