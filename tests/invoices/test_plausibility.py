"""A payment dated far ahead and a draft with a negative total are asked about once,
with the reason; confirmed, they are saved as typed."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.invoices.plausibility import negative_total_question, payment_date_question
from app.models import Invoice, Payment
from tests.blueprints.helpers import invoice_form
from tests.conftest import csrf_token
from tests.factories import CONSULTING_240, make_customer, make_invoice

TODAY = date(2026, 5, 1)


def test_the_rules(app):  # the office's formats say how the dates and amounts read
    assert payment_date_question(date(2026, 5, 8), TODAY) is None  # a week ahead: ordinary
    assert payment_date_question(date(2025, 1, 1), TODAY) is None
    assert "40 days from today" in payment_date_question(date(2026, 6, 10), TODAY)
    assert negative_total_question(Decimal("0"), "EUR") is None
    assert "-€12.50" in negative_total_question(Decimal("-12.50"), "EUR")


def test_a_payment_dated_far_ahead_needs_a_confirmation(app, client, login_as, db):
    app.config["TODAY"] = TODAY
    login_as("billing")
    invoice = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240)
    data = {"csrf_token": csrf_token(client), "paid_on": "2027-05-01", "amount": "100.00",
            "method": "bank_transfer", "reference": ""}
    asked = client.post(f"/invoices/{invoice.id}/payments", data=data)
    assert asked.status_code == 422
    assert "1 May 2027 is 365 days from today" in asked.text
    assert 'name="confirm_date"' in asked.text
    assert db.session.scalar(db.select(db.func.count(Payment.id))) == 0
    confirmed = client.post(f"/invoices/{invoice.id}/payments",
                            data={**data, "confirm_date": "y"})
    assert confirmed.status_code == 303
    assert db.session.scalars(db.select(Payment)).one().paid_on == date(2027, 5, 1)
    # An ordinary date never shows the question.
    page = client.get(f"/invoices/{invoice.id}").text
    assert 'name="confirm_date"' not in page


def test_a_draft_with_a_negative_total_needs_a_confirmation(client, login_as, db):
    login_as("billing")
    customer = make_customer()
    data = invoice_form(client, customer, [("Refund", "1", "-50.00", "0")], action="save")
    asked = client.post("/invoices/new", data=data)
    assert asked.status_code == 422
    assert "This draft&#39;s total is negative (-€50.00)" in asked.text
    assert 'name="confirm_negative"' in asked.text
    assert db.session.scalar(db.select(db.func.count(Invoice.id))) == 0
    confirmed = client.post("/invoices/new", data={**data, "confirm_negative": "y"})
    assert confirmed.status_code == 303
    assert db.session.scalars(db.select(Invoice)).one().total == Decimal("-50.00")
    # A positive draft is saved without a question.
    plain = invoice_form(client, customer, [("Design", "1", "50.00", "0")], action="save")
    assert client.post("/invoices/new", data=plain).status_code == 303


def test_long_invoice_notes_are_refused_whole(client, login_as, db):
    login_as("billing")
    customer = make_customer()
    data = invoice_form(client, customer, [("Design", "1", "50.00", "0")], action="save",
                        notes="n" * 5001)
    response = client.post("/invoices/new", data=data)
    assert response.status_code == 422
    assert "The notes is 5,001 characters long" not in response.text
    assert "5,001 characters long; at most 5,000 fit" in response.text
    assert 'maxlength="5000"' not in response.text
