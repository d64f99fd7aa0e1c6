"""A real gunicorn, started with the repository's gunicorn.conf.py: it scrubs its access
log, and each instance has its own control socket (or none)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_access_log_has_no_tracking_tokens(app_config, tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": app_config["REDIS_URL"], "CLIENTELE_INSTANCE": str(tmp_path)}
    log = tmp_path / "access.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--control-socket", str(tmp_path / "gunicorn.ctl"),
         "--access-logfile", str(log), "wsgi:app"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        urllib.request.urlopen(f"{url}/t/o/SeCrEtToKeN123.sig.gif", timeout=5).read()
        time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = log.read_text()
    assert "/t/o/[redacted]" in text and "SeCrEtToKeN123" not in text


def _start(env: dict, port: int, *extra: str) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         *extra, "wsgi:app"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise AssertionError("gunicorn did not start")


@pytest.mark.slow
def test_each_gunicorn_has_its_own_control_socket_or_none(app_config, tmp_path):
    """Two instances started alike (no --control-socket) get one socket each, neither the
    user-wide default; GUNICORN_CONTROL_SOCKET=off opens none."""
    runtime, temp = tmp_path / "runtime", tmp_path / "tmp"
    runtime.mkdir()
    temp.mkdir()
    env = {**os.environ, "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": app_config["REDIS_URL"], "CLIENTELE_INSTANCE": str(tmp_path),
           "XDG_RUNTIME_DIR": str(runtime), "TMPDIR": str(temp)}
    env.pop("GUNICORN_CONTROL_SOCKET", None)
    first = _start(env, _free_port())
    second = _start(env, _free_port())
    off = _start({**env, "GUNICORN_CONTROL_SOCKET": "off", "TMPDIR": str(tmp_path)},
                 _free_port())
    try:
        sockets = sorted(p.name for p in temp.iterdir())
        assert sockets == sorted(f"clientele-gunicorn-{s.pid}.ctl" for s in (first, second))
        assert list(runtime.iterdir()) == []  # the shared default is never used
        assert not list(tmp_path.glob("clientele-gunicorn-*.ctl"))  # "off": none at all
    finally:
        for server in (first, second, off):
            server.terminate()
            server.wait(timeout=10)
