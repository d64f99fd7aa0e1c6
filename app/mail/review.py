"""Reports matched to an email by the recipient's address only, held for a person.

Anyone can send a bounce or complaint naming a customer's address; only our VERP token
or Message-ID proves one is about an email we sent. Without it, the report waits on
Admin → Bounce review until someone who knows the customer confirms it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload

from app.events.reasons import CLASSES, OFFICE
from app.extensions import db
from app.mail import inbound
from app.mail import provider_reports
from app.models import EmailEvent, EmailMessage, InboundMessage
from app.models.base import utcnow

HELD = "unconfirmed"
# How far back the review list shows refusals, and alerts of refusals of the office.
VERDICT_WINDOW = timedelta(days=30)
ALERT_WINDOW = timedelta(days=14)


def confirm(inbound_id: int) -> InboundMessage | None:
    """Apply a held report as an automatic match would have; None if it is not held.

    The state changes first, in the same transaction: of two clicks at once, the second
    waits on the row and then finds nothing held. (Its events would be stored once
    anyway, by their keys.) The caller commits.
    """
    taken = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.state == HELD)
        .values(state="processed", processed_at=utcnow())).rowcount
    if not taken:
        db.session.rollback()
        return None
    held = db.session.get(InboundMessage, inbound_id, populate_existing=True)
    if held.via.startswith("webhook:"):
        held.state = provider_reports.apply_confirmed(held)
    else:
        held.state = inbound.apply_confirmed(held)
    return held


def verdicts(failure_class: str | None = None, since: datetime | None = None) -> Select:
    """Refusals (newest first) since `since` (VERDICT_WINDOW), of one class or all: the
    review list's verdicts, each of which a person may mark wrong."""
    since = since or utcnow() - VERDICT_WINDOW
    query = (select(EmailEvent)
             .where(EmailEvent.type == "rejected", EmailEvent.failure_class != "",
                    EmailEvent.occurred_at >= since)
             .options(joinedload(EmailEvent.message).joinedload(EmailMessage.invoice),
                      joinedload(EmailEvent.overturned_by))
             .order_by(EmailEvent.occurred_at.desc(), EmailEvent.id.desc()))
    if failure_class in CLASSES:
        query = query.where(EmailEvent.failure_class == failure_class)
    return query


def office_alerts(limit: int = 5) -> list[EmailEvent]:
    """The latest refusals of the office itself (ALERT_WINDOW) nobody marked wrong: what
    admins see first on the review list, with the servers' words and what to check."""
    query = verdicts(OFFICE, utcnow() - ALERT_WINDOW).where(EmailEvent.overturned_at.is_(None))
    return list(db.session.scalars(query.limit(limit)).unique())


def events_of(held: InboundMessage) -> list[EmailEvent]:
    """The events a processed report stored on its email."""
    if held.matched_message_id is None:
        return []
    events = db.session.scalars(select(EmailEvent).where(
        EmailEvent.message_id == held.matched_message_id)
        .options(joinedload(EmailEvent.message), joinedload(EmailEvent.overturned_by))
        .order_by(EmailEvent.occurred_at, EmailEvent.id)).unique()
    return [e for e in events if (e.details or {}).get("inbound_id") == held.id]
