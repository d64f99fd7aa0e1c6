"""Demo invoice emails with realistic outcomes, derived through the real event pipeline."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from app.events.automation import APPLE_MPP
from app.extensions import db
from app.mail import outbox
from app.mail.consequences import after_complaint, after_rejection
from app.mail.recorder import NewEvent, dedupe_key, store_events
from app.models import Invoice

_OUTCOMES = (  # (weight, events after "sent")
    (40, ["opened"]),
    (15, ["opened", "clicked"]),
    (15, []),
    (8, ["auto-open"]),
    (6, ["viewed"]),
    (5, ["rejected"]),
    (4, ["delayed"]),
    (3, ["delayed", "sent"]),
    (2, ["spam"]),
)
_AGENTS = {"opened": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Outlook/16.0",
           "auto-open": "Mozilla/5.0"}


_GONE = "550 5.1.1 The email account does not exist"


def seed_demo_emails(rng: random.Random | None = None) -> int:
    """Email most finalized invoices once, with outcomes spread like a real office's."""
    rng = rng or random.Random(7)
    invoices = db.session.scalars(select(Invoice).where(
        Invoice.status.in_(("finalized", "partially_paid", "paid"))).order_by(Invoice.id)).all()
    made = 0
    weights = [w for w, _ in _OUTCOMES]
    for invoice in invoices:
        email = invoice.customer.primary_email
        if email is None or rng.random() < 0.2:
            continue
        (message,) = outbox.add_messages(
            recipients=[outbox.Recipient(email.address, invoice.customer.display_name)],
            subject=f"Invoice {invoice.number}", body="Please find your invoice attached.",
            invoice=invoice, batch=f"demo-{invoice.id}")
        sent_at = datetime.combine(invoice.issue_date, time(9, 30), timezone.utc) \
            + timedelta(minutes=rng.randint(0, 300))
        message.created_at = sent_at - timedelta(seconds=5)
        message.state, message.sent_at, message.attempts = "sent", sent_at, 1
        message.smtp_code, message.smtp_response = 250, "2.0.0 Ok: queued"
        db.session.flush()
        _, steps = rng.choices(_OUTCOMES, weights=weights)[0]
        events = [_event(message, "sent", sent_at, "smtp")]
        at = sent_at
        for step in steps:
            at += timedelta(minutes=rng.randint(3, 2000))
            if step == "auto-open":
                events.append(_event(message, "opened", sent_at + timedelta(seconds=4), "pixel",
                                     automated=True))
            elif step == "rejected":
                message.state = "rejected"
                events.append(_event(message, "rejected", at, "dsn", code="5.1.1",
                                     diagnostic=_GONE))
            elif step == "delayed":
                events.append(_event(message, "delayed", at, "dsn", code="4.2.2",
                                     diagnostic="452 4.2.2 Mailbox full, will retry"))
            else:
                events.append(_event(message, step, at,
                                     {"spam": "arf", "viewed": "client-view",
                                      "clicked": "click", "sent": "dsn"}.get(step, "pixel")))
        store_events(events, known={message.id: message})
        # What the real pipeline does with a bounce or a complaint: the file, the home page.
        if "rejected" in steps:
            after_rejection(message, reason="userunknown", words=_GONE)
        if "spam" in steps:
            after_complaint(message)
        made += 1
    db.session.flush()
    return made


def _event(message, kind: str, at: datetime, source: str, *, automated: bool = False,
           code: str = "", diagnostic: str = "") -> NewEvent:
    return NewEvent(message_id=message.id, type=kind, occurred_at=at, source=source,
                    dedupe_key=dedupe_key("demo", message.id, kind, at.isoformat()),
                    automated=automated, delivered=kind == "sent" and source == "dsn",
                    code=code, diagnostic=diagnostic,
                    user_agent=_AGENTS["auto-open" if automated else "opened"]
                    if kind == "opened" else "",
                    # What the tracking rules decide for that user agent.
                    details={"automation_rule": APPLE_MPP} if automated else {})
