import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("devserver")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def devserver(host: str, port: int) -> None:
    """Run everything for local use: embedded Redis, mail sink, web, worker."""
    import os

    from app.dev.supervisor import run_all

    run_all(current_app.instance_path, host, port, os.environ.get("REDIS_URL"),
            os.environ.get("MAIL_SERVER"))
