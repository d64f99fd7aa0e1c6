"""Invoice rules: states and payments (the arithmetic is in `money`, numbers in
`numbering`, the issued invoice's parties in `snapshot`).

Plain functions over the models and a SQLAlchemy session; no Flask request globals, so
the web layer, the mail worker, the demo seeder and tests all call the same code.

States: draft → finalized → partially_paid → paid; draft or finalized → void.
Only drafts change their lines, dates and customer; after finalizing an invoice only
takes payments (or a void while nothing is paid). "Overdue" is not stored: it is a
finalized or partially paid invoice whose due date has passed.

Payments: the amount must be positive and, unless the caller explicitly allows an
overpayment, not more than the balance. An allowed overpayment leaves a negative
balance (a credit) and marks the invoice paid.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import and_, select, text
from sqlalchemy.orm import object_session

from app.invoices.money import (
    MONEY_LIMIT, ZERO, LineInput, MoneyError, Totals, cents, compute_totals, line_amounts,
    to_decimal,
)
from app.invoices.numbering import NumberingError, assign_number
from app.invoices.snapshot import take_snapshot
from app.invoices.terms import terms_for
from app.models import Customer, Invoice, InvoiceLine, Payment
from app.models.base import utcnow

OPEN_STATES = ("finalized", "partially_paid")  # money still expected
VOIDABLE_STATES = ("draft", "finalized")
BILLED_STATES = ("finalized", "partially_paid", "paid")  # sent as a bill: has a balance
# Statuses the customer's copy (PDF, invoice link) labels; an open invoice that is not
# overdue needs no label.
LABELLED_FOR_CUSTOMER = ("draft", "paid", "void", "overdue")
STATUS_LABELS = {
    "draft": "Draft", "finalized": "Finalized", "partially_paid": "Partially paid",
    "paid": "Paid", "void": "Void", "overdue": "Overdue", "open": "Open (unpaid)",
}


class InvoiceError(MoneyError):
    """A rule was broken; the message is meant for the person who tried."""


def apply_totals(invoice: Invoice) -> Totals:
    """Store the totals of the invoice's current lines on the invoice."""
    totals = compute_totals(invoice.lines)
    invoice.subtotal, invoice.tax_total, invoice.total = (
        totals.subtotal, totals.tax_total, totals.total)
    return totals


# -- locking ----------------------------------------------------------------------------

def _lock_row(session, model, row_id: int, column: str) -> None:
    """Serialise writers of one row until the caller's transaction ends.

    PostgreSQL: a row lock (FOR NO KEY UPDATE still lets other rows reference the row).
    SQLite has no row locks: a write that changes nothing takes its single writer lock,
    and makes the driver open the transaction now (it begins one only before a write, so
    a SAVEPOINT would otherwise run outside it and its RELEASE commit on its own). The
    write sets `column`, not the key: that would make SQLite check every table
    referencing this one.
    """
    if session.get_bind().dialect.name == "sqlite":
        table = model.__tablename__
        session.execute(text(f"UPDATE {table} SET {column} = {column} WHERE id = :id"),
                        {"id": row_id})
        return
    session.execute(select(model.id).where(model.id == row_id).with_for_update(key_share=True))


def lock_invoice(session, invoice: Invoice) -> None:
    """Hold the invoice against other senders and editors until the caller commits.

    Take it before reading anything the decision depends on: the invoice is read again
    here, since whoever held the lock before may have changed it.
    """
    _lock_row(session, Invoice, invoice.id, "status")
    session.refresh(invoice)


def create_invoice(session, customer: Customer, *, issue_date: date,
                   due_date: date | None = None, currency: str | None = None, notes: str = "",
                   lines: Iterable[LineInput] = (), created_by=None) -> Invoice:
    """A new draft (no number until it is finalized), flushed; the caller commits.

    Currency and due date left out come from the customer's terms, else the office's.
    """
    terms = terms_for(customer)
    currency = currency or terms.currency
    due_date = due_date or terms.due_date(issue_date)
    if due_date < issue_date:
        raise InvoiceError("The due date can't be before the issue date.")
    invoice = Invoice(customer=customer, issue_date=issue_date, due_date=due_date,
                      currency=currency, notes=notes, status="draft",
                      amount_paid=ZERO, created_by=created_by)
    set_lines(invoice, lines)
    session.add(invoice)
    session.flush()
    return invoice


# -- lines and drafts --------------------------------------------------------------------

def ensure_draft(invoice: Invoice) -> None:
    if invoice.status != "draft":
        raise InvoiceError(f"Invoice {invoice.number} is {STATUS_LABELS[invoice.status].lower()}"
                           "; only drafts can be changed.")


def set_lines(invoice: Invoice, lines: Iterable[LineInput]) -> Totals:
    """Replace a draft's lines and recompute its totals."""
    ensure_draft(invoice)
    invoice.lines = [
        InvoiceLine(position=i, description=line.description.strip(),
                    quantity=Decimal(line.quantity), unit_price=cents(line.unit_price),
                    tax_rate=Decimal(line.tax_rate))
        for i, line in enumerate(lines)
    ]
    totals = apply_totals(invoice)
    largest = max([abs(totals.subtotal), abs(totals.total)] +
                  [abs(line_amounts(line).gross) for line in invoice.lines])
    if largest >= MONEY_LIMIT:
        raise InvoiceError("These amounts are too large for one invoice.")
    return totals


def update_draft(invoice: Invoice, *, issue_date: date, due_date: date, currency: str,
                 notes: str, lines: Iterable[LineInput]) -> Totals:
    """Change a draft's dates, currency, notes and lines (the customer: `move_draft`)."""
    ensure_draft(invoice)
    if due_date < issue_date:
        raise InvoiceError("The due date can't be before the issue date.")
    invoice.issue_date, invoice.due_date = issue_date, due_date
    invoice.currency, invoice.notes = currency, notes
    return set_lines(invoice, lines)


def move_draft(invoice: Invoice, customer: Customer) -> None:
    """Give a draft to another customer."""
    ensure_draft(invoice)
    invoice.customer = customer


# -- states ------------------------------------------------------------------------------

def finalize(invoice: Invoice, now: datetime | None = None) -> None:
    """Issue a draft: the next number of the series and a snapshot of seller and buyer.

    Both are written in the caller's transaction, which holds the invoice and the number
    counter until it ends: a rollback gives the number back, and a second finalize of
    the same draft waits, then finds it final and is refused.
    """
    session = object_session(invoice)
    session.flush()  # keep the caller's pending changes: locking reads the row again
    lock_invoice(session, invoice)
    ensure_draft(invoice)
    if not invoice.lines:
        raise InvoiceError("Add at least one line before finalizing.")
    apply_totals(invoice)
    if invoice.total <= 0:
        raise InvoiceError("The total must be more than zero to finalize.")
    try:
        assign_number(session, invoice)
    except NumberingError as exc:
        raise InvoiceError(str(exc)) from None
    take_snapshot(session, invoice)
    invoice.status = "finalized"
    invoice.finalized_at = now or utcnow()


def void(invoice: Invoice, now: datetime | None = None) -> None:
    if invoice.status not in VOIDABLE_STATES:
        raise InvoiceError(f"A {STATUS_LABELS[invoice.status].lower()} invoice can't be voided.")
    invoice.status = "void"
    invoice.voided_at = now or utcnow()


def record_payment(invoice: Invoice, *, amount, paid_on: date, method: str = "bank_transfer",
                   reference: str = "", allow_overpayment: bool = False,
                   created_by=None) -> Payment:
    """Add a payment, update amount paid and the state; the caller commits."""
    if invoice.status not in OPEN_STATES:
        raise InvoiceError(f"A {STATUS_LABELS[invoice.status].lower()} invoice takes no "
                           "payments.")
    try:
        amount = to_decimal(amount)
    except MoneyError as exc:
        raise InvoiceError(str(exc)) from None  # one error type from the invoice rules
    if amount != cents(amount):
        raise InvoiceError("Use at most two decimals.")
    if amount <= 0:
        raise InvoiceError("The amount must be more than zero.")
    if amount > invoice.balance and not allow_overpayment:
        raise InvoiceError(f"That is more than the balance of {invoice.balance}; tick "
                           "\"allow overpayment\" to record it anyway.")
    payment = Payment(paid_on=paid_on, amount=cents(amount), method=method,
                      reference=reference.strip(), created_by_id=getattr(created_by, "id", None))
    invoice.payments.append(payment)
    refresh_paid(invoice)
    return payment


def refresh_paid(invoice: Invoice) -> None:
    """Recompute amount paid and paid / partially paid from the payments."""
    invoice.amount_paid = sum((cents(p.amount) for p in invoice.payments), ZERO)
    if invoice.status not in BILLED_STATES:
        return
    if invoice.amount_paid >= invoice.total:
        invoice.status = "paid"
    elif invoice.amount_paid > 0:
        invoice.status = "partially_paid"
    else:
        invoice.status = "finalized"


# -- overdue -----------------------------------------------------------------------------

def is_overdue(invoice: Invoice, today: date) -> bool:
    return invoice.status in OPEN_STATES and invoice.due_date < today


def display_status(invoice: Invoice, today: date) -> str:
    """The status a person sees: the stored one, or "overdue"."""
    return "overdue" if is_overdue(invoice, today) else invoice.status


def overdue_clause(today: date):
    """SQL condition for overdue invoices, matching `is_overdue`."""
    return and_(Invoice.status.in_(OPEN_STATES), Invoice.due_date < today)
