"""Form data for the blueprint tests that post to the invoice editor."""
from __future__ import annotations

from tests.conftest import csrf_token


def invoice_form(client, customer, lines, **extra) -> dict:
    """Form data for the invoice editor; `lines` are (description, qty, price, tax %)."""
    data = {"csrf_token": csrf_token(client, "/invoices/new"), "customer_id": str(customer.id),
            "issue_date": "2024-05-01", "due_date": "2024-05-31", "currency": "EUR",
            "notes": "Thanks!"}
    for i, (desc, qty, price, rate) in enumerate(lines):
        data.update({f"lines-{i}-description": desc, f"lines-{i}-quantity": qty,
                     f"lines-{i}-unit_price": price, f"lines-{i}-tax_rate": rate})
    data.update(extra)
    return data
