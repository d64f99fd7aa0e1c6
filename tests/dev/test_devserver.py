"""`make run`'s last step: everything starts, serves the login page, and stops on Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from app.dev.net import free_port

pytestmark = pytest.mark.slow


def _env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"REDIS_URL", "MAIL_SERVER", "DATABASE_URL", "TEST_DATABASE_URL"}}
    env.update(CLIENTELE_INSTANCE=str(tmp_path / "instance"),
               DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
               MAIL_SINK_PORT=str(free_port()),
               # Two gunicorns of one user share $XDG_RUNTIME_DIR/gunicorn.ctl otherwise.
               GUNICORN_CMD_ARGS=f"--control-socket {tmp_path / 'gunicorn.ctl'}")
    return env


def test_devserver_serves_login_and_leaves_no_process(tmp_path):
    env = _env(tmp_path)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], env=env, check=True, capture_output=True)
    seeded = subprocess.run(flask + ["demo", "seed", "--if-empty"], env=env, check=True,
                            capture_output=True, text=True)
    assert "admin@example.com" in seeded.stdout
    port = free_port()
    proc = subprocess.Popen(flask + ["devserver", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert "Log in to Clientele" in body
        family = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in family)
        assert "valkey-server" in names and "gunicorn" in names and "worker" in names
        # The supervisor starts and stops processes; it holds no app (SQLAlchemy's and
        # MarkupSafe's compiled parts are mapped by any process that built one).
        supervisor_maps = open(f"/proc/{proc.pid}/maps").read()
        assert "app.dev.supervisor" in " ".join(psutil.Process(proc.pid).cmdline())
        assert "sqlalchemy" not in supervisor_maps and "markupsafe" not in supervisor_maps
        # Ctrl-C reaches the whole foreground group, as in a terminal.
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    time.sleep(0.5)
    survivors = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert survivors == []
