"""Built-in customer segments (recency / frequency / monetary) and a customer's figures.

Everything is computed in SQL from invoices and payments, so the list filter and the
badges on a file come from the same expressions. Only billed invoices count: finalized,
partially paid and paid (drafts and void invoices are not purchases). The reference day
is passed in (`today`), so results are reproducible in tests.

Thresholds (days and amounts are module constants, documented here):

* **High value** — payments received in the last 365 days total at least 5,000 in one
  currency.
* **Loyal** — at least 4 invoices in the last 365 days, the latest within 90 days.
* **At risk** — at least 2 invoices ever, the latest 181–365 days ago (they used to buy).
* **New** — first invoice within the last 90 days.
* **Inactive** — invoices exist, but none in the last 365 days.

A customer can be in several segments (High value and Loyal), or in none (no invoices).
Amounts are never added across currencies: they are computed per currency
(`currency_stats`), and the 5,000 of High value is reached in one currency (a customer
paying 3,000 EUR and 3,000 GBP is not High value). Counts and dates cover every currency.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select

from app.extensions import db
from app.invoices.rules import BILLED_STATES, OPEN_STATES
from app.models import Invoice, Payment

WINDOW_DAYS = 365
HIGH_VALUE_PAID = Decimal("5000")
LOYAL_MIN_INVOICES = 4
LOYAL_RECENT_DAYS = 90
AT_RISK_MIN_INVOICES = 2
AT_RISK_AFTER_DAYS = 180
NEW_DAYS = 90


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    description: str


SEGMENTS: tuple[Segment, ...] = (
    Segment("high_value", "High value",
            "Paid 5,000 or more in one currency in the last 12 months"),
    Segment("loyal", "Loyal", "4+ invoices in 12 months, latest within 90 days"),
    Segment("at_risk", "At risk", "Bought repeatedly, but not for 6–12 months"),
    Segment("new", "New", "First invoice within the last 90 days"),
    Segment("inactive", "Inactive", "No invoice for more than 12 months"),
)
SEGMENT_KEYS = tuple(s.key for s in SEGMENTS)


def _billed(customer_ids, *columns) -> Select:
    query = select(*columns).where(Invoice.status.in_(BILLED_STATES))
    return query if customer_ids is None else query.where(Invoice.customer_id.in_(customer_ids))


def _paid_per_currency(today: date, customer_ids=None) -> Select:
    """Payments received in the window per customer and currency."""
    window = today - timedelta(days=WINDOW_DAYS)
    return (_billed(customer_ids, Invoice.customer_id.label("customer_id"),
                    Invoice.currency.label("currency"),
                    func.sum(Payment.amount).label("paid_window"))
            .join(Payment, Payment.invoice_id == Invoice.id)
            .where(Payment.paid_on >= window)
            .group_by(Invoice.customer_id, Invoice.currency))


def customer_stats(today: date, customer_ids=None) -> Select:
    """One row per customer with billed invoices: counts and dates across currencies, and
    `paid_window`, the most paid in one currency in the last 12 months (no money figure
    here adds currencies together; `currency_stats` has the amounts)."""
    window = today - timedelta(days=WINDOW_DAYS)
    invoices = (
        _billed(customer_ids,
                Invoice.customer_id.label("customer_id"),
                func.count(Invoice.id).label("invoices"),
                func.sum(case((Invoice.issue_date >= window, 1), else_=0)).label("recent"),
                func.min(Invoice.issue_date).label("first_purchase"),
                func.max(Invoice.issue_date).label("last_purchase"))
        .group_by(Invoice.customer_id)
    )
    per_currency = _paid_per_currency(today, customer_ids).subquery("per_currency")
    paid = (select(per_currency.c.customer_id,
                   func.max(per_currency.c.paid_window).label("paid_window"))
            .group_by(per_currency.c.customer_id))
    inv, pay = invoices.subquery("inv"), paid.subquery("pay")
    return select(inv, func.coalesce(pay.c.paid_window, 0).label("paid_window")).outerjoin(
        pay, pay.c.customer_id == inv.c.customer_id)


def currency_stats(today: date, customer_ids=None) -> Select:
    """One row per customer and currency billed: invoices, lifetime value, outstanding,
    paid in the last 12 months, first and last purchase in that currency."""
    invoices = (
        _billed(customer_ids,
                Invoice.customer_id.label("customer_id"), Invoice.currency.label("currency"),
                func.count(Invoice.id).label("invoices"),
                func.min(Invoice.issue_date).label("first_purchase"),
                func.max(Invoice.issue_date).label("last_purchase"),
                func.sum(Invoice.total).label("lifetime_value"),
                func.sum(case((Invoice.status.in_(OPEN_STATES),
                               Invoice.total - Invoice.amount_paid), else_=0)
                         ).label("outstanding"))
        .group_by(Invoice.customer_id, Invoice.currency)
    )
    inv = invoices.subquery("inv")
    pay = _paid_per_currency(today, customer_ids).subquery("pay")
    return select(inv, func.coalesce(pay.c.paid_window, 0).label("paid_window")).outerjoin(
        pay, and_(pay.c.customer_id == inv.c.customer_id, pay.c.currency == inv.c.currency))


def segment_conditions(row, today: date) -> dict[str, ColumnElement[bool]]:
    def ago(days: int) -> date:
        return today - timedelta(days=days)

    return {
        "high_value": row.paid_window >= literal(HIGH_VALUE_PAID),
        "loyal": and_(row.recent >= LOYAL_MIN_INVOICES,
                      row.last_purchase >= ago(LOYAL_RECENT_DAYS)),
        "at_risk": and_(row.invoices >= AT_RISK_MIN_INVOICES,
                        row.last_purchase < ago(AT_RISK_AFTER_DAYS),
                        row.last_purchase >= ago(WINDOW_DAYS)),
        "new": row.first_purchase >= ago(NEW_DAYS),
        "inactive": row.last_purchase < ago(WINDOW_DAYS),
    }


def segment_members(key: str, today: date) -> Select:
    """SELECT of the ids of customers in segment `key` (for `Customer.id.in_(...)`)."""
    stats = customer_stats(today).subquery("stats")
    return select(stats.c.customer_id).where(segment_conditions(stats.c, today)[key])


def segments_for(customer_ids: list[int], today: date) -> dict[int, list[Segment]]:
    """The segments of each of `customer_ids` (a page of a list, or one file)."""
    if not customer_ids:
        return {}
    stats = customer_stats(today, customer_ids).subquery("stats")
    flags = segment_conditions(stats.c, today)
    query = select(stats.c.customer_id,
                   *[case((cond, 1), else_=0).label(key) for key, cond in flags.items()])
    result: dict[int, list[Segment]] = {}
    for row in db.session.execute(query).mappings():
        result[row["customer_id"]] = [s for s in SEGMENTS if row[s.key]]
    return result


@dataclass(frozen=True)
class CurrencyFigures:
    currency: str
    invoices: int
    lifetime_value: Decimal
    outstanding: Decimal
    paid_last_year: Decimal


@dataclass
class Figures:
    """A customer's invoices across currencies; the money, one entry per currency."""

    invoices: int = 0
    first_purchase: date | None = None
    last_purchase: date | None = None
    by_currency: list[CurrencyFigures] = field(default_factory=list)

    def pairs(self, name: str) -> list[tuple[str, Decimal]]:
        """(currency, amount) of one figure ("lifetime_value", ...), a pair per currency."""
        return [(f.currency, getattr(f, name)) for f in self.by_currency]


def customer_figures(customer_id: int, today: date) -> Figures:
    """Lifetime value, outstanding and paid per currency; first and last purchase."""
    rows = db.session.execute(
        select(currency_stats(today, [customer_id]).subquery("stats"))).mappings().all()
    if not rows:
        return Figures()
    return Figures(
        invoices=sum(r["invoices"] for r in rows),  # a count: the same in any currency
        first_purchase=min(r["first_purchase"] for r in rows),
        last_purchase=max(r["last_purchase"] for r in rows),
        by_currency=[CurrencyFigures(r["currency"], r["invoices"],
                                     Decimal(r["lifetime_value"] or 0),
                                     Decimal(r["outstanding"] or 0),
                                     Decimal(r["paid_window"] or 0))
                     for r in sorted(rows, key=lambda r: r["currency"])],
    )
