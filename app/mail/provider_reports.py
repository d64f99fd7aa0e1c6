"""Mail provider webhook events, mapped onto our messages and stored once."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from datetime import datetime

from app.events.automation import classify_hit
from app.events.webhooks import ProviderEvent
from app.extensions import db
from app.mail.consequences import after_complaint, after_rejection
from app.mail.inbound import by_address, proven_message
from app.mail.recorder import NewEvent, dedupe_key, insert_ignoring_duplicates, store_events
from app.models import EmailMessage, InboundMessage
from app.models.base import utcnow

log = logging.getLogger(__name__)

# What marks an email Rejected or Marked Spam and changes the address (invalid, suppressed,
# consent withdrawn) is applied only to the email the event proves to be about. The
# provider vouches for the event, not for which of our emails to an address it concerns;
# a delivery or an open matched to the newest one changes nothing in the customer file.
_NEED_PROOF = frozenset({"rejected", "spam"})


def apply(events: list[ProviderEvent]) -> dict[str, int]:
    """Store each event once (by the provider's event id); the rest wait in review."""
    now = utcnow()
    matched, held = [], []
    for event in events:
        # Our Message-ID, when the provider echoes it (custom argument, metadata, headers).
        message = proven_message(message_id=event.message_id)
        if message is None:
            guess = by_address(event.recipient, now)
            if guess is None or event.type in _NEED_PROOF:
                held.append((event, guess))
                continue
            message = guess
        matched.append((event, message))
    _store(matched)
    if held:
        # Providers post an event again until they see a 200, and replay whole batches: a
        # replay finds its row stored (the key is hashed: SES ids hold the address).
        db.session.execute(insert_ignoring_duplicates(InboundMessage.__table__),
                           [_review_row(event, guess, now) for event, guess in held])
    db.session.commit()
    return {"stored": len(matched), "unmatched": len(held)}


def apply_confirmed(inbound: InboundMessage) -> str:
    """Apply an event held as matched by address only, which a person has confirmed."""
    try:
        event = _held_event(inbound.raw)
    except (ValueError, KeyError, TypeError):  # erased with the customer's data since
        return "unmatched"
    message = by_address(event.recipient, inbound.received_at)
    if message is None:
        return "unmatched"
    _store([(event, message)])
    return "processed"


def _store(matched: list[tuple[ProviderEvent, EmailMessage]]) -> None:
    touched = store_events([_new_event(event, message) for event, message in matched])
    for event, message in matched:
        if message.id not in touched:
            continue
        if event.type == "rejected":
            after_rejection(message, reason=event.reason,
                            words=event.diagnostic or event.code or "", at=event.occurred_at)
        elif event.type == "spam":
            after_complaint(message)



def _new_event(event: ProviderEvent, message: EmailMessage) -> NewEvent:
    details = {"recipient": event.recipient}
    automated = False
    if event.type in ("opened", "clicked"):
        # The provider's own verdict first; else the rules our own tracking uses.
        rule = event.machine or classify_hit(
            "open" if event.type == "opened" else "click", event.user_agent, event.ip,
            event.occurred_at, message.sent_at, url=event.url)[1]
        automated = bool(rule)
        if rule:
            details["automation_rule"] = rule
        if event.machine_flag:
            details["provider_flag"] = event.machine_flag
    return NewEvent(
        message_id=message.id, type=event.type, occurred_at=event.occurred_at,
        source=f"webhook:{event.provider}",
        dedupe_key=f"{event.provider}:{event.provider_event_id}"[:128],
        delivered=event.delivered, code=event.code or "",
        diagnostic=event.diagnostic or "", user_agent=event.user_agent or "",
        ip=event.ip or "", url=event.url or "", reason=event.reason,
        automated=automated, details=details)


def _review_row(event: ProviderEvent, guess: EmailMessage | None, now: datetime) -> dict:
    # Our reading of the event is kept beside the provider's JSON, so a confirmation
    # applies exactly the event an automatic match would have.
    reading = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)
               if f.name != "raw"}
    raw = json.dumps({"event": reading, "payload": event.raw}, sort_keys=True,
                     default=str).encode()
    found = f"{event.provider} {event.type} for {event.recipient or 'unknown'}"
    return {"via": f"webhook:{event.provider}", "raw": raw,
            "state": "unconfirmed" if guess else "unmatched",
            "matched_message_id": guess.id if guess else None,
            "kind": event.type, "received_at": now, "processed_at": now,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "dedupe_key": dedupe_key(event.provider, event.provider_event_id),
            "envelope_to": (event.recipient or "")[:300],
            "summary": found if guess else f"{found}: no matching message"}


def _held_event(raw: bytes) -> ProviderEvent:
    reading = json.loads(raw)["event"]
    reading["occurred_at"] = datetime.fromisoformat(reading["occurred_at"])
    return ProviderEvent(**reading)
