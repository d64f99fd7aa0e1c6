"""Aging buckets and revenue, against invoices whose figures were worked out by hand.

Today is 2026-12-15 (pinned). Days overdue count from the due date.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.reports import receivables
from app.reports.sql import Window
from tests.factories import make_customer, make_invoice, make_payment
from tests.reports.conftest import TODAY


def _due(days_overdue: int) -> date:
    return TODAY - timedelta(days=days_overdue)


@pytest.fixture
def books(db, make_user):
    admin, ann = make_user("admin"), make_user("staff")
    acme = make_customer(kind="company", company="Acme", owner=ann)
    zed = make_customer(first_name="Zed", last_name="Zimmer")
    # Acme: one invoice per bucket, with the edges of each bucket.
    make_invoice(acme, total="100.00", due_date=_due(-5))        # current (due in 5 days)
    make_invoice(acme, total="10.00", due_date=_due(0))          # current (due today)
    partly = make_invoice(acme, total="200.00", due_date=_due(1))  # 1–30, 150 left
    make_payment(partly, amount="50.00", paid_on=date(2026, 12, 1))
    make_invoice(acme, total="30.00", due_date=_due(30))         # 1–30 (edge)
    make_invoice(acme, total="31.00", due_date=_due(31))         # 31–60 (edge)
    make_invoice(acme, total="60.00", due_date=_due(60))         # 31–60 (edge)
    make_invoice(acme, total="61.00", due_date=_due(61))         # 61–90
    make_invoice(acme, total="90.00", due_date=_due(90))         # 61–90 (edge)
    make_invoice(acme, total="91.00", due_date=_due(91))         # 90+
    # Nothing owed on these: void, draft, and paid in full.
    make_invoice(acme, total="999.00", status="void", due_date=_due(40))
    make_invoice(acme, total="888.00", status="draft", due_date=_due(40))
    paid = make_invoice(zed, total="500.00", due_date=_due(100), issue_date=date(2026, 8, 1))
    make_payment(paid, amount="200.00", paid_on=date(2026, 9, 10))
    make_payment(paid, amount="300.00", paid_on=date(2026, 10, 31))
    zed_open = make_invoice(zed, total="70.00", due_date=_due(10),
                            issue_date=date(2026, 11, 1), currency="USD")
    make_payment(zed_open, amount="20.00", paid_on=date(2026, 11, 30))
    return {"admin": admin, "ann": ann, "acme": acme, "zed": zed}


def test_aging_per_customer_and_bucket(books):
    rows = {(r.name, r.currency): r for r in receivables.aging(books["admin"], TODAY).items}
    acme = rows[("Acme", "EUR")]
    assert acme.amounts == {"current": Decimal("110.00"), "d1_30": Decimal("180.00"),
                            "d31_60": Decimal("91.00"), "d61_90": Decimal("151.00"),
                            "d90": Decimal("91.00")}
    assert (acme.total, acme.invoices) == (Decimal("623.00"), 9)
    zed = rows[("Zed Zimmer", "USD")]
    assert zed.amounts["d1_30"] == Decimal("50.00") and zed.total == Decimal("50.00")
    assert len(rows) == 2  # the paid invoice is left out


def test_totals_are_per_currency(books):
    totals = {t.currency: t for t in receivables.aging_totals(books["admin"], TODAY)}
    assert set(totals) == {"EUR", "USD"}
    assert totals["EUR"].total == Decimal("623.00")
    assert totals["USD"].amounts["d1_30"] == Decimal("50.00")


def test_aging_pages(books):
    page = receivables.aging(books["admin"], TODAY, page=2, per_page=1)
    assert (page.total, page.page, [r.name for r in page.items]) == (2, 2, ["Zed Zimmer"])


def test_staff_sees_aging_of_assigned_customers_only(books):
    assert [r.name for r in receivables.aging(books["ann"], TODAY).items] == ["Acme"]


def test_revenue_by_month_counts_payments_when_received(books):
    span = Window(date(2026, 8, 1), TODAY)
    months = {(a.key, a.currency): (a.amount, a.payments)
              for a in receivables.revenue_by_month(books["admin"], span)}
    assert months[("2026-09", "EUR")] == (Decimal("200.00"), 1)
    assert months[("2026-10", "EUR")] == (Decimal("300.00"), 1)
    assert months[("2026-12", "EUR")] == (Decimal("50.00"), 1)
    assert months[("2026-11", "USD")] == (Decimal("20.00"), 1)
    assert months[("2026-08", "EUR")] == (Decimal("0.00"), 0)


def test_revenue_by_customer_and_window(books):
    span = Window(date(2026, 10, 1), TODAY)
    by_customer = [(a.key, a.currency, a.amount) for a in
                   receivables.revenue_by_customer(books["admin"], span)]
    assert by_customer == [("Zed Zimmer", "EUR", Decimal("300.00")),
                           ("Acme", "EUR", Decimal("50.00")),
                           ("Zed Zimmer", "USD", Decimal("20.00"))]


def test_payments_on_a_voided_invoice_are_not_revenue(books, db):
    invoice = make_invoice(books["acme"], total="40.00")
    make_payment(invoice, amount="40.00", paid_on=date(2026, 12, 2))
    invoice.status = "void"
    db.session.commit()
    months = {a.key: a.amount for a in
              receivables.revenue_by_month(books["admin"], Window(date(2026, 12, 1), TODAY))
              if a.currency == "EUR"}
    assert months["2026-12"] == Decimal("50.00")
