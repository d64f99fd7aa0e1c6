"""Demo invoices: every state, consistent money, deterministic, run once."""
from __future__ import annotations

from collections import Counter
from datetime import date

from app.invoices import money, rules
from app.demo.invoices import seed_demo_invoices
from app.models import Invoice


def _snapshot(db):
    # Customer ids differ between runs on PostgreSQL, whose sequences a rollback does not
    # rewind; compare by customer name and number.
    return sorted((i.customer.display_name, i.number, i.status, i.total, i.amount_paid)
                  for i in db.session.scalars(db.select(Invoice)))


def test_demo_invoices_cover_every_state_and_add_up(app, db):
    summary = seed_demo_invoices(today=date(2025, 6, 30))
    db.session.commit()
    assert summary["invoices"] == 150 and summary["payments"] > 50
    invoices = db.session.scalars(db.select(Invoice)).all()
    states = Counter(i.status for i in invoices)
    assert set(states) == {"draft", "finalized", "partially_paid", "paid", "void"}
    assert any(rules.is_overdue(i, date(2025, 6, 30)) for i in invoices)
    for invoice in invoices:
        assert money.compute_totals(invoice.lines).total == invoice.total > 0
        assert invoice.amount_paid == sum(p.amount for p in invoice.payments)
        if invoice.status == "paid":
            assert invoice.balance == 0
        if invoice.status == "partially_paid":
            assert 0 < invoice.amount_paid < invoice.total
    # One continuous series a year, in the order of the issue dates; drafts unnumbered.
    issued = sorted((i for i in invoices if i.status != "draft"),
                    key=lambda i: (i.number_year, i.number_seq))
    for year in {i.number_year for i in issued}:
        mine = [i for i in issued if i.number_year == year]
        assert [i.number_seq for i in mine] == list(range(1, len(mine) + 1))
        assert [i.number for i in mine][:2] == [f"{year}-0001", f"{year}-0002"]
        assert all(i.issue_date.year == year for i in mine)
    assert [i.issue_date for i in issued] == sorted(i.issue_date for i in issued)
    assert all(i.issued_number is None for i in invoices if i.status == "draft")
    assert seed_demo_invoices() == {"invoices": 0, "payments": 0}  # only once


def test_demo_invoices_are_deterministic(app, db):
    seed_demo_invoices(today=date(2025, 6, 30))
    first = _snapshot(db)
    db.session.rollback()
    seed_demo_invoices(today=date(2025, 6, 30))
    assert _snapshot(db) == first
