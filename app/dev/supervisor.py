"""`make run`: start the embedded parts, the web server and the worker; stop them all.

Run as `python -m app.dev.supervisor` (which `flask devserver` hands over to): it imports
only what starting and stopping processes needs, never the app itself.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from app.dev.embedded_redis import EmbeddedRedis
from app.processes import die_with_parent


def _stop_requested(signum, frame) -> None:
    raise KeyboardInterrupt


def run_all(instance_path: str, host: str, port: int, env_file_redis: str | None,
            mail_server: str | None) -> None:
    # Ctrl-C and `kill` both stop everything cleanly, even when SIGINT was inherited as
    # ignored (a shell's background job).
    signal.signal(signal.SIGINT, _stop_requested)
    signal.signal(signal.SIGTERM, _stop_requested)
    env = dict(os.environ)
    started: list = []
    children: list[subprocess.Popen] = []
    try:
        if not env_file_redis:
            sock = str(Path(instance_path) / "valkey.sock")
            server = EmbeddedRedis(unix_socket=sock).start()
            started.append(server)
            env["REDIS_URL"] = server.url
            click.echo(f"  redis    embedded valkey-server at {server.url}")
        if not mail_server:
            from app.dev.mailsink import start_sink

            sink_dir = str(Path(instance_path) / "mailbox")
            sink = start_sink(sink_dir, port=int(env.get("MAIL_SINK_PORT", "8025")))
            started.append(sink)
            env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(sink.port),
                       MAIL_SINK_DIR=sink_dir)
            click.echo(f"  mail     local sink on 127.0.0.1:{sink.port} -> {sink_dir}")
        env.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        children.append(subprocess.Popen(flask + ["worker"], env=env,
                                         preexec_fn=die_with_parent))
        # --preload: the app is built once, in the arbiter, and the two web processes
        # are forked from it, sharing its memory (wsgi.py froze it for the GC) instead
        # of building a copy each. Building it connects to nothing (tests/test_startup.py).
        children.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
             "--workers", "2", "--threads", "4", "--preload", "--access-logfile", "-",
             # Its own control socket: gunicorn >= 23 otherwise shares one per user, and a
             # second `make run` (or a test's gunicorn) would take over this one's.
             "--control-socket", str(Path(instance_path) / "gunicorn.ctl"),
             "wsgi:app"],
            env=env, preexec_fn=die_with_parent))
        click.echo(f"\n  Clientele is running at http://{host}:{port}/  (Ctrl-C stops everything)\n")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        click.echo("a process stopped; shutting down the rest", err=True)
    except KeyboardInterrupt:
        click.echo("\nstopping…")
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
        for part in reversed(started):
            part.stop()


@click.command()
@click.option("--instance", "instance_path", required=True, help="the app's instance folder")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def main(instance_path: str, host: str, port: int) -> None:
    """Run everything for local use: embedded Redis, mail sink, web, worker."""
    run_all(instance_path, host, port, os.environ.get("REDIS_URL"),
            os.environ.get("MAIL_SERVER"))


if __name__ == "__main__":
    main()
