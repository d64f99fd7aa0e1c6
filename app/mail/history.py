"""What the office sees of an invoice's emails: latest status and history."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.events.status import STATUS_CSS, STATUS_LABELS, Status
from app.extensions import db
from app.models import EmailEvent, EmailMessage


@dataclass(frozen=True)
class StatusView:
    key: str
    label: str
    css: str


def status_view(value: str) -> StatusView:
    status = Status(value)
    return StatusView(status.value, STATUS_LABELS[status], STATUS_CSS[status])


def messages_for_invoice(invoice_id: int) -> list[EmailMessage]:
    """An invoice's emails, newest first, with what their history shows (no N+1)."""
    return list(db.session.scalars(
        select(EmailMessage).where(EmailMessage.invoice_id == invoice_id)
        .options(selectinload(EmailMessage.events).selectinload(EmailEvent.overturned_by),
                 joinedload(EmailMessage.created_by))
        .order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc())))


def latest_status(messages: list[EmailMessage]) -> StatusView | None:
    """The status of the most recent send (the first message of the newest batch)."""
    if not messages:
        return None
    newest_batch = messages[0].batch
    batch = [m for m in messages if m.batch == newest_batch]
    # Within one send, the most alarming recipient outcome colours the icon.
    order = ["spam", "rejected", "delayed", "queued", "sent", "opened"]
    worst = min(batch, key=lambda m: order.index(m.status) if m.status in order else 99)
    return status_view(worst.status)


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
