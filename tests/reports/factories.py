"""Invoice emails and their events for report tests, built the way production builds them.

Events go through `app.mail.recorder.store_events`, so status and counters are derived by
the real pipeline (duplicates dropped by dedupe key, out-of-order events ordered by time).
"""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

from app.extensions import db
from app.mail.recorder import NewEvent, dedupe_key, store_events
from app.models import EmailMessage, Note, Payment

_seq = itertools.count(1)


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00").replace(tzinfo=timezone.utc)


def make_message(invoice, *, user=None, to: str | None = None, created: datetime,
                 subject: str | None = None, state: str = "sent",
                 sent_at: datetime | None = None) -> EmailMessage:
    n = next(_seq)
    message = EmailMessage(
        invoice_id=invoice.id, customer_id=invoice.customer_id,
        created_by_id=getattr(user, "id", None), batch=uuid.uuid4().hex,
        to_address=to or f"rcpt{n}@example.org",
        subject=subject or f"Invoice {invoice.number}", body_text="Dear client",
        message_id=f"<m{n}.{uuid.uuid4().hex}@clientele.test>", state=state,
        status="queued", created_at=created, status_at=created,
        sent_at=sent_at if sent_at is not None or state == "queued" else created)
    db.session.add(message)
    db.session.commit()
    return message


def add_events(message: EmailMessage, *events: tuple) -> None:
    """Each event: (type, occurred_at) or (type, occurred_at, {"automated": True, ...}).

    An event given twice (same type, time and key) is stored once, as in production.
    """
    rows = []
    for event in events:
        kind, when = event[0], event[1]
        extra = dict(event[2]) if len(event) > 2 else {}
        key = extra.pop("key", f"{kind}|{when.isoformat()}")
        rows.append(NewEvent(message_id=message.id, type=kind, occurred_at=when,
                             source=extra.pop("source", "test"),
                             dedupe_key=dedupe_key(message.id, key), **extra))
    store_events(rows)
    db.session.commit()


def pay(invoice, amount: str, on: date) -> Payment:
    payment = Payment(invoice_id=invoice.id, amount=Decimal(amount), paid_on=on)
    invoice.amount_paid = (invoice.amount_paid or Decimal("0")) + Decimal(amount)
    if invoice.amount_paid >= invoice.total:
        invoice.status = "paid"
    elif invoice.status == "finalized":
        invoice.status = "partially_paid"
    db.session.add(payment)
    db.session.commit()
    return payment


def note(customer, author, when: datetime, kind: str = "call") -> Note:
    entry = Note(customer_id=customer.id, author_id=author.id, kind=kind, body="Talked",
                 occurred_at=when)
    db.session.add(entry)
    db.session.commit()
    return entry
