"""Periodic event jobs: drain tracking hits, catch up on bounces, poll the mailbox."""
from __future__ import annotations

from flask import current_app

from app.mail import delays, hits, inbound
from app.queues import get_redis


def drain_hits() -> int:
    """Safety net: hits normally trigger their own drain job."""
    return hits.drain()


def sweep_inbound() -> int:
    return inbound.sweep_new()


def poll_bounce_mailbox() -> int:
    """Poll the IMAP bounce mailbox every BOUNCE_POLL_SECONDS, once across all workers."""
    config = current_app.config
    if not config.get("BOUNCE_IMAP_HOST"):
        return 0
    if not get_redis().set("clientele:bounce-mailbox-polled", "1", nx=True,
                           ex=max(int(config["BOUNCE_POLL_SECONDS"]), 1)):
        return 0
    from app.mail.receiver import poll_imap

    return poll_imap(config)


def settle_delays() -> int:
    """Remote delays with no news for DELAY_WINDOW: the email shows Sent again."""
    return delays.settle_delays()
