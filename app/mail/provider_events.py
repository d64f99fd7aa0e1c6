"""Mail provider webhook events, mapped onto our messages and stored once."""
from __future__ import annotations

import hashlib
import json
import logging

from app.events.webhooks import ProviderEvent
from app.extensions import db
from app.mail.consequences import after_complaint, after_rejection
from app.mail.events import NewEvent, dedupe_key, insert_ignoring_duplicates, store_events
from app.mail.inbound import find_message
from app.models import EmailMessage, InboundMessage
from app.models.base import utcnow

log = logging.getLogger(__name__)


def _find(event: ProviderEvent) -> EmailMessage | None:
    return find_message(message_id=event.message_id, recipient=event.recipient)


def apply(events: list[ProviderEvent]) -> dict[str, int]:
    """Store each event once (by the provider's event id); unmatched ones go to review."""
    new_events, consequences, unmatched = [], [], []
    for event in events:
        message = _find(event)
        if message is None:
            unmatched.append(event)
            continue
        new_events.append(NewEvent(
            message_id=message.id, type=event.type, occurred_at=event.occurred_at,
            source=f"webhook:{event.provider}",
            dedupe_key=f"{event.provider}:{event.provider_event_id}"[:128],
            delivered=event.delivered, code=event.code or "",
            diagnostic=event.diagnostic or "", user_agent=event.user_agent or "",
            ip=event.ip or "", url=event.url or "",
            details={"recipient": event.recipient}))
        consequences.append((event, message))
    touched = store_events(new_events)
    for event, message in consequences:
        if message.id not in touched:
            continue
        if event.type == "rejected":
            after_rejection(message, hard=True, reason=event.diagnostic or "bounced")
        elif event.type == "spam":
            after_complaint(message)
    if unmatched:
        # Providers post an event again until they see a 200, and replay whole batches: a
        # replay finds its row stored (the key is hashed: SES ids hold the address).
        db.session.execute(insert_ignoring_duplicates(InboundMessage.__table__),
                           [_review_row(event) for event in unmatched])
    db.session.commit()
    return {"stored": len(new_events), "unmatched": len(unmatched)}


def _review_row(event: ProviderEvent) -> dict:
    raw = json.dumps(event.raw, sort_keys=True, default=str).encode()
    return {"via": f"webhook:{event.provider}", "raw": raw, "state": "unmatched",
            "kind": event.type, "processed_at": utcnow(),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "dedupe_key": dedupe_key(event.provider, event.provider_event_id),
            "envelope_to": (event.recipient or "")[:300],
            "summary": f"{event.provider} {event.type} for {event.recipient or 'unknown'}: "
                       "no matching message"}
