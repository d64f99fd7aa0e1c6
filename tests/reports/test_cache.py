"""Cached history-wide figures change as soon as an invoice or payment does."""
from __future__ import annotations

from datetime import date

from tests.factories import make_customer, make_invoice, make_payment


def test_revenue_and_segments_follow_new_payments(client, login_as, db):
    login_as("billing")
    invoice = make_invoice(make_customer(first_name="Cal", last_name="Cached"),
                           total="7000.00", issue_date=date(2026, 11, 1))
    make_payment(invoice, amount="1000.00", paid_on=date(2026, 11, 5))
    assert "1,000.00" in client.get("/reports/accounting/revenue").text
    first = client.get("/reports/customers").text
    assert "Cal Cached" in first
    make_payment(invoice, amount="6000.00", paid_on=date(2026, 12, 1))
    assert "6,000.00" in client.get("/reports/accounting/revenue").text
    segments = client.get("/reports/customers").text.split('data-testid="segments"')[1]
    high_value = segments.split("High value")[1].split("</tr>")[0]
    assert '<td data-label="Customers" class="num">1</td>' in high_value  # paid 7,000 in 12 months now
