"""What bounces and complaints change in the customer file."""
from __future__ import annotations

from sqlalchemy import select

from app import audit
from app.customers.consent import change_consent
from app.extensions import db
from app.models import Customer, CustomerEmail, EmailMessage
from app.models.base import utcnow


def _addresses(message: EmailMessage) -> list[CustomerEmail]:
    query = select(CustomerEmail).where(CustomerEmail.address == message.to_address)
    if message.customer_id:
        query = query.where(CustomerEmail.customer_id == message.customer_id)
    return list(db.session.scalars(query))


def after_rejection(message: EmailMessage, *, hard: bool, reason: str) -> None:
    """A hard bounce marks the address invalid, suppresses it and flags the customer."""
    if not hard:
        return
    for email in _addresses(message):
        if email.state == "invalid" and email.suppressed:
            continue
        email.state, email.state_reason = "invalid", reason[:500]
        email.suppressed, email.suppressed_reason = True, f"hard bounce: {reason}"[:500]
        email.suppressed_at = utcnow()
        customer = db.session.get(Customer, email.customer_id)
        customer.needs_review = True
        customer.needs_review_reason = f"{email.address} bounced: {reason}"[:500]
        audit.record("customer.email_bounced", actor="mail system",
                     subject_type="customer", subject_id=customer.id,
                     details={"address": email.address, "message": message.id},
                     summary=f"{email.address} marked invalid after a hard bounce")


def after_complaint(message: EmailMessage) -> None:
    """A spam complaint withdraws marketing consent and suppresses the address."""
    now = utcnow()
    for email in _addresses(message):
        if email.suppressed and email.suppressed_reason == "spam complaint":
            continue  # already done for an earlier complaint
        email.suppressed, email.suppressed_at = True, now
        email.suppressed_reason = "spam complaint"
        customer = db.session.get(Customer, email.customer_id)
        change_consent(customer, "marketing", False, source="withdrawn by spam complaint",
                       at=now)
        audit.record("customer.spam_complaint", actor="mail system",
                     subject_type="customer", subject_id=customer.id,
                     details={"address": email.address, "message": message.id},
                     summary=f"{email.address} complained of spam; address suppressed, "
                             "marketing consent withdrawn")
