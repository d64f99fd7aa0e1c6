"""Customer insight: segments, top customers, new vs returning, purchase trend, review list.

Segments (recency / frequency / monetary) come from `app/customers/segments.py`: the same keys,
thresholds and conditions as the customer list, so the two can never disagree. Only the
per-customer statistics are built here, limited to the customers the user may see.

Only billed invoices count as purchases: finalized, partially paid and paid.

* High value — payments received in the last 365 days total at least 5,000 in one currency.
* Loyal — at least 4 invoices in the last 365 days, the latest within 90 days.
* At risk — at least 2 invoices ever, the latest 181–365 days ago.
* New — first invoice within the last 90 days.
* Inactive — invoices exist, but none in the last 365 days.

A customer can be in several segments, or in none (no invoices).

Money is never added across currencies: every amount here comes per currency.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select

from app.customers.access import sees_all_customers, visibility_clause, visible_customers
from app.customers.segments import (
    SEGMENTS, currency_stats, customer_stats, segment_conditions,
)
from app.extensions import db
from app.invoices.money import cents
from app.invoices.rules import BILLED_STATES
from app.invoices.terms import office_defaults
from app.models import Customer, Invoice
from app.paging import Page
from app.reports.sql import Window, customer_name, month_of

def _money(value) -> Decimal:
    return cents(value or 0)


def _scope(user):
    """The customers `user` may see, for the statistics' `customer_ids` (None: all)."""
    return None if sees_all_customers(user) else select(Customer.id).where(
        visibility_clause(user))


def _stats(today: date, user):
    """The segments' per-customer figures (one definition: the list filter and the report
    can't disagree), limited to the customers `user` may see."""
    return customer_stats(today, _scope(user))


@dataclass(frozen=True)
class CurrencyAmounts:
    currency: str
    customers: int  # of the segment, billed in this currency
    paid_12_months: Decimal
    lifetime_value: Decimal


@dataclass(frozen=True)
class SegmentFigures:
    key: str
    label: str
    description: str
    customers: int
    amounts: tuple[CurrencyAmounts, ...]  # one per currency, none without customers

    @property
    def paid_by_currency(self) -> list[tuple[str, Decimal]]:
        return [(a.currency, a.paid_12_months) for a in self.amounts]

    @property
    def value_by_currency(self) -> list[tuple[str, Decimal]]:
        return [(a.currency, a.lifetime_value) for a in self.amounts]


def segment_figures(user, today: date) -> list[SegmentFigures]:
    """Customers per segment, and per currency their payments in the last 12 months and
    lifetime value."""
    stats = _stats(today, user).subquery("stats")
    conditions = segment_conditions(stats.c, today)
    counts = db.session.execute(select(*[
        func.sum(case((cond, 1), else_=0)).label(key) for key, cond in conditions.items()
    ])).one()
    money = currency_stats(today, _scope(user)).subquery("money")
    columns = []
    for key, cond in conditions.items():
        columns += [func.sum(case((cond, 1), else_=0)).label(f"{key}_n"),
                    func.sum(case((cond, money.c.paid_window), else_=0)).label(f"{key}_p"),
                    func.sum(case((cond, money.c.lifetime_value), else_=0)).label(f"{key}_v")]
    per_currency = db.session.execute(
        select(money.c.currency, *columns)
        .join(stats, stats.c.customer_id == money.c.customer_id)
        .group_by(money.c.currency).order_by(money.c.currency)).all()
    return [SegmentFigures(
        s.key, s.label, s.description, int(getattr(counts, s.key) or 0),
        tuple(CurrencyAmounts(r.currency, int(getattr(r, f"{s.key}_n") or 0),
                              _money(getattr(r, f"{s.key}_p")), _money(getattr(r, f"{s.key}_v")))
              for r in per_currency if getattr(r, f"{s.key}_n")))
        for s in SEGMENTS]


@dataclass(frozen=True)
class TopCustomer:
    customer_id: int
    name: str
    currency: str
    invoices: int
    lifetime_value: Decimal
    first_purchase: date
    last_purchase: date


def top_customers(user, today: date, limit: int = 20) -> list[TopCustomer]:
    """The customers with the largest lifetime value, per currency (`limit` in each;
    0 for all): a currency, then its customers from the largest."""
    money = currency_stats(today, _scope(user)).subquery("money")
    rank = func.row_number().over(partition_by=money.c.currency,
                                  order_by=(money.c.lifetime_value.desc(),
                                            money.c.customer_id)).label("rank")
    ranked = select(money, rank).subquery("ranked")
    query = (select(ranked, Customer.kind, Customer.first_name, Customer.last_name,
                    Customer.company)
             .join(Customer, Customer.id == ranked.c.customer_id)
             .order_by(ranked.c.currency, ranked.c.rank))
    if limit:
        query = query.where(ranked.c.rank <= limit)
    return [TopCustomer(r.customer_id, customer_name(r), r.currency, r.invoices,
                        _money(r.lifetime_value), r.first_purchase, r.last_purchase)
            for r in db.session.execute(query)]


@dataclass(frozen=True)
class MonthFigures:
    month: str
    invoices: int
    amounts: dict[str, Decimal]  # billed, per currency
    new_customers: int
    returning_customers: int


def monthly(user, span: Window) -> list[MonthFigures]:
    """Per month of issue: billed invoices, their total per currency, new and returning
    customers.

    A customer is new in the month of their first billed invoice ever, returning in any
    later month in which they are billed again.
    """
    first = visible_customers(user, select(Invoice.customer_id.label("customer_id"),
                                           func.min(Invoice.issue_date).label("first_purchase"))
                              .where(Invoice.status.in_(BILLED_STATES)), Invoice.customer_id
                              ).group_by(Invoice.customer_id).subquery("first")
    month = month_of(Invoice.issue_date).label("month")
    in_span = (Invoice.status.in_(BILLED_STATES), Invoice.issue_date >= span.first,
               Invoice.issue_date <= span.last)
    is_new = month_of(first.c.first_purchase) == month_of(Invoice.issue_date)
    query = visible_customers(user, select(
        month, func.count(Invoice.id),
        func.count(func.distinct(case((is_new, Invoice.customer_id)))),
        func.count(func.distinct(case((~is_new, Invoice.customer_id)))),
    ).join(first, first.c.customer_id == Invoice.customer_id).where(*in_span),
        Invoice.customer_id).group_by(month)
    found = {r[0]: r for r in db.session.execute(query)}
    billed: dict[str, dict[str, Decimal]] = {}
    amounts = visible_customers(user, select(month, Invoice.currency, func.sum(Invoice.total))
                                .where(*in_span), Invoice.customer_id
                                ).group_by(month, Invoice.currency).order_by(Invoice.currency)
    for m, currency, amount in db.session.execute(amounts):
        billed.setdefault(m, {})[currency] = _money(amount)
    out = []
    for m in span.months():
        r = found.get(m)
        out.append(MonthFigures(m, r[1], billed.get(m, {}), r[2], r[3]) if r
                   else MonthFigures(m, 0, {}, 0, 0))
    return out


def billed_currencies(months: list[MonthFigures]) -> list[str]:
    """The currencies billed in these months (the office's own when none was)."""
    return sorted({c for m in months for c in m.amounts}) or [office_defaults().currency]


def review_list(user, page: int, per_page: int = 25) -> Page:
    """Customers whose contact needs review (a bounced address, a complaint), by name."""
    base = select(Customer.id.label("customer_id"), Customer.kind, Customer.first_name,
                  Customer.last_name, Customer.company, Customer.needs_review_reason,
                  Customer.updated_at).where(Customer.needs_review.is_(True),
                                             Customer.erased_at.is_(None))
    base = visible_customers(user, base)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // per_page))
    number = min(page, pages)
    rows = db.session.execute(base.order_by(Customer.sort_name, Customer.id)
                              .limit(per_page).offset((number - 1) * per_page)).all()
    return Page(items=rows, page=number, per_page=per_page, total=total)
