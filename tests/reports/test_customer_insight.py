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
    figures = {s.key: (s.customers, s.paid_12_months, s.lifetime_value)
               for s in customer_insight.segment_figures(clientele["admin"], TODAY)}
    assert figures == {
        "high_value": (1, Decimal("6000.00"), Decimal("6300.00")),
        "loyal": (1, Decimal("6000.00"), Decimal("6300.00")),
        "at_risk": (1, Decimal("0.00"), Decimal("300.00")),
        "new": (1, Decimal("50.00"), Decimal("150.00")),
        "inactive": (1, Decimal("0.00"), Decimal("80.00")),
    }


def test_top_customers_by_lifetime_value(clientele):
    top = customer_insight.top_customers(clientele["admin"], TODAY)
    assert [(t.name, t.lifetime_value, t.invoices) for t in top] == [
        ("Bea Big", Decimal("6300.00"), 4), ("Lee Lapsing", Decimal("300.00"), 2),
        ("Fay Fresh", Decimal("150.00"), 2), ("Gus Gone", Decimal("80.00"), 1)]


def test_new_and_returning_per_month(clientele):
    months = {m.month: (m.new_customers, m.returning_customers, m.invoices, m.amount)
              for m in customer_insight.monthly(clientele["admin"],
                                                Window(date(2026, 1, 1), TODAY))}
    assert months["2026-04"] == (0, 1, 1, Decimal("200.00"))
    assert months["2026-05"] == (1, 0, 1, Decimal("6000.00"))
    assert months["2026-10"] == (0, 1, 1, Decimal("100.00"))
    # Fay's two invoices in her first month make her new once.
    assert months["2026-11"] == (1, 1, 3, Decimal("250.00"))
    assert months["2026-12"] == (0, 1, 1, Decimal("100.00"))  # void and draft don't count
    assert months["2026-02"] == (0, 0, 0, Decimal("0.00"))


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
