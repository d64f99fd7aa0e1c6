"""Mail jobs: send a batch of outbox messages over one SMTP connection."""
from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from flask import current_app
from rq import Retry

from app.extensions import db
from app.jobs.runner import periodic
from app.mail import outbox
from app.mail.build import build, envelope_sender
from app.mail.smtp import Outcome, SmtpSession
from app.models import EmailMessage
from app.models.base import utcnow
from app.queues import get_queue

log = logging.getLogger(__name__)

# RQ may run a retry a moment before the row's next_attempt_at; accept that much.
_EARLY = timedelta(seconds=10)


class DeliveryDeferred(Exception):
    """Some messages got a temporary failure; RQ's Retry runs the job again later."""


def job_id_for(message_ids: list[int]) -> str:
    digest = hashlib.sha1(",".join(map(str, message_ids)).encode()).hexdigest()[:16]
    return f"send-{message_ids[0]}-{len(message_ids)}-{digest}"


def enqueue_send(message_ids: list[int]) -> None:
    """Enqueue one job for these messages, with a deterministic id and RQ retries."""
    delays = list(outbox.backoff())
    retries = max(outbox.max_attempts() - 1, 1)
    get_queue("mail").enqueue(
        send_messages, message_ids, job_id=job_id_for(message_ids),
        retry=Retry(max=retries, interval=delays[:retries]),
        job_timeout=max(60, 30 * len(message_ids)), result_ttl=3600, failure_ttl=7 * 86400,
        description=f"send {len(message_ids)} invoice email(s)")


def send_messages(message_ids: list[int]) -> dict[str, int]:
    """Claim and send each message; safe to run twice (a claim succeeds only once)."""
    config = current_app.config
    reuse = config.get("MAIL_REUSE_CONNECTION", True)
    counts = {"sent": 0, "rejected": 0, "delayed": 0, "skipped": 0}
    with SmtpSession(current_app.extensions["mail"], timeout=config["MAIL_TIMEOUT"]) as session:
        for message_id in message_ids:
            if not outbox.claim(message_id, now=utcnow() + _EARLY):
                counts["skipped"] += 1
                continue
            message = db.session.get(EmailMessage, message_id)
            try:
                outcome = _deliver(session, message)
            except Exception as exc:  # noqa: BLE001 - release the claim, retry later
                db.session.rollback()
                log.exception("sending message %s failed", message_id)
                message = db.session.get(EmailMessage, message_id)
                outcome = Outcome("delayed", None, f"internal error: {exc}")
            outbox.record_outcome(message, outcome)
            counts[message.state if message.state != "sending" else "delayed"] += 1
            if not reuse:
                session.close()
    log.info("mail batch done: %s", counts)
    if outbox.pending_ids(message_ids) and counts["delayed"]:
        raise DeliveryDeferred(f"{counts['delayed']} message(s) deferred; will retry")
    return counts


def _deliver(session: SmtpSession, message: EmailMessage) -> Outcome:
    if message.to_address and _suppressed(message):
        return Outcome("rejected", None, "not sent: the address is suppressed "
                                         "(earlier hard bounce or spam complaint)")
    try:
        data = build(message)
        db.session.commit()  # tracked links created while building
    except Exception as exc:  # noqa: BLE001 - a broken message must not block the batch
        db.session.rollback()
        log.exception("could not build message %s", message.id)
        return Outcome("delayed", None, f"could not build the message: {exc}")
    return session.deliver(envelope_sender(message), message.to_address, data)


def _suppressed(message: EmailMessage) -> bool:
    if message.override_suppression:
        return False
    from sqlalchemy import select

    from app.models import CustomerEmail

    return bool(db.session.scalar(select(CustomerEmail.id).where(
        CustomerEmail.address == message.to_address, CustomerEmail.suppressed.is_(True))
        .limit(1)))


@periodic("outbox-sweep", every_seconds=30, queue="mail")
def sweep_outbox() -> dict[str, int]:
    """Re-enqueue committed-but-never-picked-up mail and rescue stuck sends."""
    return outbox.sweep()
