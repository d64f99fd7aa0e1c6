"""Bounce, complaint and reply mail: stored raw first, then parsed and matched."""
from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.capture import dropbox, filing
from app.events.bounces import Classification, RecipientResult, classify
from app.events.feedback import NOT_COMPLAINTS
from app.events.tokens import parse_verp
from app.extensions import db
from app.mail.consequences import after_complaint, after_rejection
from app.mail.outbox import shaped_like_ours
from app.mail.recorder import NewEvent, store_events
from app.mail.tracking import STAMP, read_token
from app.models import EmailMessage, InboundMessage, User
from app.models.base import utcnow
from app.queues import get_queue

log = logging.getLogger(__name__)

MATCH_WINDOW = timedelta(days=30)
# The largest inbound message kept, by every way mail comes in (SMTP refuses more with
# 552, the pipe refuses it, IMAP fetches no more than this). A bounce or a complaint is a
# few KB; what is above that is the returned original, whose head is all that matters.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024

# Where raw mail comes from; provider webhooks ("webhook:<name>") store no mail to re-read.
MAIL_SOURCES = ("smtp", "imap", "pipe")
_SOURCE = {"dsn": "dsn", "arf": "arf"}


def can_reprocess(message: InboundMessage) -> bool:
    """Whether the stored message is raw mail that can be processed again."""
    return message.via in MAIL_SOURCES


def store(raw: bytes, *, via: str, envelope_from: str = "", envelope_to: str = "",
          enqueue: bool = True) -> int:
    """Write the raw message down (committed) and hand it to the worker (unless the
    caller processes it right away: `enqueue=False`)."""
    inbound = InboundMessage(raw=raw, via=via, envelope_from=envelope_from[:300],
                             envelope_to=envelope_to[:300], sha256=report_digest(raw))
    address = dropbox.delivered_to(raw, envelope_to)
    if address is not None:  # whose, now: a rotation before the worker runs loses nothing
        owner = dropbox.owner_of(address)
        inbound.kind, inbound.dropbox_user_id = "capture", owner.id if owner else None
        inbound.envelope_to = dropbox.masked(inbound.envelope_to)  # the address is a secret
    db.session.add(inbound)
    db.session.commit()
    if not enqueue:
        return inbound.id
    try:
        get_queue("events").enqueue(process_inbound_job, inbound.id,
                                    job_id=f"inbound-{inbound.id}", failure_ttl=7 * 86400)
    except Exception:  # noqa: BLE001 - Redis down: the sweep processes it later
        log.warning("could not enqueue inbound message %s; the sweep will", inbound.id)
    return inbound.id


# Header fields the relays on the way add or rewrite: the same report relayed once more
# differs only in these (a new Received: on top, another Delivered-To or Return-Path).
TRACE_FIELDS = frozenset((
    b"received", b"x-received", b"return-path", b"delivered-to", b"x-original-to",
    b"envelope-to", b"x-envelope-to", b"x-envelope-from", b"received-spf",
    b"authentication-results", b"arc-seal", b"arc-message-signature",
    b"arc-authentication-results", b"x-forwarded-to", b"x-forwarded-for"))


def report_digest(raw: bytes) -> str:
    """The sha256 of a message without its trace header fields and with its line endings
    made one: the same report arriving twice gets the same digest, so it is one event."""
    text = raw.replace(b"\r\n", b"\n")
    head, blank, body = text.partition(b"\n\n")
    kept: list[bytes] = []
    dropping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the field before
            if not dropping:
                kept.append(line)
            continue
        dropping = line.split(b":", 1)[0].strip().lower() in TRACE_FIELDS
        if not dropping:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + blank + body.rstrip(b"\n")).hexdigest()


def process_inbound_job(inbound_id: int) -> str:
    from app.mail.inbound import process

    return process(inbound_id)


def process(inbound_id: int) -> str:
    """Parse, match and apply one stored message; safe to run twice. Returns its state."""
    inbound = db.session.get(InboundMessage, inbound_id)
    if inbound is None or inbound.state != "new":
        return inbound.state if inbound else "missing"
    if can_reprocess(inbound) and _to_dropbox(inbound):
        db.session.commit()
        return inbound.state
    result, proof = _read(inbound)
    inbound.kind = result.kind
    inbound.has_original = result.has_original
    inbound.error = result.error or ""
    inbound.processed_at = utcnow()
    if result.kind == "autoreply":
        inbound.state, inbound.summary = "ignored", "auto-reply (not a bounce)"
    elif result.kind == "arf" and not result.is_complaint:
        inbound.state = "ignored"
        inbound.summary = ("feedback report, not a complaint: "
                           f"{NOT_COMPLAINTS[result.feedback_type]}")
    elif result.is_complaint and not result.recipients:
        inbound.state = "unmatched"
        inbound.summary = ("complaint with the recipient redacted, not tied to an email of "
                           "ours by its Message-ID or VERP address")
    elif result.kind == "unknown" or not result.recipients:
        inbound.state = "unparsed"
        inbound.summary = "could not read a delivery report in this message"
        if result.error:
            inbound.summary += f" ({result.error})"
    else:
        inbound.state = _apply(inbound, result, proof, confirmed=False)
    db.session.commit()
    return inbound.state


def _to_dropbox(inbound: InboundMessage) -> bool:
    """Mail delivered to a drop-box address is captured correspondence, never a report:
    decided by the envelope recipient (which `store` recorded, with whose drop-box it
    was) before the bounce parser reads a byte of it."""
    if inbound.kind != "capture":
        return False
    inbound.processed_at = utcnow()
    owner = db.session.get(User, inbound.dropbox_user_id) if inbound.dropbox_user_id else None
    if owner is None:
        inbound.state, inbound.raw = "ignored", b""
        inbound.summary = ("sent to a drop-box address no one holds (rotated, never made, or "
                           "its owner may not file mail)")
    else:
        inbound.state = filing.capture(inbound, owner)
    return True


def apply_confirmed(inbound: InboundMessage) -> str:
    """Apply a report held as matched by address only, which a person has confirmed."""
    result, proof = _read(inbound)
    return _apply(inbound, result, proof, confirmed=True)


def _read(inbound: InboundMessage) -> tuple[Classification, EmailMessage | None]:
    """The report, and the email of ours it proves to be about (None: no proof in it)."""
    result = classify(inbound.raw, envelope_recipient=inbound.envelope_to or None)
    # The envelope recipient (the receiver's RCPT TO, the pipe's --envelope-to), never a
    # header: a real bounce is delivered to the VERP address, while To: or Delivered-To:
    # say whatever the sender wrote. A mailbox read over IMAP has no envelope.
    proof = proven_message(verp_token=parse_verp(inbound.envelope_to),
                           message_id=result.original_message_id)
    if proof is None and result.is_complaint:
        # A feedback loop reports to our abuse address, not to the VERP one; the copy it
        # returns names our envelope sender (Return-Path, Original-Mail-From), a token as
        # unguessable as our Message-ID, and carries our signed header: relays may have
        # replaced the first two.
        proof = (proven_message(verp_token=result.returned_verp_token)
                 or stamped_message(result.returned_stamp))
    return _with_redacted_complainant(result, proof), proof


def _apply(inbound: InboundMessage, result: Classification, proof: EmailMessage | None, *,
           confirmed: bool) -> str:
    """Store the report's events and what follows from them; the message's new state.

    Without proof the report is only held, with the email it would be about, until a
    person confirms it: a hand-made bounce or complaint naming a customer's address must
    not mark it invalid or withdraw consent by itself.
    """
    matches = [(recipient, proof or by_address(recipient.address, inbound.received_at))
               for recipient in result.recipients]
    found = [message for _, message in matches if message is not None]
    inbound.summary = "; ".join(_note(r, message) for r, message in matches)[:2000]
    if not found:
        return "unmatched"
    inbound.matched_message_id = found[-1].id
    if proof is None and not confirmed:
        return "unconfirmed"
    for recipient, message in matches:
        if message is None:
            continue
        event_type = recipient.status  # rejected | delayed | spam
        # A report seen before (the same message processed again) changes nothing.
        new = message.id in store_events([NewEvent(
            message_id=message.id, type=event_type,
            occurred_at=_happened_at(result, inbound, message),
            source=_SOURCE[result.kind],
            dedupe_key=f"inbound:{inbound.sha256}:{recipient.address}:{event_type}",
            code=recipient.code or "", diagnostic=recipient.diagnostic or "",
            reason=recipient.reason,
            details={"inbound_id": inbound.id, "address": recipient.address})])
        if new and event_type == "rejected":
            after_rejection(message, reason=recipient.reason,
                            words=recipient.diagnostic or recipient.code or "",
                            at=inbound.received_at)
        elif new and event_type == "spam":
            after_complaint(message)
    return "processed"


def _happened_at(result: Classification, inbound: InboundMessage,
                 message: EmailMessage) -> datetime:
    """The report's own time, kept between our attempt and its arrival here: a remote
    clock may be off, and nothing can fail before we tried or after we heard of it."""
    received = _aware(inbound.received_at)
    if result.reported_at is None:
        return received
    earliest = _aware(message.last_attempt_at or message.created_at or received)
    return max(min(result.reported_at, received), min(earliest, received))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _note(recipient: RecipientResult, message: EmailMessage | None) -> str:
    if message is None:
        return f"{recipient.address}: no matching message"
    return f"{recipient.address}: {recipient.status} ({recipient.code or 'no code'})"



def _with_redacted_complainant(result: Classification,
                               proof: EmailMessage | None) -> Classification:
    """A complaint proven to be about our email complains about that email's recipient,
    whoever the report names: it may redact the address (RFC 6590), or only echo the
    returned copy's To: (which a Cc or Bcc copy does not name), or be forwarded."""
    if not result.is_complaint or proof is None:
        return result
    diagnostic = next((r.diagnostic for r in result.recipients), None)
    return replace(result, recipients=[RecipientResult(
        proof.to_address, "spam", None, diagnostic or result.feedback_type or "complaint")])


def proven_message(*, verp_token: str | None = None,
                   message_id: str | None = None) -> EmailMessage | None:
    """The email a report proves to be about: by the VERP token of the address it was
    delivered to, or by a Message-ID we generated and sent.

    Both are random (144 and 122 bits): naming one takes having seen that email, and its
    recipient can then only report on their own address.
    """
    if verp_token:
        found = db.session.scalar(select(EmailMessage).where(
            EmailMessage.verp_token == verp_token))
        if found is not None:
            return found
    message_id = (message_id or "").strip("<> ")
    if not shaped_like_ours(message_id):
        return None
    return db.session.scalar(select(EmailMessage).where(EmailMessage.message_id == message_id))


def stamped_message(stamp: str | None) -> EmailMessage | None:
    """The email whose X-Clientele-Message header this is (signed with our key, and naming
    the email's VERP token as well as its id, so a reused id cannot match), or None."""
    found = read_token(STAMP, stamp) if stamp else None
    if found is None:
        return None
    message = db.session.get(EmailMessage, found[0])
    if message is None or not hmac.compare_digest(message.verp_token, found[1]):
        return None
    return message


def by_address(recipient: str | None, at: datetime) -> EmailMessage | None:
    """The newest email to `recipient` in the MATCH_WINDOW before `at`: a guess, since
    anyone can name an address, so what it would change waits for a person."""
    if not recipient:
        return None
    return db.session.scalar(
        select(EmailMessage)
        .where(EmailMessage.to_address == recipient.lower(),
               EmailMessage.created_at <= at, EmailMessage.created_at >= at - MATCH_WINDOW)
        .order_by(EmailMessage.created_at.desc()).limit(1))


def sweep_new(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Process stored messages that never reached the worker (e.g. Redis was down)."""
    ids = db.session.scalars(select(InboundMessage.id).where(
        InboundMessage.state == "new",
        InboundMessage.received_at < utcnow() - older_than).limit(500)).all()
    for inbound_id in ids:
        try:
            process(inbound_id)
        except Exception:  # noqa: BLE001 - one bad message must not stop the rest
            db.session.rollback()
            log.exception("inbound message %s could not be processed", inbound_id)
            inbound = db.session.get(InboundMessage, inbound_id)
            inbound.state, inbound.error = "unparsed", "processing failed; see the logs"
            db.session.commit()
    return len(ids)
