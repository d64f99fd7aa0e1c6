"""Reports matched to an email by the recipient's address only, held for a person.

Anyone can send a bounce or complaint naming a customer's address; only our VERP token
or Message-ID proves one is about an email we sent. Without it, the report waits on
Admin → Bounce review until someone who knows the customer confirms it.
"""
from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from app.mail import inbound
from app.mail import provider_reports
from app.models import InboundMessage
from app.models.base import utcnow

HELD = "unconfirmed"


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
