from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queues", default="mail,events,default", show_default=True)
@with_appcontext
def worker(burst: bool, queues: str) -> None:
    """Run an RQ worker (with the scheduler) inside the app context."""
    from app.jobs.runner import run_worker

    run_worker(current_app._get_current_object(), queues.split(","), burst=burst)
