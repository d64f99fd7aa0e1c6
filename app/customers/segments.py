"""Built-in customer segments (recency / frequency / monetary) and a customer's figures.

Everything is computed in SQL from invoices and payments, so the list filter and the
badges on a file come from the same expressions. Only billed invoices count: finalized,
partially paid and paid (drafts and void invoices are not purchases). The reference day
is passed in (`today`), so results are reproducible in tests.

Thresholds (days and amounts are module constants, documented here):

* **High value** — payments received in the last 365 days total at least 5,000.
* **Loyal** — at least 4 invoices in the last 365 days, the latest within 90 days.
* **At risk** — at least 2 invoices ever, the latest 181–365 days ago (they used to buy).
* **New** — first invoice within the last 90 days.
* **Inactive** — invoices exist, but none in the last 365 days.

A customer can be in several segments (High value and Loyal), or in none (no invoices).
Amounts are summed across currencies: the office is assumed to bill in one currency.
"""
from __future__ import annotations

from dataclasses import dataclass
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
    Segment("high_value", "High value", "Paid 5,000 or more in the last 12 months"),
    Segment("loyal", "Loyal", "4+ invoices in 12 months, latest within 90 days"),
    Segment("at_risk", "At risk", "Bought repeatedly, but not for 6–12 months"),
    Segment("new", "New", "First invoice within the last 90 days"),
    Segment("inactive", "Inactive", "No invoice for more than 12 months"),
)
SEGMENT_KEYS = tuple(s.key for s in SEGMENTS)


def customer_stats(today: date, customer_ids=None) -> Select:
    """One row per customer with billed invoices: counts, dates and amounts."""
    window = today - timedelta(days=WINDOW_DAYS)
    invoices = (
        select(
            Invoice.customer_id.label("customer_id"),
            func.count(Invoice.id).label("invoices"),
            func.sum(case((Invoice.issue_date >= window, 1), else_=0)).label("recent"),
            func.min(Invoice.issue_date).label("first_purchase"),
            func.max(Invoice.issue_date).label("last_purchase"),
            func.sum(Invoice.total).label("lifetime_value"),
            func.sum(case((Invoice.status.in_(OPEN_STATES), Invoice.total - Invoice.amount_paid),
                          else_=0)).label("outstanding"),
        )
        .where(Invoice.status.in_(BILLED_STATES))
        .group_by(Invoice.customer_id)
    )
    paid = (
        select(Invoice.customer_id.label("customer_id"),
               func.sum(Payment.amount).label("paid_window"))
        .join(Payment, Payment.invoice_id == Invoice.id)
        .where(Invoice.status.in_(BILLED_STATES), Payment.paid_on >= window)
        .group_by(Invoice.customer_id)
    )
    if customer_ids is not None:
        invoices = invoices.where(Invoice.customer_id.in_(customer_ids))
        paid = paid.where(Invoice.customer_id.in_(customer_ids))
    inv, pay = invoices.subquery("inv"), paid.subquery("pay")
    return select(inv, func.coalesce(pay.c.paid_window, 0).label("paid_window")).outerjoin(
        pay, pay.c.customer_id == inv.c.customer_id)


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


@dataclass
class Figures:
    invoices: int = 0
    lifetime_value: Decimal = Decimal("0")
    outstanding: Decimal = Decimal("0")
    paid_last_year: Decimal = Decimal("0")
    first_purchase: date | None = None
    last_purchase: date | None = None
    currency: str = ""


def customer_figures(customer_id: int, today: date) -> Figures:
    """Lifetime value, outstanding balance, first and last purchase of one customer."""
    stats = customer_stats(today, [customer_id]).subquery("stats")
    row = db.session.execute(select(stats)).mappings().first()
    currencies = db.session.scalars(
        select(Invoice.currency).where(Invoice.customer_id == customer_id,
                                       Invoice.status.in_(BILLED_STATES)).distinct()).all()
    if row is None:
        return Figures(currency=currencies[0] if len(currencies) == 1 else "")
    return Figures(
        invoices=row["invoices"],
        lifetime_value=Decimal(row["lifetime_value"] or 0),
        outstanding=Decimal(row["outstanding"] or 0),
        paid_last_year=Decimal(row["paid_window"] or 0),
        first_purchase=row["first_purchase"],
        last_purchase=row["last_purchase"],
        currency=currencies[0] if len(currencies) == 1 else "",
    )
