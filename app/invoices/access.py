"""Which invoices a user may see: those of the customers they may see.

The record-level rule on customers is the customer files' own (`app.customers.access`);
everything here builds on it.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement

from app.customers import access as customer_access
from app.models import Invoice


def visible_customers_clause(user) -> ColumnElement[bool]:
    """SQL condition on `Customer`: staff without "see all" only see their own customers."""
    return customer_access.visibility_clause(user)


def visible_invoices(query, user):
    """Limit a `select(Invoice ...)` to the invoices `user` may see."""
    return query.join(Invoice.customer).where(visible_customers_clause(user))
