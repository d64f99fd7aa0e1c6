"""Small factories for models; each commits and returns the object."""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from app.extensions import db
from app.models import Customer, CustomerEmail, Invoice, InvoiceLine

_seq = itertools.count(1)


def make_customer(*, owner=None, email: str | None = None, **fields) -> Customer:
    n = next(_seq)
    customer = Customer(first_name=fields.pop("first_name", "Alex"),
                        last_name=fields.pop("last_name", f"Client{n}"),
                        owner_id=getattr(owner, "id", None), **fields)
    customer.emails.append(CustomerEmail(address=email or f"client{n}@example.org",
                                         is_primary=True, state="ok"))
    db.session.add(customer)
    db.session.commit()
    return customer


def make_invoice(customer: Customer, *, amount: str = "100.00", status: str = "finalized",
                 issue_date: date | None = None, **fields) -> Invoice:
    issue = issue_date or date(2026, 11, 1)
    seq = (db.session.scalar(db.select(db.func.max(Invoice.seq))
                             .where(Invoice.customer_id == customer.id)) or 0) + 1
    total = Decimal(amount)
    invoice = Invoice(customer_id=customer.id, seq=seq, number=f"{customer.id:04d}-{seq:03d}",
                      issue_date=issue, due_date=fields.pop("due_date", issue + timedelta(days=14)),
                      status=status, subtotal=total, total=total, **fields)
    invoice.lines.append(InvoiceLine(description="Consulting", quantity=Decimal("1"),
                                     unit_price=total, position=1))
    db.session.add(invoice)
    db.session.commit()
    return invoice
