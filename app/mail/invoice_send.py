"""Emailing an invoice: lock it, refuse a repeat, finalize a draft, write the outbox.

A draft takes its number as it is sent: "{invoice_number}" in the subject and message
(the send dialog writes it for a draft) becomes that number.

Two send dialogs for one invoice submitted at the same moment are serialised by a lock
on the invoice row, taken before anything the decision depends on is read: the second
sees the first's messages and is refused unless the person confirms.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app import audit, settings
from app.extensions import db
from app.invoices.rules import InvoiceError, finalize, lock_invoice
from app.mail import outbox
from app.models import EmailMessage, Invoice
from app.models.base import utcnow

REPEAT_WINDOW = timedelta(minutes=10)
# Where a draft's subject and message name the number it gets when it is sent.
NUMBER_PLACEHOLDER = "{invoice_number}"


@dataclass(frozen=True)
class Repeat:
    """A refused send: these recipients got this invoice at `at`, within the window."""

    addresses: tuple[str, ...]
    at: datetime


def send_invoice(invoice: Invoice, *, recipients: list[outbox.Recipient], subject: str,
                 body: str, batch: str, user=None, ip: str | None = None,
                 attach_pdf: bool = True, include_link: bool = True,
                 overrides: frozenset[str] = frozenset(),
                 send_again: bool = False) -> list[EmailMessage] | Repeat:
    """Queue one message per recipient (finalizing a draft) and commit, then enqueue.

    Returns the new messages; none when this `batch` (one dialog) was already written;
    a `Repeat` when a recipient got the invoice less than ten minutes ago and
    `send_again` is not set. Raises InvoiceError (nothing stored) when the invoice can't
    be sent.
    """
    try:
        lock_invoice(db.session, invoice)
        if invoice.status == "void":
            raise InvoiceError("A void invoice can't be emailed.")
        if db.session.scalar(select(EmailMessage.id).where(EmailMessage.batch == batch)
                             .limit(1)) is not None:
            db.session.rollback()  # the same dialog submitted twice
            return []
        repeat = None if send_again else _recent_send(invoice, recipients)
        if repeat is not None:
            db.session.rollback()
            return repeat
        if invoice.status == "draft":
            finalize(invoice)
        subject = subject.replace(NUMBER_PLACEHOLDER, invoice.number)
        body = body.replace(NUMBER_PLACEHOLDER, invoice.number)
        messages = outbox.add_messages(
            recipients=recipients, subject=subject, body=body, invoice=invoice, user=user,
            attach_pdf=attach_pdf, include_link=include_link, batch=batch,
            overrides=overrides)
        copies = _office_copy(invoice, recipients, subject, body, batch)
        audit.record("invoice.emailed", user=user, ip=ip, subject_type="invoice",
                     subject_id=invoice.id,
                     details={"recipients": [r.address for r in recipients]})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    outbox.enqueue([m.id for m in messages + copies])
    return messages


def office_copy_address() -> str:
    """Where the office's own copies go (`sending.bcc_self`): its Reply-To, else the sender."""
    return settings.get("sending.reply_to") or settings.get("sending.sender_address")


def _office_copy(invoice: Invoice, recipients: list[outbox.Recipient], subject: str,
                 body: str, batch: str) -> list[EmailMessage]:
    """The office's copy as system mail: untracked, so it never counts as an open or a
    delivery to the customer, and no Sent Status shows it."""
    if not settings.get("sending.bcc_self") or not office_copy_address():
        return []
    sent_to = ", ".join(r.address for r in recipients)
    return outbox.add_system_messages(
        recipients=[outbox.Recipient(office_copy_address(), settings.get("office.name"))],
        subject=f"Copy: {subject}", batch=f"{batch}-copy",
        body=f"Your copy of invoice {invoice.number} as emailed to {sent_to}:\n\n{body}")


def _recent_send(invoice: Invoice, recipients: list[outbox.Recipient]) -> Repeat | None:
    addresses = {outbox.stored_address(r.address) for r in recipients}
    earlier = db.session.execute(
        select(EmailMessage.to_address, EmailMessage.created_at).where(
            EmailMessage.invoice_id == invoice.id, EmailMessage.kind == "invoice",
            EmailMessage.to_address.in_(addresses),
            EmailMessage.created_at >= utcnow() - REPEAT_WINDOW)).all()
    if not earlier:
        return None
    return Repeat(addresses=tuple(sorted({address for address, _ in earlier})),
                  at=max(at for _, at in earlier))
