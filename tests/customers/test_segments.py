"""RFM segments computed in SQL from invoices and payments."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from app.customers.search import ListParams, build_query
from app.customers.segments import customer_figures, segment_members, segments_for
from tests.factories import make_customer, make_invoice

TODAY = date(2025, 6, 30)


def _days(n: int) -> date:
    return TODAY - timedelta(days=n)


def _keys(customer) -> list[str]:
    return [s.key for s in segments_for([customer.id], TODAY).get(customer.id, [])]


def test_segments(app, db):
    big = make_customer(first_name="Big", last_name="Spender")
    make_invoice(big, status="paid", total="6000.00", issue_date=_days(30))
    loyal = make_customer(first_name="Loyal", last_name="Regular")
    for days in (10, 80, 150, 250):
        make_invoice(loyal, status="paid", total="100.00", issue_date=_days(days))
    at_risk = make_customer(first_name="Drifting", last_name="Away")
    for days in (200, 300, 500):
        make_invoice(at_risk, status="paid", total="100.00", issue_date=_days(days))
    new = make_customer(first_name="Fresh", last_name="Face")
    make_invoice(new, status="finalized", total="50.00", issue_date=_days(5))
    inactive = make_customer(first_name="Long", last_name="Gone")
    make_invoice(inactive, status="paid", total="50.00", issue_date=_days(400))
    nothing = make_customer(first_name="No", last_name="Invoices")
    draft_only = make_customer(first_name="Draft", last_name="Only")
    make_invoice(draft_only, status="draft", total="9000.00", issue_date=_days(3))

    assert _keys(big) == ["high_value", "new"]
    assert _keys(loyal) == ["loyal"]
    assert _keys(at_risk) == ["at_risk"]
    assert _keys(new) == ["new"]
    assert _keys(inactive) == ["inactive"]
    assert _keys(nothing) == [] and _keys(draft_only) == []
    members = set(db.session.scalars(segment_members("new", TODAY)))
    assert members == {big.id, new.id}


def test_high_value_counts_payments_in_the_window_only(app, db):
    c = make_customer()
    make_invoice(c, status="paid", total="4000.00", issue_date=_days(400))  # paid long ago
    make_invoice(c, status="paid", total="2000.00", issue_date=_days(20))
    assert "high_value" not in _keys(c)
    make_invoice(c, status="paid", total="3000.00", issue_date=_days(10))
    assert "high_value" in _keys(c)


def test_figures(app, db):
    c = make_customer()
    make_invoice(c, status="paid", total="100.00", issue_date=_days(100))
    make_invoice(c, status="partially_paid", total="250.00", issue_date=_days(10), paid="50.00")
    make_invoice(c, status="void", total="999.00", issue_date=_days(5))
    f = customer_figures(c.id, TODAY)
    assert f.invoices == 2
    assert f.pairs("lifetime_value") == [("EUR", Decimal("350.00"))]
    assert f.pairs("outstanding") == [("EUR", Decimal("200.00"))]
    assert f.pairs("paid_last_year") == [("EUR", Decimal("150.00"))]
    assert f.first_purchase == _days(100) and f.last_purchase == _days(10)
    empty = customer_figures(make_customer(first_name="No", last_name="Sales").id, TODAY)
    assert empty.invoices == 0 and empty.by_currency == []


def test_figures_of_a_customer_billed_in_two_currencies_stay_apart(app, db):
    c = make_customer()
    make_invoice(c, status="paid", total="100.00", issue_date=_days(100))
    make_invoice(c, status="finalized", total="30.00", currency="GBP", issue_date=_days(3))
    make_invoice(c, status="paid", total="12.00", currency="GBP", issue_date=_days(200))
    f = customer_figures(c.id, TODAY)
    assert f.invoices == 3 and (f.first_purchase, f.last_purchase) == (_days(200), _days(3))
    assert [(x.currency, x.invoices, x.lifetime_value, x.outstanding, x.paid_last_year)
            for x in f.by_currency] == [
        ("EUR", 1, Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
        ("GBP", 2, Decimal("42.00"), Decimal("30.00"), Decimal("12.00"))]


def test_segment_is_a_list_filter(app, db, make_user):
    admin = make_user("admin")
    fresh = make_customer(first_name="Fresh", last_name="Face")
    make_invoice(fresh, status="paid", total="50.00", issue_date=_days(5))
    make_customer(first_name="Other", last_name="One")
    query = build_query(ListParams.from_args({"segment": "new"}), admin, TODAY)
    assert [c.id for c in db.session.scalars(query)] == [fresh.id]
