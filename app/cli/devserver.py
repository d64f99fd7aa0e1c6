import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("devserver")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def devserver(host: str, port: int) -> None:
    """Run everything for local use: embedded Redis, mail sink, web, worker."""
    # The supervisor only starts and stops the other processes. This process holds a
    # whole app (~100 MiB), so it becomes a fresh interpreter running the supervisor
    # alone: same pid (Ctrl-C and `kill` reach it as before), same environment.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "app.dev.supervisor",
                              "--instance", current_app.instance_path,
                              "--host", host, "--port", str(port)])
