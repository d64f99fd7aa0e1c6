"""What the office sees of an invoice's emails: latest status and history."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.events.status import STATUS_CSS, STATUS_LABELS, Status, summarise
from app.extensions import db
from app.models import EmailEvent, EmailMessage


@dataclass(frozen=True)
class StatusView:
    key: str
    label: str  # "Opened"; for a send of several recipients "Rejected · 1 of 3"
    css: str
    detail: str = ""  # of a send: every recipient's status counted ("1 rejected, 2 opened")


def status_view(value: str) -> StatusView:
    status = Status(value)
    return StatusView(status.value, STATUS_LABELS[status], STATUS_CSS[status])


def send_status(statuses: list[str]) -> StatusView | None:
    """One line for a send of several recipients, by the status table's summary rule."""
    summary = summarise(statuses)
    if summary is None:
        return None
    return StatusView(summary.status.value, summary.label, STATUS_CSS[summary.status],
                      summary.detail if summary.total > 1 else "")


# A send's recipients in the order the email names them.
_ROLE_ORDER = {"to": 0, "cc": 1, "bcc": 2}


def messages_for_invoice(invoice_id: int) -> list[EmailMessage]:
    """An invoice's emails, newest send first, each send's recipients together as To, Cc,
    Bcc, with what their history shows (no N+1)."""
    newest_first = list(db.session.scalars(
        select(EmailMessage).where(EmailMessage.invoice_id == invoice_id)
        .options(selectinload(EmailMessage.events).selectinload(EmailEvent.overturned_by),
                 joinedload(EmailMessage.created_by))
        .order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc())))
    sends: dict[str, list[EmailMessage]] = {}
    for message in newest_first:
        sends.setdefault(message.batch, []).append(message)
    return [message for send in sends.values()
            for message in sorted(send, key=lambda m: (_ROLE_ORDER.get(m.recipient_role, 3),
                                                       m.id))]


def latest_status(messages: list[EmailMessage]) -> StatusView | None:
    """The status of the most recent send (the newest batch), its recipients summarised."""
    if not messages:
        return None
    newest_batch = messages[0].batch
    return send_status([m.status for m in messages if m.batch == newest_batch])


def send_statuses(messages: list[EmailMessage]) -> dict[str, StatusView]:
    """Each send's (batch's) summary, for the history's send headings."""
    batches: dict[str, list[str]] = {}
    for message in messages:
        batches.setdefault(message.batch, []).append(message.status)
    return {batch: send_status(statuses) for batch, statuses in batches.items()}


def latest_statuses(invoice_ids: list[int]) -> dict[int, StatusView]:
    """Latest status per invoice for a page of the invoices list, in one query."""
    if not invoice_ids:
        return {}
    rows = db.session.execute(
        select(EmailMessage.invoice_id, EmailMessage.batch, EmailMessage.status,
               EmailMessage.created_at, EmailMessage.id)
        .where(EmailMessage.invoice_id.in_(invoice_ids))
        .order_by(EmailMessage.invoice_id, EmailMessage.created_at.desc(),
                  EmailMessage.id.desc())).all()
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.invoice_id, []).append(row)
    return {invoice_id: latest_status(batch) for invoice_id, batch in grouped.items()}
