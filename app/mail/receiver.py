"""Receivers for inbound mail (bounces, complaints, and mail to drop-box addresses): an
SMTP server for BOUNCE_DOMAIN and an IMAP poller."""
from __future__ import annotations

import imaplib
import logging

from aiosmtpd.controller import Controller
from flask import Flask

from app.capture import dropbox
from app.mail import inbound

log = logging.getLogger(__name__)


class BounceHandler:
    """Accepts mail for BOUNCE_DOMAIN only, and stores every message before parsing."""

    def __init__(self, app: Flask):
        self.app = app
        self.domain = app.config["BOUNCE_DOMAIN"].lower()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if not address.lower().endswith("@" + self.domain):
            return "550 5.1.1 not a bounce address here"
        try:
            with self.app.app_context():
                unheld = (dropbox.is_dropbox_address(address)
                          and dropbox.owner_of(address) is None)
        except Exception:  # noqa: BLE001 - the database is away: ask to retry
            # Not the address itself: a drop-box address is its owner's credential.
            log.exception("could not look up a drop-box address; answered 451")
            return "451 4.3.0 Temporary failure, try again later"
        if unheld:  # rotated or never made: the sender should know
            return "550 5.1.1 no such drop-box address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        # aiosmtpd answers an uncaught exception with a permanent "500 Error: <exception>",
        # so the sender would drop the bounce (and see our error text): ask it to retry.
        try:
            with self.app.app_context():
                for rcpt in envelope.rcpt_tos:
                    inbound.store(envelope.original_content, via="smtp",
                                  envelope_from=envelope.mail_from or "", envelope_to=rcpt)
        except Exception:  # noqa: BLE001 - any failure to store is temporary for the sender
            log.exception("could not store a bounce from %r; answered 451", envelope.mail_from)
            return "451 4.3.0 Temporary failure, try again later"
        return "250 2.0.0 stored"


def start_receiver(app: Flask, host: str, port: int) -> Controller:
    controller = Controller(BounceHandler(app), hostname=host, port=port,
                            data_size_limit=inbound.MAX_MESSAGE_BYTES)
    controller.start()
    return controller


def poll_imap(config: dict) -> int:
    """Fetch unseen messages from the bounce mailbox, store them, then mark them seen.

    BODY.PEEK[] leaves the message unseen (a plain RFC822 fetch would mark it \\Seen at
    once), so a message whose store fails is fetched again on the next poll.
    """
    client = imaplib.IMAP4_SSL(config["BOUNCE_IMAP_HOST"], config["BOUNCE_IMAP_PORT"],
                               timeout=30)
    stored = 0
    try:
        client.login(config["BOUNCE_IMAP_USERNAME"], config["BOUNCE_IMAP_PASSWORD"])
        client.select(config.get("BOUNCE_IMAP_FOLDER") or "INBOX")
        _, data = client.search(None, "UNSEEN")
        for number in (data[0] or b"").split():
            # At most the cap, whatever the size: a partial fetch keeps the head.
            _, parts = client.fetch(number, f"(BODY.PEEK[]<0.{inbound.MAX_MESSAGE_BYTES}>)")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if raw is None:
                continue
            inbound.store(raw, via="imap")  # commits; raises (message stays unseen) if not
            client.store(number, "+FLAGS", "\\Seen")  # only after it is safely stored
            stored += 1
    finally:
        try:
            client.logout()
        except imaplib.IMAP4.error:
            pass
    return stored
