"""Accounts receivable aging, and revenue (payments received) by month and by customer.

Outstanding = total − amount paid, for invoices that are finalized or partially paid
(drafts, void and paid invoices owe nothing). Days overdue count from the due date.
Amounts are grouped by currency, never added across currencies.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from app.extensions import db
from app.models import Customer, Invoice, Payment
from app.reports.sql import (
    Window, customer_name, month_of, sees_everyone, visible_customers,
)

OPEN_STATES = ("finalized", "partially_paid")
BUCKETS = (("current", "Current"), ("d1_30", "1–30 days"), ("d31_60", "31–60 days"),
           ("d61_90", "61–90 days"), ("d90", "90+ days"))
BUCKET_KEYS = tuple(k for k, _ in BUCKETS)
ZERO = Decimal("0")


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _bucket_columns(today: date):
    outstanding = Invoice.total - Invoice.amount_paid

    def between(newest: int, oldest: int | None):
        # Overdue by `newest`..`oldest` days: due on or before today-newest, after today-oldest-1.
        cond = Invoice.due_date <= today - timedelta(days=newest)
        if oldest is not None:
            cond = cond & (Invoice.due_date >= today - timedelta(days=oldest))
        return func.sum(case((cond, outstanding), else_=0))

    return [
        func.sum(case((Invoice.due_date >= today, outstanding), else_=0)).label("current"),
        between(1, 30).label("d1_30"), between(31, 60).label("d31_60"),
        between(61, 90).label("d61_90"), between(91, None).label("d90"),
        func.sum(outstanding).label("total"),
        func.count(Invoice.id).label("invoices"),
    ]


def _open_invoices(query, user):
    query = query.where(Invoice.status.in_(OPEN_STATES),
                        Invoice.total - Invoice.amount_paid > 0)
    if not sees_everyone(user):
        query = query.where(visible_customers(user))
    return query


@dataclass
class AgingRow:
    customer_id: int | None
    name: str
    currency: str
    invoices: int
    amounts: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = ZERO


def _aging_row(row, name: str, customer_id: int | None) -> AgingRow:
    return AgingRow(customer_id, name, row.currency, row.invoices,
                    {k: _money(getattr(row, k)) for k in BUCKET_KEYS}, _money(row.total))


def aging(user, today: date) -> tuple[list[AgingRow], list[AgingRow]]:
    """Per customer and currency, then totals per currency (largest balance first)."""
    per_customer = _open_invoices(
        select(Invoice.customer_id, Customer.kind, Customer.first_name, Customer.last_name,
               Customer.company, Invoice.currency, *_bucket_columns(today))
        .join(Customer, Customer.id == Invoice.customer_id), user,
    ).group_by(Invoice.customer_id, Customer.kind, Customer.first_name, Customer.last_name,
               Customer.company, Invoice.currency)
    per_customer = per_customer.order_by(func.sum(Invoice.total - Invoice.amount_paid).desc(),
                                         Invoice.customer_id)
    rows = [_aging_row(r, customer_name(r), r.customer_id)
            for r in db.session.execute(per_customer)]
    totals_query = _open_invoices(
        select(Invoice.currency, *_bucket_columns(today))
        .join(Customer, Customer.id == Invoice.customer_id), user,
    ).group_by(Invoice.currency).order_by(Invoice.currency)
    totals = [_aging_row(r, f"Total {r.currency}", None)
              for r in db.session.execute(totals_query)]
    return rows, totals


# ---- revenue --------------------------------------------------------------------------

@dataclass(frozen=True)
class Amount:
    key: str  # a month 'YYYY-MM', or a customer name
    currency: str
    amount: Decimal
    payments: int
    customer_id: int | None = None


def _payments(query, user, span: Window):
    query = (query.join(Invoice, Invoice.id == Payment.invoice_id)
             .where(Payment.paid_on >= span.first, Payment.paid_on <= span.last,
                    Invoice.status != "void"))
    if not sees_everyone(user):
        query = query.join(Customer, Customer.id == Invoice.customer_id).where(
            visible_customers(user))
    return query


def revenue_by_month(user, span: Window) -> list[Amount]:
    """Payments received per month of `paid_on` and currency; months without any are 0."""
    month = month_of(Payment.paid_on).label("month")
    query = _payments(select(month, Invoice.currency, func.sum(Payment.amount),
                             func.count(Payment.id)), user, span
                      ).group_by(month, Invoice.currency)
    found = {(m, c): (_money(a), n) for m, c, a, n in db.session.execute(query)}
    currencies = sorted({c for _, c in found}) or ["EUR"]
    return [Amount(m, c, *found.get((m, c), (ZERO, 0)))
            for m in span.months() for c in currencies]


def revenue_by_customer(user, span: Window, limit: int | None = None) -> list[Amount]:
    """Payments received per customer and currency in the window, largest first."""
    total = func.sum(Payment.amount)
    query = _payments(select(Invoice.customer_id, Invoice.currency, total.label("amount"),
                             func.count(Payment.id).label("payments")), user, span)
    query = query.group_by(Invoice.customer_id, Invoice.currency).order_by(
        total.desc(), Invoice.customer_id)
    if limit:
        query = query.limit(limit)
    sums = query.subquery()
    named = select(sums, Customer.kind, Customer.first_name, Customer.last_name,
                   Customer.company).join(Customer, Customer.id == sums.c.customer_id
                                          ).order_by(sums.c.amount.desc(), sums.c.customer_id)
    return [Amount(customer_name(r), r.currency, _money(r.amount), r.payments, r.customer_id)
            for r in db.session.execute(named)]
