"""RFM segments computed in SQL from invoices and payments."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from app.customers.search import ListParams, build_query
from app.customers.segments import customer_figures, segment_members, segments_for
from tests.customer_factories import make_customer, make_invoice

TODAY = date(2025, 6, 30)


def _days(n: int) -> date:
    return TODAY - timedelta(days=n)


def _keys(customer) -> list[str]:
    return [s.key for s in segments_for([customer.id], TODAY).get(customer.id, [])]


def test_segments(app, db):
    big = make_customer("Big", "Spender")
    make_invoice(big, "6000.00", issued=_days(30))
    loyal = make_customer("Loyal", "Regular")
    for days in (10, 80, 150, 250):
        make_invoice(loyal, "100.00", issued=_days(days))
    at_risk = make_customer("Drifting", "Away")
    for days in (200, 300, 500):
        make_invoice(at_risk, "100.00", issued=_days(days))
    new = make_customer("Fresh", "Face")
    make_invoice(new, "50.00", issued=_days(5), status="finalized")
    inactive = make_customer("Long", "Gone")
    make_invoice(inactive, "50.00", issued=_days(400))
    nothing = make_customer("No", "Invoices")
    draft_only = make_customer("Draft", "Only")
    make_invoice(draft_only, "9000.00", issued=_days(3), status="draft")

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
    make_invoice(c, "4000.00", issued=_days(400))  # paid long ago
    make_invoice(c, "2000.00", issued=_days(20))
    assert "high_value" not in _keys(c)
    make_invoice(c, "3000.00", issued=_days(10))
    assert "high_value" in _keys(c)


def test_figures(app, db):
    c = make_customer()
    make_invoice(c, "100.00", issued=_days(100))
    make_invoice(c, "250.00", issued=_days(10), status="partially_paid", paid="50.00")
    make_invoice(c, "999.00", issued=_days(5), status="void")
    f = customer_figures(c.id, TODAY)
    assert f.invoices == 2
    assert f.lifetime_value == Decimal("350.00")
    assert f.outstanding == Decimal("200.00")
    assert f.first_purchase == _days(100) and f.last_purchase == _days(10)
    assert f.currency == "EUR"
    empty = customer_figures(make_customer("No", "Sales").id, TODAY)
    assert empty.invoices == 0 and empty.lifetime_value == 0


def test_segment_is_a_list_filter(app, db, make_user):
    admin = make_user("admin")
    fresh = make_customer("Fresh", "Face")
    make_invoice(fresh, "50.00", issued=_days(5))
    make_customer("Other", "One")
    query = build_query(ListParams.from_args({"segment": "new"}), admin, TODAY)
    assert [c.id for c in db.session.scalars(query)] == [fresh.id]
