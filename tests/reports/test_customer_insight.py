"""Segments, top customers, new vs returning and the review list, worked out by hand.

Today is 2026-12-15, so "the last 12 months" starts 2025-12-15.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from app.reports import customer_insight
from app.reports.sql import Window
from tests.factories import make_customer, make_invoice, make_payment
from tests.reports.conftest import TODAY


@pytest.fixture
def clientele(db, make_user):
    admin = make_user("admin")
    big = make_customer(first_name="Bea", last_name="Big")
    first = make_invoice(big, total="6000.00", issue_date=date(2026, 5, 20))
    make_payment(first, amount="6000.00", paid_on=date(2026, 6, 1))
    for month in (10, 11, 12):
        make_invoice(big, total="100.00", issue_date=date(2026, month, 1))
    lapsing = make_customer(first_name="Lee", last_name="Lapsing")
    old = make_invoice(lapsing, total="100.00", issue_date=date(2025, 1, 10))
    make_payment(old, amount="100.00", paid_on=date(2025, 2, 1))
    make_invoice(lapsing, total="200.00", issue_date=date(2026, 4, 1))
    fresh = make_customer(first_name="Fay", last_name="Fresh")
    f1 = make_invoice(fresh, total="120.00", issue_date=date(2026, 11, 20))
    make_invoice(fresh, total="30.00", issue_date=date(2026, 11, 28))
    make_payment(f1, amount="50.00", paid_on=date(2026, 12, 1))
    gone = make_customer(first_name="Gus", last_name="Gone")
    g = make_invoice(gone, total="80.00", issue_date=date(2024, 5, 1))
    make_payment(g, amount="80.00", paid_on=date(2024, 5, 20))
    nothing = make_customer(first_name="Nat", last_name="Nothing")
    make_invoice(nothing, total="500.00", status="void", issue_date=date(2026, 12, 1))
    make_invoice(nothing, total="700.00", status="draft", issue_date=date(2026, 12, 1))
    return {"admin": admin, "big": big, "lapsing": lapsing, "fresh": fresh, "gone": gone,
            "nothing": nothing}


def test_segment_counts_and_revenue(clientele):
    figures = {s.key: (s.customers, [(a.currency, a.customers, a.paid_12_months,
                                      a.lifetime_value) for a in s.amounts])
               for s in customer_insight.segment_figures(clientele["admin"], TODAY)}
    assert figures == {
        "high_value": (1, [("EUR", 1, Decimal("6000.00"), Decimal("6300.00"))]),
        "loyal": (1, [("EUR", 1, Decimal("6000.00"), Decimal("6300.00"))]),
        "at_risk": (1, [("EUR", 1, Decimal("0.00"), Decimal("300.00"))]),
        "new": (1, [("EUR", 1, Decimal("50.00"), Decimal("150.00"))]),
        "inactive": (1, [("EUR", 1, Decimal("0.00"), Decimal("80.00"))]),
    }


def test_segment_amounts_come_per_currency(clientele):
    """Bea is also billed in GBP: her segments show a GBP line beside the EUR one, and
    the GBP customer without EUR invoices adds to the customer count once."""
    gbp = make_invoice(clientele["big"], total="40.00", currency="GBP",
                       issue_date=date(2026, 12, 2))
    make_payment(gbp, amount="40.00", paid_on=date(2026, 12, 3))
    pound = make_customer(first_name="Pam", last_name="Pound")
    make_invoice(pound, total="7.00", currency="GBP", issue_date=date(2026, 12, 5))
    figures = {s.key: s for s in customer_insight.segment_figures(clientele["admin"], TODAY)}
    assert [(a.currency, a.customers, a.paid_12_months, a.lifetime_value)
            for a in figures["high_value"].amounts] == [
        ("EUR", 1, Decimal("6000.00"), Decimal("6300.00")),
        ("GBP", 1, Decimal("40.00"), Decimal("40.00"))]
    assert figures["new"].customers == 2
    assert [(a.currency, a.customers, a.lifetime_value) for a in figures["new"].amounts] == [
        ("EUR", 1, Decimal("150.00")), ("GBP", 1, Decimal("7.00"))]


def test_high_value_is_reached_in_one_currency(db, make_user):
    admin = make_user("admin")
    split = make_customer(first_name="Sal", last_name="Split")
    for currency in ("EUR", "GBP"):
        invoice = make_invoice(split, total="3000.00", currency=currency,
                               issue_date=date(2026, 11, 1))
        make_payment(invoice, amount="3000.00", paid_on=date(2026, 11, 2))
    figures = {s.key: s for s in customer_insight.segment_figures(admin, TODAY)}
    assert figures["high_value"].customers == 0  # 3,000 + 3,000 in two currencies is not 5,000
    more = make_invoice(split, total="2000.00", currency="GBP", issue_date=date(2026, 11, 5))
    make_payment(more, amount="2000.00", paid_on=date(2026, 11, 6))
    figures = {s.key: s for s in customer_insight.segment_figures(admin, TODAY)}
    assert figures["high_value"].customers == 1


def test_top_customers_by_lifetime_value(clientele):
    top = customer_insight.top_customers(clientele["admin"], TODAY)
    assert [(t.name, t.currency, t.lifetime_value, t.invoices) for t in top] == [
        ("Bea Big", "EUR", Decimal("6300.00"), 4), ("Lee Lapsing", "EUR", Decimal("300.00"), 2),
        ("Fay Fresh", "EUR", Decimal("150.00"), 2), ("Gus Gone", "EUR", Decimal("80.00"), 1)]


def test_top_customers_are_ranked_within_each_currency(clientele):
    make_invoice(clientele["gone"], total="90.00", currency="GBP", issue_date=date(2026, 3, 1))
    make_invoice(clientele["fresh"], total="10.00", currency="GBP", issue_date=date(2026, 3, 1))
    top = customer_insight.top_customers(clientele["admin"], TODAY, limit=2)
    assert [(t.currency, t.name, t.lifetime_value, t.invoices) for t in top] == [
        ("EUR", "Bea Big", Decimal("6300.00"), 4), ("EUR", "Lee Lapsing", Decimal("300.00"), 2),
        ("GBP", "Gus Gone", Decimal("90.00"), 1), ("GBP", "Fay Fresh", Decimal("10.00"), 1)]


def test_new_and_returning_per_month(clientele):
    make_invoice(clientele["lapsing"], total="25.00", currency="GBP",
                 issue_date=date(2026, 4, 9))
    months = {m.month: (m.new_customers, m.returning_customers, m.invoices, m.amounts)
              for m in customer_insight.monthly(clientele["admin"],
                                                Window(date(2026, 1, 1), TODAY))}
    # Lee's EUR and GBP invoices of April: two invoices, one returning customer, two sums.
    assert months["2026-04"] == (0, 1, 2, {"EUR": Decimal("200.00"), "GBP": Decimal("25.00")})
    assert months["2026-05"] == (1, 0, 1, {"EUR": Decimal("6000.00")})
    assert months["2026-10"] == (0, 1, 1, {"EUR": Decimal("100.00")})
    # Fay's two invoices in her first month make her new once.
    assert months["2026-11"] == (1, 1, 3, {"EUR": Decimal("250.00")})
    assert months["2026-12"] == (0, 1, 1, {"EUR": Decimal("100.00")})  # void, draft don't count
    assert months["2026-02"] == (0, 0, 0, {})


def test_review_list(clientele, db):
    for key, reason in (("gone", "Hard bounce: mailbox unavailable"), ("fresh", "Complaint")):
        clientele[key].needs_review, clientele[key].needs_review_reason = True, reason
    clientele["big"].needs_review = True
    clientele["big"].erased_at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    db.session.commit()
    page = customer_insight.review_list(clientele["admin"], 1)
    assert [(r.customer_id, r.needs_review_reason) for r in page.items] == [
        (clientele["fresh"].id, "Complaint"),
        (clientele["gone"].id, "Hard bounce: mailbox unavailable")]
