"""Who may see which customer file: the one rule, for the web, the reports and the jobs.

A user without `customers.view` sees no customer; with `customers.view_all` (admin,
billing, viewer) every customer; otherwise (staff) only the customers assigned to them.
Invoices, emails and report figures are visible when their customer is, and build on
these functions; the user is always passed in. The lookups that answer 404 for a
customer the user may not see (exactly like one that does not exist, so ids reveal
nothing) are the web layer's: `app.web.lookups`.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, true

from app.extensions import db
from app.models import Customer
from app.models.base import MAX_ID
from app.permissions import role_can


def get_by_id(model, ident: int):
    """`db.session.get` that answers None for ids no row can have (no database error)."""
    return db.session.get(model, ident) if 0 < ident <= MAX_ID else None


def _opens_files(user) -> bool:
    return role_can(getattr(user, "role", None), "customers.view")


def sees_all_customers(user) -> bool:
    """True when `user` sees every customer, so a query needs no restriction at all."""
    return _opens_files(user) and role_can(user.role, "customers.view_all")


def can_see_customer(customer: Customer | None, user) -> bool:
    """The rule for one loaded customer (`visibility_clause` is the same rule in SQL)."""
    if customer is None or not _opens_files(user):
        return False
    return sees_all_customers(user) or customer.owner_id == user.id


def visibility_clause(user, column=None) -> ColumnElement[bool]:
    """A WHERE clause limiting customers (or `column`, a customer id column) to `user`."""
    if sees_all_customers(user):
        return true()
    if not _opens_files(user):
        return false()
    owned = Customer.owner_id == user.id
    if column is None:
        return owned
    return column.in_(db.select(Customer.id).where(owned))


def visible_customers(user, query: Select | None = None, column=None) -> Select:
    """`query` (default: every customer) limited to the customers `user` may see, through
    `column` (a customer id column) when given. Unchanged for a user who sees every
    customer, so the reports' SQL carries no condition for them."""
    query = db.select(Customer) if query is None else query
    if sees_all_customers(user):
        return query
    return query.where(visibility_clause(user, column))
