"""Which invoices a user may see: those of the customers they may see.

The rule itself is the customer files' (`app.customers.access`); this is the invoices'
side of it, shared by the invoices list and the lookup that answers 404.
"""
from __future__ import annotations

from app.customers.access import visibility_clause
from app.models import Invoice


def visible_invoices(query, user):
    """Limit a `select(Invoice ...)` to the invoices `user` may see."""
    return query.join(Invoice.customer).where(visibility_clause(user))
