"""Factories for every model the tests build: each makes one record, commits it, returns it.

Keyword arguments only, and the defaults make an ordinary record, so a test names just what
it is about:

- `make_customer()`: a person with one email address; `kind="company"`, `emails=()`,
  `phones`, `tags`, `id_number`, `owner` for the rest.
- `make_invoice(customer)`: a finalized invoice of 100.00. Two ways to make it, one choice:
  by default the row is written in the state asked for, as a report or list test wants its
  hand-worked figures; `via_rules=True` creates, finalizes, voids and pays it through
  `app.invoices.rules`, as the app does, for tests of those rules and the pages using them.
- `make_payment(invoice)`, `make_note(customer)`.
- `make_message(invoice)` and `add_events(message, ...)`: an invoice email and its events,
  stored by the real event pipeline; `at(day, time)` for their UTC timestamps.

Plain functions: call them inside a test that has the `app` or `db` fixture.
"""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Sequence

from app import clock
from app.customers.contacts import normalise_phone
from app.extensions import db
from app.invoices import numbering, rules
from app.invoices.money import LineInput, compute_totals
from app.mail.recorder import NewEvent, dedupe_key, store_events
from app.models import (
    Customer, CustomerEmail, CustomerIdentifier, CustomerPhone, EmailMessage, Invoice,
    InvoiceLine, Note, Payment, ReminderStage, Tag,
)
from app.reminders.stages import new_stage
from app.models.invoices import INVOICE_STATES

_seq = itertools.count(1)

_DUE_IN = timedelta(days=14)
# What a partially paid invoice has received unless the test says otherwise.
_PART_PAYMENT = Decimal("10.00")
# Two days of consulting at 100.00 with 20 % tax: subtotal 200.00, tax 40.00, total 240.00.
CONSULTING_240 = (LineInput("Consulting", Decimal("2"), Decimal("100.00"), Decimal("20")),)


# -- customers ---------------------------------------------------------------------------

def make_customer(*, kind: str = "person", first_name: str | None = None,
                  last_name: str | None = None, company: str | None = None,
                  emails: Sequence[str] | None = None, phones: Sequence[str] = (),
                  tags: Sequence[str] = (), id_number: str | None = None, owner=None,
                  commit: bool = True, **fields) -> Customer:
    """A person "Alex Client<n>", or with kind="company" the company "Company <n>".

    `emails`: the first is primary; left out, one address `client<n>@example.org`;
    `emails=()` for none. `phones` are read as British numbers, `id_number` is a tax ID,
    `owner` a user (or its id). Other columns (`status`, `needs_review`, ...) as `fields`.
    """
    n = next(_seq)
    person = kind == "person"
    customer = Customer(
        kind=kind,
        first_name=first_name if first_name is not None else ("Alex" if person else ""),
        last_name=last_name if last_name is not None else (f"Client{n}" if person else ""),
        company=company if company is not None else ("" if person else f"Company {n}"),
        owner_id=getattr(owner, "id", owner), **fields)
    addresses = emails if emails is not None else (f"client{n}@example.org",)
    for i, address in enumerate(addresses):
        customer.emails.append(CustomerEmail(address=address, is_primary=i == 0, state="ok"))
    for number in phones:
        e164, display = normalise_phone(number, "GB")
        customer.phones.append(CustomerPhone(e164=e164, display=display))
    for name in tags:
        customer.tags.append(db.session.scalar(db.select(Tag).filter_by(name=name))
                             or Tag(name=name))
    if id_number:
        customer.identifiers.append(
            CustomerIdentifier(kind="tax_id", value=id_number, last4=id_number[-4:]))
    db.session.add(customer)
    if commit:
        db.session.commit()
    return customer


# -- invoices and payments ---------------------------------------------------------------

def make_invoice(customer: Customer | None = None, *, status: str = "finalized",
                 total: str | None = None, lines: Sequence[LineInput] | None = None,
                 paid: str | None = None, issue_date: date | None = None,
                 due_date: date | None = None, currency: str = "EUR", notes: str = "",
                 number: str | None = None, via_rules: bool = False) -> Invoice:
    """An invoice of `customer` (a new one when None) in `status`.

    Lines: one "Consulting" line of `total` (100.00) without tax, or `lines`.
    Paid: the total when "paid", 10.00 when "partially_paid", else nothing; one payment
    on the issue date. Dates: issued today by the app's clock (or 14 days before a given
    `due_date`), due 14 days after the issue. A draft has no number; any other takes
    the series' next, as finalizing would, and a raw row may print another `number`.

    `via_rules=False` writes the row as asked, whatever the rules would say;
    `via_rules=True` makes it through `app.invoices.rules` and so obeys them.
    """
    if status not in INVOICE_STATES:
        raise ValueError(f"no invoice status {status!r}")
    if total is not None and lines is not None:
        raise TypeError("give the invoice a `total` or its `lines`, not both")
    customer = customer or make_customer()
    lines = list(lines) if lines is not None else [
        LineInput("Consulting", Decimal("1"), Decimal(total or "100.00"))]
    if issue_date is None:
        issue_date = clock.today() if due_date is None else due_date - _DUE_IN
    due_date = due_date or issue_date + _DUE_IN
    if via_rules:
        if number is not None:
            raise TypeError("the rules number an invoice; `number` is for raw rows")
        invoice = _invoice_via_rules(customer, status, lines, paid, issue_date, due_date,
                                     currency, notes)
    else:
        invoice = _invoice_row(customer, status, lines, paid, issue_date, due_date,
                               currency, notes, number)
    db.session.commit()
    return invoice


def _amount_paid(status: str, total: Decimal, paid: str | None) -> Decimal:
    if paid is not None:
        return Decimal(paid)
    return {"paid": total, "partially_paid": _PART_PAYMENT}.get(status, Decimal("0"))


def _invoice_row(customer, status, lines, paid, issue_date, due_date, currency, notes,
                 number) -> Invoice:
    totals = compute_totals(lines)
    amount_paid = _amount_paid(status, totals.total, paid)
    numbered = {}
    if status != "draft":
        taken = numbering.take_number(db.session, issue_date)
        text = number or taken.text
        numbered = dict(issued_number=text, number_year=taken.year, number_seq=taken.seq,
                        number_key=numbering.number_key(text))
    invoice = Invoice(
        customer_id=customer.id, **numbered,
        issue_date=issue_date, due_date=due_date, currency=currency, notes=notes,
        status=status, subtotal=totals.subtotal, tax_total=totals.tax_total,
        total=totals.total, amount_paid=amount_paid,
        lines=[InvoiceLine(position=i, description=line.description,
                           quantity=Decimal(line.quantity), unit_price=Decimal(line.unit_price),
                           tax_rate=Decimal(line.tax_rate)) for i, line in enumerate(lines)])
    if amount_paid:
        invoice.payments.append(Payment(amount=amount_paid, paid_on=issue_date))
    db.session.add(invoice)
    return invoice


def _invoice_via_rules(customer, status, lines, paid, issue_date, due_date, currency,
                       notes) -> Invoice:
    invoice = rules.create_invoice(db.session, customer, issue_date=issue_date,
                                   due_date=due_date, currency=currency, notes=notes,
                                   lines=lines)
    if status != "draft":
        rules.finalize(invoice)
    if status == "void":
        rules.void(invoice)
    if status in ("partially_paid", "paid"):
        rules.record_payment(invoice, amount=_amount_paid(status, invoice.total, paid),
                             paid_on=issue_date)
    return invoice


def make_payment(invoice: Invoice, *, amount: str | None = None,
                 paid_on: date | None = None) -> Payment:
    """A payment row (the balance, today unless told), moving the invoice on as the rules
    would: finalized to partially paid, to paid once it is all paid; their checks are
    skipped."""
    received = Decimal(amount) if amount is not None else invoice.balance
    payment = Payment(invoice_id=invoice.id, amount=received, paid_on=paid_on or clock.today())
    invoice.amount_paid = (invoice.amount_paid or Decimal("0")) + received
    if invoice.amount_paid >= invoice.total:
        invoice.status = "paid"
    elif invoice.status == "finalized":
        invoice.status = "partially_paid"
    db.session.add(payment)
    db.session.commit()
    return payment


# -- notes -------------------------------------------------------------------------------

def make_note(customer: Customer, *, body: str = "Called about the renewal",
              kind: str = "call", author=None, occurred_at: datetime | None = None) -> Note:
    note = Note(customer_id=customer.id, author_id=getattr(author, "id", None), kind=kind,
                body=body, occurred_at=occurred_at or clock.now())
    db.session.add(note)
    db.session.commit()
    return note


# -- invoice emails and their events -----------------------------------------------------
# Events go through `app.mail.recorder.store_events`, so status and counters are derived by
# the real pipeline (duplicates dropped by dedupe key, out-of-order events ordered by time).

def at(day: str, time: str = "10:00") -> datetime:
    """`at("2026-12-01", "09:30")`: that moment in UTC."""
    return datetime.fromisoformat(f"{day}T{time}:00").replace(tzinfo=timezone.utc)


def make_message(invoice: Invoice, *, user=None, to: str | None = None,
                 created: datetime | None = None, subject: str | None = None,
                 state: str = "sent", sent_at: datetime | None = None) -> EmailMessage:
    """An invoice email, sent when it was created unless its `state` is "queued"."""
    n = next(_seq)
    created = created or clock.now()
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


def make_stage(offset_days: int, *, enabled: bool = True, subject: str | None = None,
               body: str | None = None) -> ReminderStage:
    """A reminder stage `offset_days` from the due date (negative: before), with the
    default words of a new stage unless `subject` / `body` say otherwise."""
    stage = new_stage(offset_days)
    stage.enabled = enabled
    stage.subject = subject if subject is not None else stage.subject
    stage.body = body if body is not None else stage.body
    db.session.add(stage)
    db.session.commit()
    return stage
