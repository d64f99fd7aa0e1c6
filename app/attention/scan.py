"""The time-based items (delayed over a day, overdue and never opened, contacts needing
review) raised by a periodic job, and items whose condition cleared resolved."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select

from app import clock
from app.attention.items import raise_item, resolve
from app.attention.mail_problems import flagged_by_bounce
from app.extensions import db
from app.invoices.rules import OPEN_STATES, overdue_clause
from app.models import AttentionItem, Customer, EmailMessage, Invoice
from app.settings import formatting

DELAYED_FOR = timedelta(days=1)
TRACKED_KINDS = ("invoice", "reminder")  # system mail is no one's work


def _opened(invoice_id_column):
    return exists().where(EmailMessage.invoice_id == invoice_id_column,
                          or_(EmailMessage.status == "opened", EmailMessage.human_opens > 0))


def _emailed(invoice_id_column):
    return exists().where(EmailMessage.invoice_id == invoice_id_column,
                          EmailMessage.kind.in_(TRACKED_KINDS),
                          EmailMessage.sent_at.isnot(None))


def scan(now: datetime | None = None) -> dict[str, int]:
    """Raise what is due and resolve what cleared; safe to run twice. The caller commits."""
    now = now or clock.now()
    today = clock.today()
    raised = resolved = 0

    delayed = db.session.scalars(select(EmailMessage).where(
        EmailMessage.status == "delayed", EmailMessage.kind.in_(TRACKED_KINDS),
        EmailMessage.created_at <= now - DELAYED_FOR)).all()
    for message in delayed:
        raised += raise_item("email_delayed", f"email_delayed:{message.id}", message=message,
                             detail=f"Email to {message.to_address} still delayed")[1]

    unopened = db.session.scalars(select(Invoice).where(
        overdue_clause(today), _emailed(Invoice.id), ~_opened(Invoice.id))).all()
    for invoice in unopened:
        raised += raise_item("invoice_unopened", f"invoice_unopened:{invoice.id}",
                             invoice=invoice,
                             detail=f"Invoice {invoice.number} was due on "
                                    f"{formatting.day(invoice.due_date)}; "
                                    "its email was never opened")[1]

    review = db.session.scalars(select(Customer).where(Customer.needs_review.is_(True))).all()
    for customer in _not_bounced(review):
        raised += raise_item("contact_review", f"contact_review:{customer.id}",
                             customer=customer, detail=customer.needs_review_reason)[1]

    for key in _cleared(today):
        resolved += resolve(key)
    return {"raised": raised, "resolved": resolved}


def _not_bounced(customers: list[Customer]) -> list[Customer]:
    """Those flagged for review for another reason than an address rejection that still
    has its own open item: one bounce is one item (shared with the Sent Status screens and
    the suggested follow-up), not a second "contact details" one."""
    if not customers:
        return []
    rejected = db.session.execute(
        select(AttentionItem.customer_id, EmailMessage.to_address)
        .join(EmailMessage, EmailMessage.id == AttentionItem.message_id)
        .where(AttentionItem.kind == "email_rejected", AttentionItem.resolved_at.is_(None),
               AttentionItem.customer_id.in_([c.id for c in customers]))).all()
    return [c for c in customers
            if not any(cid == c.id and flagged_by_bounce(c.needs_review_reason, address)
                       for cid, address in rejected)]


def _cleared(today) -> list[str]:
    """Keys of unresolved items whose condition no longer holds."""
    unresolved = AttentionItem.resolved_at.is_(None)
    item = AttentionItem
    queries = [
        select(item.dedupe_key).join(EmailMessage, EmailMessage.id == item.message_id)
        .where(unresolved, item.kind == "email_delayed", EmailMessage.status != "delayed"),
        select(item.dedupe_key).join(Invoice, Invoice.id == item.invoice_id)
        .where(unresolved, item.kind == "invoice_unopened",
               or_(~overdue_clause(today), _opened(Invoice.id))),
        select(item.dedupe_key).join(Customer, Customer.id == item.customer_id)
        .where(unresolved, item.kind == "contact_review", Customer.needs_review.is_(False)),
        # A rejected or spam-marked invoice email needs no more work once the invoice is
        # settled or void.
        select(item.dedupe_key).join(Invoice, Invoice.id == item.invoice_id)
        .where(unresolved, item.kind.in_(("email_rejected", "email_spam")),
               Invoice.status.notin_(OPEN_STATES)),
    ]
    return [key for query in queries for key in db.session.scalars(query)]
