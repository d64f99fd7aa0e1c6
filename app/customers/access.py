"""Record-level access to customers: who may see which customer file.

Staff see only the customers assigned to them; every other role with
`customers.view_all` sees every customer. Other blueprints (invoices, reports) call
these helpers so the rule lives in one place; the user is always passed in. The lookups
that answer 404 for a customer the user may not see (exactly like one that does not
exist, so ids reveal nothing) are the web layer's: `app.web.lookups`.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, true

from app.extensions import db
from app.models import Customer
from app.models.base import MAX_ID
from app.permissions import role_can


def get_by_id(model, ident: int):
    """`db.session.get` that answers None for ids no row can have (no database error)."""
    return db.session.get(model, ident) if 0 < ident <= MAX_ID else None


def sees_all_customers(user) -> bool:
    return role_can(getattr(user, "role", None), "customers.view_all")


def visibility_clause(user, column=None) -> ColumnElement[bool]:
    """A WHERE clause limiting customers (or `column`, a customer id column) to `user`."""
    if sees_all_customers(user):
        return true()
    if not role_can(getattr(user, "role", None), "customers.view"):
        return Customer.id.is_(None) if column is None else column.is_(None)
    owned = Customer.owner_id == user.id
    if column is None:
        return owned
    return column.in_(db.select(Customer.id).where(owned))


def visible_customers(user, query: Select | None = None) -> Select:
    """`query` (default: all customers) restricted to what `user` may see."""
    query = db.select(Customer) if query is None else query
    return query.where(visibility_clause(user))


def can_see_customer(customer: Customer | None, user) -> bool:
    if customer is None or not role_can(getattr(user, "role", None), "customers.view"):
        return False
    return sees_all_customers(user) or customer.owner_id == user.id
