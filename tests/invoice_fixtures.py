"""Factories for customers and invoices, imported by the invoice test modules.

Kept out of conftest.py so the customer files work can add its own factories there.
"""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.invoices import rules
from app.invoices.money import LineInput

_names = itertools.count(1)


@pytest.fixture
def make_customer(db):
    from app.models import Customer

    def make(name: str | None = None, owner=None, **fields) -> Customer:
        customer = Customer(kind="company", company=name or f"Customer {next(_names)}",
                            owner_id=getattr(owner, "id", None), **fields)
        db.session.add(customer)
        db.session.commit()
        return customer

    return make


@pytest.fixture
def make_invoice(db, make_customer):
    """A committed invoice; `status` drives it through the real transitions."""
    def make(customer=None, *, status: str = "draft", lines=None, issue_date=None,
             due_in: int = 30, notes: str = "", paid: str | None = None):
        customer = customer or make_customer()
        issue = issue_date or date.today()
        invoice = rules.create_invoice(
            db.session, customer, issue_date=issue, due_date=issue + timedelta(days=due_in),
            notes=notes,
            lines=lines if lines is not None else [
                LineInput("Consulting", Decimal("2"), Decimal("100.00"), Decimal("20"))])
        if status != "draft":
            rules.finalize(invoice)
        if status == "void":
            rules.void(invoice)
        if status in ("partially_paid", "paid"):
            amount = paid or (str(invoice.total) if status == "paid" else "10.00")
            rules.record_payment(invoice, amount=amount, paid_on=issue)
        db.session.commit()
        return invoice

    return make


def invoice_form(client, customer, lines, **extra) -> dict:
    """Form data for the invoice editor; `lines` are (description, qty, price, tax %)."""
    from tests.conftest import csrf_token

    data = {"csrf_token": csrf_token(client, "/invoices/new"), "customer_id": str(customer.id),
            "issue_date": "2024-05-01", "due_date": "2024-05-31", "currency": "EUR",
            "notes": "Thanks!"}
    for i, (desc, qty, price, rate) in enumerate(lines):
        data.update({f"lines-{i}-description": desc, f"lines-{i}-quantity": qty,
                     f"lines-{i}-unit_price": price, f"lines-{i}-tax_rate": rate})
    data.update(extra)
    return data
