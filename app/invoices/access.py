"""Which invoices a user may see: those of the customers they may see.

The record-level rule on customers is the customer files' own (`app.customers.access`);
everything here builds on it.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement

from app.customers import access as customer_access
from app.extensions import db
from app.models import Customer, Invoice


def visible_customers_clause(user) -> ColumnElement[bool]:
    """SQL condition on `Customer`: staff without "see all" only see their own customers."""
    return customer_access.visibility_clause(user)


def visible_invoices(query, user):
    """Limit a `select(Invoice ...)` to the invoices `user` may see."""
    return query.join(Invoice.customer).where(visible_customers_clause(user))


def get_invoice_or_404(invoice_id: int, user) -> Invoice:
    """The invoice, if it exists and `user` may see it; 404 otherwise (never 403: an
    invisible invoice is not revealed to exist)."""
    invoice = db.session.scalar(
        visible_invoices(db.select(Invoice), user).where(Invoice.id == invoice_id))
    if invoice is None:
        abort(404)
    return invoice


def get_customer_or_404(customer_id: int, user) -> Customer:
    return customer_access.get_customer_or_404(customer_id, user)
