"""Which invoices a user may see: those of the customers they may see.

The record-level rule lives in `visible_customers_clause`, the one place to hand over to
the customer files' own rule when it exists; everything else here builds on it.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, true

from app.extensions import db
from app.models import Customer, Invoice
from app.permissions import role_can

_MAX_ID = 2**31 - 1  # larger ids can't exist, and PostgreSQL would refuse the comparison


def visible_customers_clause(user) -> ColumnElement[bool]:
    """SQL condition on `Customer`: staff without "see all" only see their own customers."""
    if role_can(getattr(user, "role", None), "customers.view_all"):
        return true()
    return Customer.owner_id == user.id


def visible_invoices(query, user):
    """Limit a `select(Invoice ...)` to the invoices `user` may see."""
    return query.join(Invoice.customer).where(visible_customers_clause(user))


def get_invoice_or_404(invoice_id: int, user) -> Invoice:
    """The invoice, if it exists and `user` may see it; 404 otherwise (never 403: an
    invisible invoice is not revealed to exist)."""
    if not 0 < invoice_id <= _MAX_ID:
        abort(404)
    invoice = db.session.scalar(
        visible_invoices(db.select(Invoice), user).where(Invoice.id == invoice_id))
    if invoice is None:
        abort(404)
    return invoice


def get_customer_or_404(customer_id: int, user) -> Customer:
    if not 0 < customer_id <= _MAX_ID:
        abort(404)
    customer = db.session.scalar(
        db.select(Customer).where(Customer.id == customer_id, visible_customers_clause(user)))
    if customer is None:
        abort(404)
    return customer
