"""Overdue reminders: emailed and tracked like invoice emails, once per step."""
from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import clock, settings
from app.extensions import db
from app.invoices.rules import OPEN_STATES
from app.mail import outbox
from app.events import reasons
from app.mail.failures import failure_class
from app.models import SYSTEM_KIND, Customer, EmailMessage, Invoice

log = logging.getLogger(__name__)


def reminder_days() -> list[int]:
    """Days after the due date on which to remind (setting `reminders.days`)."""
    return settings.get("reminders.days")


def reminder_text(invoice: Invoice, days_late: int) -> tuple[str, str]:
    office = settings.get("office.name")
    subject = f"Reminder: invoice {invoice.number} is {days_late} days overdue"
    body = (f"Dear {invoice.customer.display_name},\n\n"
            f"our records show that invoice {invoice.number} for "
            f"{invoice.currency} {invoice.balance:,.2f} was due on "
            f"{invoice.due_date.isoformat()} and is still open. If you have already paid, "
            f"thank you, and please ignore this reminder.\n\nKind regards,\n{office}")
    return subject, body


def send_due_reminders(today: date | None = None) -> int:
    """Queue the reminders due today; each (invoice, step) is sent at most once."""
    today = today or clock.today()
    steps = reminder_days()
    if not steps:
        return 0
    queued: list[int] = []
    for days_late in steps:
        due = today - timedelta(days=days_late)
        invoices = db.session.scalars(select(Invoice).join(Customer).where(
            Invoice.status.in_(OPEN_STATES), Customer.reminders_off.is_(False),
            Invoice.due_date <= due, Invoice.due_date > due - timedelta(days=7))).all()
        for invoice in invoices:
            queued += _remind(invoice, days_late)
    outbox.enqueue(queued)
    return len(queued)


def address_refused(address: str) -> bool:
    """True when the last email to `address` was rejected because the address is wrong or
    gone (class `address`) or was marked as spam: no reminder goes there, whatever the
    address's suppression says (a person may have lifted it without fixing anything)."""
    last = db.session.scalar(
        select(EmailMessage).where(EmailMessage.to_address == outbox.stored_address(address),
                                   EmailMessage.kind != SYSTEM_KIND,
                                   EmailMessage.state != "queued")
        .order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc()).limit(1))
    if last is None:
        return False
    if last.status == "spam" or any(e.type == "spam" for e in last.events):
        return True
    return failure_class(last) == reasons.ADDRESS


def _remind(invoice: Invoice, days_late: int) -> list[int]:
    email = invoice.customer.primary_email
    if invoice.customer.reminders_off:  # the file's switch, read again at sending time
        return []
    if email is None or email.suppressed or address_refused(email.address):
        return []
    batch = f"reminder-{invoice.id}-{days_late}"
    if db.session.scalar(select(EmailMessage.id).where(EmailMessage.batch == batch)):
        return []
    subject, body = reminder_text(invoice, days_late)
    messages = outbox.add_messages(
        recipients=[outbox.Recipient(email.address, invoice.customer.display_name)],
        subject=subject, body=body, invoice=invoice, kind="reminder", batch=batch)
    try:
        db.session.commit()
    except IntegrityError:  # another worker queued this reminder a moment ago
        db.session.rollback()
        return []
    return [m.id for m in messages]
