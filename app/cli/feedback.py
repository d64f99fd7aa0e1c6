from __future__ import annotations

import json
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

events = AppGroup("events", help="Delivery events.")
bounces = AppGroup("bounces", help="Receive bounce and complaint mail.")


@events.command("classify")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def classify_files(paths: tuple[str, ...]) -> None:
    """Parse message files (no database) and print one JSON object per file."""
    from app.events.bounces import classify
    from app.events.mailparts import MAX_BYTES

    for path in paths:
        try:
            with open(path, "rb") as handle:
                # No more than the parser reads (one byte over tells it there was more):
                # a file of any size costs the same memory.
                raw = handle.read(MAX_BYTES + 1)
            line = classify(raw).as_json(path)
        except OSError as exc:
            line = {"file": path, "kind": "unknown", "recipients": [], "error": str(exc)}
        click.echo(json.dumps(line, ensure_ascii=False))


@events.command("drain")
def drain_events() -> None:
    """Move queued opens and clicks from Redis into the database now."""
    from app.mail.hits import drain

    click.echo(f"drained {drain()} hits")


@bounces.command("ingest")
@click.option("--envelope-to", default="", help="The address the MTA delivered to.")
@click.option("--envelope-from", default="")
def ingest(envelope_to: str, envelope_from: str) -> None:
    """Read one message on standard input (for an MTA pipe) and store it."""
    from app.mail import inbound

    raw = sys.stdin.buffer.read(inbound.MAX_MESSAGE_BYTES + 1)
    if not raw.strip():
        raise click.ClickException("no message on standard input")
    if len(raw) > inbound.MAX_MESSAGE_BYTES:
        raise click.ClickException(
            f"message larger than {inbound.MAX_MESSAGE_BYTES // (1024 * 1024)} MB refused")
    inbound_id = inbound.store(raw, via="pipe", envelope_to=envelope_to,
                               envelope_from=envelope_from)
    click.echo(f"stored inbound message {inbound_id}")


@bounces.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=2525, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Receive bounces over SMTP for BOUNCE_DOMAIN (point its MX here)."""
    import signal

    from app.admin.heartbeats import Heartbeat
    from app.mail.receiver import start_receiver
    from app.queues import get_redis

    app = current_app._get_current_object()
    controller = start_receiver(app, host, port)
    heartbeat = Heartbeat(lambda: get_redis(app), "receiver").start()
    click.echo(f"receiving bounces for @{current_app.config['BOUNCE_DOMAIN']} on {host}:{port}")
    # SIGTERM (a service manager's stop) is a clean stop too: the receiver leaves the
    # heartbeat register instead of reading "dead".
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        heartbeat.stop()
        controller.stop()


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


@bounces.command("poll")
def poll() -> None:
    """Fetch unseen messages from the IMAP bounce mailbox (BOUNCE_IMAP_*)."""
    if not current_app.config.get("BOUNCE_IMAP_HOST"):
        raise click.ClickException("BOUNCE_IMAP_HOST is not set")
    from app.mail.receiver import poll_imap

    click.echo(f"stored {poll_imap(current_app.config)} messages")
