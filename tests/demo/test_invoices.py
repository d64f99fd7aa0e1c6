"""Demo invoices: every state, consistent money, deterministic, run once."""
from __future__ import annotations

from collections import Counter
from datetime import date

from app.invoices import money, rules
from app.demo.invoices import seed_demo_invoices
from app.models import Invoice


def _snapshot(db):
    # Customer ids (and so number prefixes) differ between runs on PostgreSQL, whose
    # sequences a rollback does not rewind; compare by customer name and sequence.
    return sorted((i.customer.display_name, i.seq, i.status, i.total, i.amount_paid)
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
    # Numbers follow issue dates within each customer.
    for customer_id in {i.customer_id for i in invoices}:
        mine = sorted((i for i in invoices if i.customer_id == customer_id),
                      key=lambda i: i.seq)
        assert [i.issue_date for i in mine] == sorted(i.issue_date for i in mine)
    assert seed_demo_invoices() == {"invoices": 0, "payments": 0}  # only once


def test_demo_invoices_are_deterministic(app, db):
    seed_demo_invoices(today=date(2025, 6, 30))
    first = _snapshot(db)
    db.session.rollback()
    seed_demo_invoices(today=date(2025, 6, 30))
    assert _snapshot(db) == first
