"""Mail jobs: send a batch of outbox messages over one SMTP connection."""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.jobs.runner import TemporaryFailure
from app.mail import outbox
from app.mail.build import build, envelope_sender
from app.mail.smtp import Outcome, SmtpSession
from app.models import EmailMessage
from app.reminders import run as reminders
from app.models.base import utcnow

log = logging.getLogger(__name__)

# RQ may run a retry a moment before the row's next_attempt_at; accept that much.
_EARLY = timedelta(seconds=10)


class DeliveryDeferred(TemporaryFailure):
    """Some messages got a temporary failure; RQ's Retry runs the job again later."""


def send_messages(message_ids: list[int]) -> dict[str, int]:
    """Claim and send each message; safe to run twice (a claim succeeds only once).

    Messages are claimed in groups of MAIL_IN_FLIGHT; the outcomes of one group and the
    claim of the next share one transaction. A group is all a kill -9 can leave in doubt
    (still "sending", later flagged "possible duplicate"), and it costs one commit.
    A group that takes long is cut short: the unsent rest keeps its claim, renewed, so the
    sweep never takes back a message this worker is still going to send.
    """
    config = current_app.config
    reuse = config.get("MAIL_REUSE_CONNECTION", True)
    group_size = max(1, int(config["MAIL_IN_FLIGHT"]))
    budget = int(config.get("MAIL_SENDING_TIMEOUT", 300)) / 4
    message_ids = list(dict.fromkeys(message_ids))  # each once: claims follow the order
    waiting = deque(message_ids)
    counts = {"sent": 0, "rejected": 0, "delayed": 0, "skipped": 0}
    deferred = ""  # a temporary failure's answer, for the one warning line
    suppressed = _suppressed_addresses(message_ids)
    pdfs: dict[int, bytes] = {}  # invoice id → its PDF, rendered once for the batch
    # Content never changes once queued: load the batch (links, invoice) in one go.
    loaded = {m.id: m for m in db.session.scalars(_loading(
        select(EmailMessage).where(EmailMessage.id.in_(message_ids))))}

    def claim(ids: list[int], lease: datetime | None,
              commit: bool = True) -> tuple[list[int], datetime]:
        """The unsent rest of a group held since `lease` (renewed), or a new group.

        The ids now held, and the claim's time: the lease to renew them by.
        """
        at = utcnow()
        if lease is not None:
            return outbox.renew_claim(ids, lease, at, loaded=loaded, commit=commit), at
        return outbox.claim_many(ids, _EARLY, loaded, at=at, commit=commit,
                                 by=current_app.extensions.get("worker_heartbeat")), at

    def next_group() -> list[int]:
        return [waiting.popleft() for _ in range(min(group_size, len(waiting)))]

    with SmtpSession(current_app.extensions["mail"], timeout=config["MAIL_TIMEOUT"]) as session:
        ids = next_group()
        held, lease = _once_more_on_db_error(lambda: claim(ids, None))
        while ids:
            counts["skipped"] += len(ids) - len(held)
            started = time.monotonic()
            results = []
            try:
                for message_id in held:
                    if results and time.monotonic() - started > budget:
                        break
                    results.append((message_id, *_attempt(
                        session, message_id, suppressed, _usable(loaded.get(message_id)),
                        pdfs)))
                    if not reuse:
                        session.close()
            except BaseException:
                # Stopped mid-group (a job timeout, a shutdown): what the server already
                # said is stored, so the sweep never resends a message it took.
                _store_before_leaving(results, loaded)
                raise
            deferred = next((f"{o.code or ''} {o.reply}".strip() for _, _, o in results
                             if o.result == "delayed"), deferred)
            unsent = held[len(results):]
            ids = unsent or next_group()
            renewing = lease if unsent else None

            # The server has answered: store that even if the database connection broke
            # meanwhile (a restart), so the batch resumes instead of resending.
            states, (held, lease) = _once_more_on_db_error(partial(
                _record_and_claim, results, loaded, partial(claim, ids, renewing)))
            for state in states:
                counts[state if state in counts else "delayed"] += 1
    log.info("mail batch done: %s", counts)
    if outbox.pending_ids(message_ids) and counts["delayed"]:
        raise DeliveryDeferred(f"{counts['delayed']} message(s) deferred, will retry: "
                               f"{deferred[:200]}")
    return counts


def _record_and_claim(results: list[tuple[int, EmailMessage | None, Outcome]],
                      loaded: dict[int, EmailMessage], claim_next: Callable):
    """Store a group's outcomes and claim the next group in one transaction.

    Returns the outcomes' states and what `claim_next` returned.
    """
    states = _record(results, loaded)
    try:
        held = claim_next(commit=False)
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise
        # The claim lost a lock conflict (a deadlock with the sweep, say): the outcomes
        # must not go with it. Store them alone, then claim apart.
        log.warning("claiming the next messages failed; storing the outcomes first: %s",
                    exc.orig)
        db.session.rollback()
        states = _record(results, loaded)
        db.session.commit()
        return states, claim_next()
    db.session.commit()
    return states, held


def _store_before_leaving(results: list[tuple[int, EmailMessage | None, Outcome]],
                          loaded: dict[int, EmailMessage]) -> None:
    if not results:
        return
    try:
        db.session.rollback()
        _record(results, loaded)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the original error is the one to report
        log.exception("could not store the outcomes of %d message(s) before stopping",
                      len(results))


def _loading(query):
    return query.options(selectinload(EmailMessage.links), joinedload(EmailMessage.invoice)) \
        .execution_options(populate_existing=True)


def _load(message_id: int) -> EmailMessage:
    return db.session.scalar(_loading(select(EmailMessage).where(EmailMessage.id == message_id)))


def _usable(message: EmailMessage | None) -> EmailMessage | None:
    """The preloaded row, unless a rollback (lost connection) has expired it."""
    return message if message is not None and not inspect(message).expired else None


def _record(results: list[tuple[int, EmailMessage | None, Outcome]],
            loaded: dict[int, EmailMessage]) -> list[str]:
    """Store the outcomes in the current transaction (the caller commits); their states."""
    messages = [(_usable(message) or _usable(loaded.get(message_id)) or _load(message_id),
                 outcome) for message_id, message, outcome in results]
    outbox.record_outcomes(messages, commit=False)
    return [message.state for message, _ in messages]


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
             message: EmailMessage | None,
             pdfs: dict[int, bytes]) -> tuple[EmailMessage | None, Outcome]:
    """Build and send one claimed message; any failure becomes a temporary outcome."""
    try:
        if message is None:
            message = _once_more_on_db_error(lambda: _load(message_id))
        if message.to_address in suppressed and not message.override_suppression:
            # Our own refusal, not a bounce: its reason's class ("other") changes nothing,
            # so a complaint-suppressed address is not turned "invalid".
            return message, Outcome("rejected", None, "not sent: the address is suppressed "
                                                      "(earlier hard bounce or spam complaint)",
                                    reason="suppressed")
        data = _once_more_on_db_error(lambda: build(message, pdfs))
    except Exception as exc:  # noqa: BLE001 - a broken message must not block the batch
        db.session.rollback()
        log.exception("could not build message %s", message_id)
        return None, Outcome("delayed", None, f"could not build the message: {exc}",
                             reason="mailererror")
    outcome = session.deliver(envelope_sender(message), message.to_address, data)
    # The answer's own time: a group is stored after its last answer, and a bounce for
    # this message may be stored before that (histories are ordered by time).
    return message, replace(outcome, at=utcnow())


def _suppressed_addresses(message_ids: list[int]) -> set[str]:
    """Addresses of this batch that a hard bounce or complaint suppressed (one query)."""
    from app.models import CustomerEmail

    addresses = select(EmailMessage.to_address).where(EmailMessage.id.in_(message_ids))
    return set(db.session.scalars(select(CustomerEmail.address).where(
        CustomerEmail.address.in_(addresses), CustomerEmail.suppressed.is_(True))))


def sweep_outbox() -> dict[str, int]:
    """Re-enqueue committed-but-never-picked-up mail and rescue stuck sends."""
    return outbox.sweep()


def send_reminders() -> int:
    """Queue the reminders the office's stages make due (app.reminders.run)."""
    return reminders.run()
