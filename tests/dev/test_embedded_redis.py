from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import redis

from app.dev.embedded_redis import EmbeddedRedis


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie that init has not reaped yet counts as gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_embedded_server_is_real_redis_and_stops(tmp_path):
    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url)
        client.set("k", "v")
        assert client.get("k") == b"v"
        assert "valkey" in str(client.info("server")).lower()
        pid = server.process.pid
    assert not _alive(pid)


def test_unix_socket_mode(tmp_path):
    sock = str(tmp_path / "v.sock")
    with EmbeddedRedis(unix_socket=sock) as server:
        assert redis.Redis.from_url(server.url).ping()
    assert not os.path.exists(sock)


def test_no_orphan_when_parent_is_killed(tmp_path):
    script = textwrap.dedent("""
        import sys, time
        from app.dev.embedded_redis import EmbeddedRedis
        server = EmbeddedRedis().start()
        print(server.process.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              text=True, cwd=os.getcwd())
    child_pid = int(parent.stdout.readline())
    assert _alive(child_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child_pid)
