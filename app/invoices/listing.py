"""The invoices list: filters read from query arguments, and the query they make.

No Flask globals: the list page, a report or an export can build the same query.
Bad argument values are ignored (a stale bookmark still opens), never an error.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import Select, case, or_, select
from sqlalchemy.orm import contains_eager

from app.customers.access import visibility_clause
from app.customers.search import matches as customer_matches
from app.extensions import db
from app.invoices.access import visible_invoices
from app.invoices.numbering import search_clause as number_matches
from app.invoices.rules import OPEN_STATES, overdue_clause
from app.models import INVOICE_STATES, Customer, Invoice
from app.models.base import parse_id

STATUS_FILTERS = ("overdue", "open") + INVOICE_STATES
SORTS = {
    # In the order of the series; drafts, which take the next numbers, after the last.
    "number": (case((Invoice.issued_number.is_(None), 1), else_=0), Invoice.number_year,
               Invoice.number_seq, Invoice.issued_number),
    "customer": (Customer.sort_name, Invoice.issue_date),
    "issued": (Invoice.issue_date,),
    "due": (Invoice.due_date,),
    "total": (Invoice.total,),
    "balance": (Invoice.total - Invoice.amount_paid,),
    "status": (Invoice.status,),
}
DEFAULT_SORT = ("issued", "desc")


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class InvoiceFilters:
    q: str = ""
    status: str = ""
    customer: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = DEFAULT_SORT[0]
    dir: str = DEFAULT_SORT[1]

    @classmethod
    def from_args(cls, args) -> InvoiceFilters:
        """From a request's query arguments (any mapping with `.get`)."""
        status = args.get("status", "")
        sort = args.get("sort", DEFAULT_SORT[0])
        direction = args.get("dir", "")
        customer = args.get("customer", "")
        return cls(
            q=args.get("q", "").strip()[:100],
            status=status if status in STATUS_FILTERS else "",
            customer=parse_id(customer),
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
            sort=sort if sort in SORTS else DEFAULT_SORT[0],
            dir=direction if direction in ("asc", "desc") else
            ("desc" if sort in ("issued", "due", "total", "balance") else "asc"),
        )

    @property
    def active(self) -> bool:
        """Does anything narrow the list (sorting does not)?"""
        return any(getattr(self, f.name) for f in fields(self) if f.name not in ("sort", "dir"))

    def args(self, **changes) -> dict[str, str]:
        """Query arguments for this filter set (with `changes`), empty values left out."""
        values = {"q": self.q, "status": self.status, "customer": self.customer,
                  "from": self.date_from, "to": self.date_to, "sort": self.sort,
                  "dir": self.dir, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def invoice_list_query(user, filters: InvoiceFilters, today: date) -> Select:
    """`select(Invoice)` with customers loaded, narrowed to what `user` may see."""
    query = visible_invoices(select(Invoice), user).options(contains_eager(Invoice.customer))
    if filters.q:
        by_number = number_matches(filters.q)
        by_customer = customer_matches(filters.q)
        query = query.where(by_customer if by_number is None else or_(by_number, by_customer))
    if filters.status == "overdue":
        query = query.where(overdue_clause(today))
    elif filters.status == "open":
        query = query.where(Invoice.status.in_(OPEN_STATES))
    elif filters.status:
        query = query.where(Invoice.status == filters.status)
    if filters.customer:
        query = query.where(Invoice.customer_id == filters.customer)
    if filters.date_from:
        query = query.where(Invoice.issue_date >= filters.date_from)
    if filters.date_to:
        query = query.where(Invoice.issue_date <= filters.date_to)
    columns = SORTS[filters.sort]
    order = [c.desc() if filters.dir == "desc" else c.asc() for c in columns]
    return query.order_by(*order, Invoice.id.desc() if filters.dir == "desc" else Invoice.id)


def customers_with_invoices(user) -> list[Customer]:
    """The customers `user` may see that have invoices: choices for the customer filter."""
    has_invoices = select(Invoice.id).where(Invoice.customer_id == Customer.id).exists()
    return list(db.session.scalars(
        select(Customer).where(visibility_clause(user), has_invoices)
        .order_by(Customer.sort_name, Customer.id)))
