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

from app.customers.access import sees_all_customers, visibility_clause
from app.extensions import db
from app.invoices.money import cents
from app.invoices.rules import OPEN_STATES
from app.invoices.terms import office_defaults
from app.models import Customer, Invoice, Payment
from app.paging import Page
from app.reports.sql import Window, customer_name, month_of

BUCKETS = (("current", "Current"), ("d1_30", "1–30 days"), ("d31_60", "31–60 days"),
           ("d61_90", "61–90 days"), ("d90", "90+ days"))
BUCKET_KEYS = tuple(k for k, _ in BUCKETS)
ZERO = Decimal("0")


def _money(value) -> Decimal:
    return cents(value or 0)


def _open_invoices(user):
    """Open balances, materialised first: the status index finds the few open invoices,
    instead of the planner walking every invoice in customer order to avoid a sort."""
    outstanding = (Invoice.total - Invoice.amount_paid).label("outstanding")
    query = (select(Invoice.id, Invoice.customer_id, Invoice.currency, Invoice.due_date,
                    outstanding)
             .where(Invoice.status.in_(OPEN_STATES), Invoice.total - Invoice.amount_paid > 0))
    if not sees_all_customers(user):  # the join only when it restricts
        query = query.join(Customer, Customer.id == Invoice.customer_id).where(
            visibility_clause(user))
    return query.cte("open_invoices").prefix_with("MATERIALIZED")


def _bucket_columns(inv, today: date):
    def overdue(newest: int, oldest: int | None):
        # Overdue by newest..oldest days: due on or before today-newest, not before today-oldest.
        cond = inv.c.due_date <= today - timedelta(days=newest)
        if oldest is not None:
            cond = cond & (inv.c.due_date >= today - timedelta(days=oldest))
        return func.sum(case((cond, inv.c.outstanding), else_=0))

    return [
        func.sum(case((inv.c.due_date >= today, inv.c.outstanding), else_=0)).label("current"),
        overdue(1, 30).label("d1_30"), overdue(31, 60).label("d31_60"),
        overdue(61, 90).label("d61_90"), overdue(91, None).label("d90"),
        func.sum(inv.c.outstanding).label("total"),
        func.count(inv.c.id).label("invoices"),
    ]


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


def aging_totals(user, today: date) -> list[AgingRow]:
    """Outstanding per aging bucket, one row per currency."""
    inv = _open_invoices(user)
    query = (select(inv.c.currency, *_bucket_columns(inv, today))
             .group_by(inv.c.currency).order_by(inv.c.currency))
    return [_aging_row(r, f"Total {r.currency}", None) for r in db.session.execute(query)]


def aging(user, today: date, page: int = 1, per_page: int | None = None) -> Page:
    """Per customer and currency, largest balance first; all rows when `per_page` is None."""
    inv = _open_invoices(user)
    sums = (select(inv.c.customer_id, inv.c.currency, *_bucket_columns(inv, today))
            .group_by(inv.c.customer_id, inv.c.currency)).subquery("sums")
    query = (select(sums, Customer.kind, Customer.first_name, Customer.last_name,
                    Customer.company)
             .join(Customer, Customer.id == sums.c.customer_id)
             .order_by(sums.c.total.desc(), sums.c.customer_id, sums.c.currency))
    total = number = 0
    if per_page:
        total = db.session.scalar(select(func.count()).select_from(sums)) or 0
        number = min(page, max(1, -(-total // per_page)))
        query = query.limit(per_page).offset((number - 1) * per_page)
    rows = [_aging_row(r, customer_name(r), r.customer_id) for r in db.session.execute(query)]
    return Page(items=rows, page=number or 1, per_page=per_page or max(1, len(rows)),
                total=total if per_page else len(rows))


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
    if not sees_all_customers(user):
        query = query.join(Customer, Customer.id == Invoice.customer_id).where(
            visibility_clause(user))
    return query


def revenue_by_month(user, span: Window) -> list[Amount]:
    """Payments received per month of `paid_on` and currency; months without any are 0."""
    month = month_of(Payment.paid_on).label("month")
    query = _payments(select(month, Invoice.currency, func.sum(Payment.amount),
                             func.count(Payment.id)), user, span
                      ).group_by(month, Invoice.currency)
    found = {(m, c): (_money(a), n) for m, c, a, n in db.session.execute(query)}
    currencies = sorted({c for _, c in found}) or [office_defaults().currency]
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
