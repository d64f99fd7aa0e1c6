"""The outbox: messages are written first, enqueued after commit, claimed atomically.

A message's delivery `state` moves queued → sending → sent | delayed | rejected. Only a
worker that wins the claim (an UPDATE that matches queued/delayed rows) sends it, so two
workers or two clicks never send the same message twice.
"""
from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from flask import current_app
from rq import Retry
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.admin import heartbeats
from app.extensions import db
from app.mail.consequences import after_rejection
from app.mail.recorder import NewEvent, dedupe_key, refresh_messages, store_events
from app.mail.smtp import Outcome, reply_reason
from app.models import SYSTEM_KIND, EmailMessage
from app.models.base import utcnow
from app.queues import get_queue, get_redis

log = logging.getLogger(__name__)

DEFAULT_BACKOFF = (60, 120, 300, 900, 1800)  # seconds between attempts: ~an hour in all


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str = ""
    role: str = "to"  # to | cc | bcc


def stored_address(address: str) -> str:
    """An address as the outbox stores it (and as lookups must spell it)."""
    return address.strip().lower()


def new_message_id() -> str:
    domain = current_app.config["BOUNCE_DOMAIN"].split("@")[-1]
    return f"{uuid.uuid4().hex}@{domain}"


# What new_message_id makes; the domain is the BOUNCE_DOMAIN of the day the email was
# sent, which the office may have changed since.
_OUR_MESSAGE_ID = re.compile(r"[0-9a-f]{32}@[^@\s<>]+")


def shaped_like_ours(message_id: str) -> bool:
    """A Message-ID shaped like the ones we generate (whether one was sent is the DB's)."""
    return bool(_OUR_MESSAGE_ID.fullmatch(message_id))


def add_messages(*, recipients: list[Recipient], subject: str, body: str,
                 invoice=None, customer_id: int | None = None, user=None,
                 kind: str = "invoice", attach_pdf: bool = True,
                 include_link: bool = True, overrides: frozenset[str] = frozenset(),
                 batch: str | None = None) -> list[EmailMessage]:
    """Write one EmailMessage per recipient into the session (the caller commits)."""
    batch = batch or uuid.uuid4().hex
    visible_cc = ", ".join(r.address for r in recipients if r.role == "cc")
    messages = []
    for recipient in recipients:
        message = EmailMessage(
            invoice=invoice, customer_id=customer_id or getattr(invoice, "customer_id", None),
            created_by_id=getattr(user, "id", None), kind=kind, batch=batch,
            to_address=stored_address(recipient.address), to_name=recipient.name,
            recipient_role=recipient.role,
            cc_addresses=visible_cc if recipient.role != "cc" else "",
            subject=subject, body_text=body, attach_pdf=attach_pdf,
            include_link=include_link, message_id=new_message_id(),
            override_suppression=recipient.address.lower() in overrides,
        )
        db.session.add(message)
        messages.append(message)
    db.session.flush()
    from app.mail.build import prepare_links

    for message in messages:
        prepare_links(message)
    from app.mail import live

    live.touch(messages)
    return messages


def add_system_messages(*, recipients: list[Recipient], subject: str, body: str,
                        batch: str | None = None) -> list[EmailMessage]:
    """System mail (a digest; later password resets, invitations, test sends): the same
    outbox and retries, no tracking image, no rewritten links, no invoice, no customer,
    so no report or Sent Status shows it. The caller commits."""
    batch = batch or uuid.uuid4().hex
    messages = [EmailMessage(kind=SYSTEM_KIND, batch=batch,
                             to_address=stored_address(r.address), to_name=r.name,
                             recipient_role=r.role, subject=subject, body_text=body,
                             attach_pdf=False, include_link=False,
                             message_id=new_message_id()) for r in recipients]
    db.session.add_all(messages)
    db.session.flush()
    return messages


def enqueue(message_ids: list[int]) -> bool:
    """Hand messages to the mail queue after commit. False when Redis is unreachable.

    Nothing is lost when this fails: the rows stay `queued` and the sweep enqueues them.
    """
    if not message_ids:
        return True
    try:
        _enqueue_send(sorted(message_ids))
    except Exception:  # noqa: BLE001 - Redis down or slow: the sweep catches up
        log.warning("could not enqueue %d messages; the outbox sweep will retry",
                    len(message_ids), exc_info=True)
        return False
    db.session.execute(update(EmailMessage).where(EmailMessage.id.in_(message_ids))
                       .values(enqueued_at=utcnow()))
    db.session.commit()
    return True


def _enqueue_send(message_ids: list[int]) -> None:
    """One send job for these messages, with a deterministic id and RQ retries. The job is
    named by its path: the outbox never imports the jobs package that imports it."""
    delays = list(backoff())
    retries = max(max_attempts() - 1, 1)
    digest = hashlib.sha1(",".join(map(str, message_ids)).encode()).hexdigest()[:16]
    get_queue("mail").enqueue(
        "app.jobs.mail.send_messages", message_ids,
        job_id=f"send-{message_ids[0]}-{len(message_ids)}-{digest}",
        retry=Retry(max=retries, interval=delays[:retries]),
        job_timeout=max(60, 30 * len(message_ids)), result_ttl=3600, failure_ttl=7 * 86400,
        description=f"send {len(message_ids)} invoice email(s)")


def claim_many(message_ids: list[int], early: timedelta = timedelta(0),
               loaded: dict[int, EmailMessage] | None = None, *,
               at: datetime | None = None, commit: bool = True,
               by: str | None = None) -> list[int]:
    """Atomically take messages for sending; the ids this caller won, in the given order.

    `early` lets a retry that RQ runs a moment before `next_attempt_at` still claim it.
    `at` is the claim's time, stored as `claimed_at`: the caller's lease (`renew_claim`).
    Messages already `loaded` by the caller get the claimed values without a re-read.
    With `commit=False` the claim is part of the caller's transaction. `by` names the
    claiming worker by its heartbeat: when that stops, the sweep hands the claim back.
    """
    if not message_ids:
        return []
    now = at or utcnow()
    row = EmailMessage.__table__.c  # a plain UPDATE: the ORM's bookkeeping isn't needed
    won = dict(db.session.execute(
        update(EmailMessage.__table__)
        .where(row.id.in_(message_ids), row.state.in_(("queued", "delayed")),
               row.attempts < max_attempts(),
               or_(row.next_attempt_at.is_(None), row.next_attempt_at <= now + early))
        .values(state="sending", claimed_at=now, claimed_by=by, attempts=row.attempts + 1,
                last_attempt_at=now)
        .returning(row.id, row.attempts)).all())
    if commit:
        db.session.commit()
    for message_id, attempts in won.items():
        _set_committed((loaded or {}).get(message_id), state="sending", claimed_at=now,
                       claimed_by=by, attempts=attempts, last_attempt_at=now)
    return [i for i in message_ids if i in won]


def renew_claim(message_ids: list[int], lease: datetime, at: datetime, *,
                loaded: dict[int, EmailMessage] | None = None,
                commit: bool = True) -> list[int]:
    """Restart the sending clock of claimed messages not sent yet; the ids still held.

    Only rows still "sending" under the caller's claim (`claimed_at` = `lease`) are
    renewed: one the sweep has meanwhile handed to another worker is not ours any more.
    """
    if not message_ids:
        return []
    row = EmailMessage.__table__.c
    held = set(db.session.scalars(
        update(EmailMessage.__table__)
        .where(row.id.in_(message_ids), row.state == "sending", row.claimed_at == lease)
        .values(claimed_at=at).returning(row.id)))
    if commit:
        db.session.commit()
    for message_id in held:
        _set_committed((loaded or {}).get(message_id), claimed_at=at)
    return [i for i in message_ids if i in held]


def _set_committed(message: EmailMessage | None, **values) -> None:
    """Give a loaded object the values a plain UPDATE wrote, without marking it dirty."""
    if message is not None:
        for key, value in values.items():
            set_committed_value(message, key, value)


def max_attempts() -> int:
    return int(current_app.config.get("MAIL_MAX_ATTEMPTS", 5))


def backoff() -> tuple[int, ...]:
    return tuple(current_app.config.get("MAIL_RETRY_BACKOFF", DEFAULT_BACKOFF))


def record_outcomes(results: list[tuple[EmailMessage, Outcome]], *,
                    commit: bool = True) -> None:
    """Store what the server said, as message states and as events.

    Each message's new state and its derived status go out in one UPDATE (nothing is
    flushed until the end). Commits unless `commit=False` (the caller commits).
    """
    if not results:
        return
    with db.session.no_autoflush:
        events = [_apply_outcome(message, outcome) for message, outcome in results]
        known = {message.id: message for message, _ in results}
        touched = store_events(events, known=known)
        if unchanged := [i for i in known if i not in touched]:
            refresh_messages(unchanged, known)  # the state changed even if no event did
        for (message, outcome), event in zip(results, events):
            if event.type == "rejected" and message.id in touched:
                # What follows is the reason's class: the consequences' one decision.
                after_rejection(message, reason=event.reason, words=message.smtp_response,
                                size=outcome.size, at=event.occurred_at)
    if commit:
        db.session.commit()
    else:
        db.session.flush()  # these rows first: every worker locks rows in batch order


def _apply_outcome(message: EmailMessage, outcome: Outcome) -> NewEvent:
    """Set the message's new delivery state; the event that records the attempt."""
    now = outcome.at or utcnow()
    over = None
    message.smtp_code = outcome.code
    message.smtp_response = outcome.reply
    event_type = outcome.result
    reason = outcome.reason or reply_reason(outcome.code, outcome.reply)
    if outcome.result == "sent":
        message.state, message.sent_at, message.next_attempt_at = "sent", now, None
    elif outcome.result == "rejected":
        message.state, message.next_attempt_at = "rejected", None
    elif message.attempts >= max_attempts():
        message.state, message.gave_up, message.next_attempt_at = "rejected", True, None
        # Giving up after temporary failures is no verdict on the address, whatever the
        # last answer said.
        event_type, reason = "rejected", "expired"
        over = _trying_since(message, now)
        message.smtp_response = (f"Gave up after {message.attempts} tries over "
                                 f"{duration_words(over)}; last answer: {outcome.reply}")[:2000]
    else:
        delays = backoff()
        wait = delays[min(message.attempts - 1, len(delays) - 1)]
        message.state, message.next_attempt_at = "delayed", now + timedelta(seconds=wait)
    return NewEvent(
        message_id=message.id, type=event_type, occurred_at=now, source="smtp",
        dedupe_key=dedupe_key("smtp", message.id, message.attempts, event_type),
        code=str(outcome.code or ""), diagnostic=message.smtp_response, reason=reason,
        details={"attempt": message.attempts, "gave_up": message.gave_up,
                 **({"size": outcome.size} if outcome.size else {}),
                 # When we try again: the event line says so ("we will try again at …").
                 **({"retry_at": message.next_attempt_at.isoformat()}
                    if event_type == "delayed" and message.next_attempt_at else {}),
                 **({"tries": message.attempts, "over_seconds": int(over.total_seconds())}
                    if over is not None else {})})


def _trying_since(message: EmailMessage, now: datetime) -> timedelta:
    """From our first attempt (its stored event) to now; the queueing time without one."""
    from app.models import EmailEvent

    first = db.session.scalar(select(func.min(EmailEvent.occurred_at)).where(
        EmailEvent.message_id == message.id, EmailEvent.source == "smtp"))
    start = first or message.created_at or now
    if start.tzinfo is None and now.tzinfo is not None:
        start = start.replace(tzinfo=now.tzinfo)
    return max(now - start, timedelta(0))


def duration_words(delta: timedelta) -> str:
    """"2 days", "3 hours", "1 minute": the largest whole unit, for a bookkeeper."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Re-enqueue what was committed but never picked up, and rescue stuck sends."""
    now = now or utcnow()
    config = current_app.config
    stuck_after = timedelta(seconds=int(config.get("MAIL_SENDING_TIMEOUT", 300)))
    pickup_after = timedelta(seconds=int(config.get("MAIL_PICKUP_TIMEOUT", 60)))
    # The worker died mid-send: the server may or may not have the message. One UPDATE
    # that checks the state itself, so a row a worker has just recorded as sent (after a
    # separate SELECT would have seen it "sending") is not reset and sent again. The
    # attempt still counts: a message that makes its worker die every time would
    # otherwise be retried, and its group resent, for ever.
    stuck = db.session.scalars(
        update(EmailMessage)
        .where(EmailMessage.state == "sending", or_(
            EmailMessage.claimed_at < now - stuck_after,
            EmailMessage.claimed_by.in_(_dead_claimants())))
        .values(state="queued", possible_duplicate=True, claimed_by=None)
        .returning(EmailMessage.id)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    exhausted = _give_up_exhausted()
    waiting = db.session.scalars(select(EmailMessage.id).where(or_(
        and_(EmailMessage.state == "queued",
             or_(EmailMessage.enqueued_at.is_(None),
                 EmailMessage.enqueued_at < now - pickup_after)),
        and_(EmailMessage.state == "delayed", EmailMessage.next_attempt_at <= now - pickup_after),
    )).order_by(EmailMessage.id).limit(5000)).all()
    # What was just taken back from a dead worker goes out again now: its job died with it.
    if stuck:
        waiting = sorted(set(waiting) | set(db.session.scalars(select(EmailMessage.id).where(
            EmailMessage.id.in_(stuck), EmailMessage.state == "queued"))))
    for start in range(0, len(waiting), 100):
        if not enqueue(list(waiting[start:start + 100])):
            break
    return {"stuck": len(stuck), "gave_up": exhausted, "requeued": len(waiting)}


def _dead_claimants() -> list[str]:
    """Workers holding claims whose heartbeat stopped: they will never send them.

    Their claims go back at once (a live worker's stay until the sending timeout). Redis
    unreachable or just restarted: nobody is known dead, the timeout still applies.
    """
    claimants = db.session.scalars(select(EmailMessage.claimed_by).distinct().where(
        EmailMessage.state == "sending", EmailMessage.claimed_by.is_not(None))).all()
    if not claimants:
        return []
    try:
        conn = get_redis()
        if not heartbeats.silence_proves_death(conn):
            return []
        dead = [name for name in claimants if not heartbeats.is_alive(conn, "worker", name)]
    except redis.RedisError:
        return []
    if dead:
        log.warning("worker %s stopped beating: its messages in flight go back to the "
                    "queue (possible duplicates)", ", ".join(dead))
    return dead


def _give_up_exhausted() -> int:
    """Messages that used their last attempt without an answer (the worker stopped while
    sending them) end Rejected; no claim can take them any more (`claim_many`)."""
    messages = db.session.scalars(select(EmailMessage).where(
        EmailMessage.state.in_(("queued", "delayed")),
        EmailMessage.attempts >= max_attempts())
        .execution_options(populate_existing=True)).all()  # counts were raised by UPDATEs
    record_outcomes([(message, Outcome(
        "delayed", None, "sending stopped before the mail server answered "
                         "(it may have received the message)")) for message in messages])
    return len(messages)


def pending_ids(message_ids: list[int]) -> list[int]:
    return list(db.session.scalars(select(EmailMessage.id).where(
        EmailMessage.id.in_(message_ids), EmailMessage.state.in_(("queued", "delayed")))))
