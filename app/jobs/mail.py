"""Mail jobs: send a batch of outbox messages over one SMTP connection."""
from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from flask import current_app
from rq import Retry
from sqlalchemy import inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.jobs.runner import periodic
from app.mail import outbox
from app.mail.build import build, envelope_sender
from app.mail.smtp import Outcome, SmtpSession
from app.models import EmailMessage
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
    """Claim and send each message; safe to run twice (a claim succeeds only once).

    Message n's outcome and the claim of message n+1 share one transaction, so a worker
    has at most one message "sending" at any moment (what a kill -9 can leave in doubt)
    and each message costs one commit.
    """
    config = current_app.config
    reuse = config.get("MAIL_REUSE_CONNECTION", True)
    message_ids = list(dict.fromkeys(message_ids))  # each once: claims follow the order
    counts = {"sent": 0, "rejected": 0, "delayed": 0, "skipped": 0}
    suppressed = _suppressed_addresses(message_ids)
    # Content never changes once queued: load the batch (links, invoice) in one go.
    loaded = {m.id: m for m in db.session.scalars(_loading(
        select(EmailMessage).where(EmailMessage.id.in_(message_ids))))}
    following = dict(zip(message_ids, [*message_ids[1:], None]))

    def claim(message_id: int | None, commit: bool = True) -> bool:
        return message_id is not None and outbox.claim(
            message_id, early=_EARLY, message=_usable(loaded.get(message_id)), commit=commit)

    with SmtpSession(current_app.extensions["mail"], timeout=config["MAIL_TIMEOUT"]) as session:
        claimed = _once_more_on_db_error(lambda: claim(message_ids[0] if message_ids else None))
        for message_id in message_ids:
            next_id = following[message_id]
            if not claimed:
                counts["skipped"] += 1
                claimed = _once_more_on_db_error(lambda: claim(next_id))
                continue
            message, outcome = _attempt(session, message_id, suppressed,
                                        _usable(loaded.get(message_id)))

            # The server has answered: store that even if the database connection broke
            # meanwhile (a restart), so the batch resumes instead of resending.
            def record_and_claim_next() -> tuple[str, bool]:
                state = _record(message_id, outcome, message)
                try:
                    won = claim(next_id, commit=False)
                except DBAPIError as exc:
                    if exc.connection_invalidated:
                        raise
                    # The claim lost a lock conflict (a deadlock with the sweep, say):
                    # the outcome must not go with it. Store it alone, then claim apart.
                    log.warning("claiming message %s failed; storing the outcome of %s "
                                "first: %s", next_id, message_id, exc.orig)
                    db.session.rollback()
                    state = _record(message_id, outcome, message)
                    db.session.commit()
                    return state, claim(next_id)
                db.session.commit()
                return state, won

            state, claimed = _once_more_on_db_error(record_and_claim_next)
            counts[state if state in counts else "delayed"] += 1
            if not reuse:
                session.close()
    log.info("mail batch done: %s", counts)
    if outbox.pending_ids(message_ids) and counts["delayed"]:
        raise DeliveryDeferred(f"{counts['delayed']} message(s) deferred; will retry")
    return counts


def _loading(query):
    return query.options(selectinload(EmailMessage.links), joinedload(EmailMessage.invoice)) \
        .execution_options(populate_existing=True)


def _load(message_id: int) -> EmailMessage:
    return db.session.scalar(_loading(select(EmailMessage).where(EmailMessage.id == message_id)))


def _usable(message: EmailMessage | None) -> EmailMessage | None:
    """The preloaded row, unless a rollback (lost connection) has expired it."""
    return message if message is not None and not inspect(message).expired else None


def _record(message_id: int, outcome: Outcome, loaded: EmailMessage | None) -> str:
    """Store the outcome in the current transaction (the caller commits)."""
    message = _usable(loaded) or _load(message_id)
    outbox.record_outcome(message, outcome, commit=False)
    return message.state


def _once_more_on_db_error(action):
    """Run `action`; after a lost database connection, roll back and try once more."""
    try:
        return action()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.warning("database connection lost; retrying once: %s", exc.orig)
        db.session.rollback()
        return action()


def _attempt(session: SmtpSession, message_id: int, suppressed: set[str],
             message: EmailMessage | None) -> tuple[EmailMessage | None, Outcome]:
    """Build and send one claimed message; any failure becomes a temporary outcome."""
    try:
        if message is None:
            message = _once_more_on_db_error(lambda: _load(message_id))
        if message.to_address in suppressed and not message.override_suppression:
            # Our own refusal, not a bounce: the address keeps its state (about_address
            # is False), so a complaint-suppressed address is not turned "invalid".
            return message, Outcome("rejected", None, "not sent: the address is suppressed "
                                                      "(earlier hard bounce or spam complaint)",
                                    about_address=False)
        data = _once_more_on_db_error(lambda: build(message))
    except Exception as exc:  # noqa: BLE001 - a broken message must not block the batch
        db.session.rollback()
        log.exception("could not build message %s", message_id)
        return None, Outcome("delayed", None, f"could not build the message: {exc}")
    return message, session.deliver(envelope_sender(message), message.to_address, data)


def _suppressed_addresses(message_ids: list[int]) -> set[str]:
    """Addresses of this batch that a hard bounce or complaint suppressed (one query)."""
    from app.models import CustomerEmail

    addresses = select(EmailMessage.to_address).where(EmailMessage.id.in_(message_ids))
    return set(db.session.scalars(select(CustomerEmail.address).where(
        CustomerEmail.address.in_(addresses), CustomerEmail.suppressed.is_(True))))


@periodic("outbox-sweep", every_seconds=30, queue="mail")
def sweep_outbox() -> dict[str, int]:
    """Re-enqueue committed-but-never-picked-up mail and rescue stuck sends."""
    return outbox.sweep()


@periodic("overdue-reminders", every_seconds=3600, queue="mail")
def send_overdue_reminders() -> int:
    """Queue overdue reminders per REMINDER_DAYS (off when unset)."""
    from app.mail.reminders import send_due_reminders

    return send_due_reminders()
