"""The periodic scan raises the time-based items and resolves those that cleared."""
from __future__ import annotations

from datetime import timedelta

from app import clock
from app.attention import scan
from app.extensions import db
from app.jobs.attention import scan_attention
from app.models import AttentionItem
from tests.factories import add_events, make_customer, make_invoice, make_message


def _open_keys() -> list[str]:
    return sorted(db.session.scalars(db.select(AttentionItem.dedupe_key).where(
        AttentionItem.resolved_at.is_(None))))


def test_an_email_delayed_for_over_a_day_is_raised_and_resolved_when_delivered(app, db):
    now = clock.now()
    invoice = make_invoice()
    old = make_message(invoice, created=now - timedelta(hours=30))
    fresh = make_message(invoice, created=now - timedelta(hours=2))
    add_events(old, ("delayed", now - timedelta(hours=29)))
    add_events(fresh, ("delayed", now - timedelta(hours=1)))
    assert (old.status, fresh.status) == ("delayed", "delayed")
    assert scan_attention() == {"raised": 1, "resolved": 0}
    assert _open_keys() == [f"email_delayed:{old.id}"]
    assert scan_attention() == {"raised": 0, "resolved": 0}  # safe to run twice
    add_events(old, ("opened", now - timedelta(minutes=5)))
    assert scan_attention()["resolved"] == 1
    assert _open_keys() == []


def test_an_overdue_invoice_never_opened_is_raised_until_opened_or_paid(app, db):
    today = clock.today()
    never = make_invoice(due_date=today - timedelta(days=3))
    make_message(never)
    opened = make_invoice(due_date=today - timedelta(days=3))
    add_events(make_message(opened), ("opened", clock.now()))
    not_due = make_invoice(due_date=today + timedelta(days=3))
    make_message(not_due)
    make_invoice(due_date=today - timedelta(days=3))  # never emailed: nothing to open
    scan.scan()
    db.session.commit()
    assert _open_keys() == [f"invoice_unopened:{never.id}"]
    never.status, never.amount_paid = "paid", never.total
    db.session.commit()
    assert scan.scan()["resolved"] == 1


def test_contacts_needing_review_come_and_go_with_the_flag(app, db):
    customer = make_customer(needs_review=True, needs_review_reason="a@x.org bounced")
    scan.scan()
    db.session.commit()
    item = db.session.scalar(db.select(AttentionItem))
    assert (item.kind, item.customer_id, item.detail) == (
        "contact_review", customer.id, "a@x.org bounced")
    customer.needs_review = False
    db.session.commit()
    scan.scan()
    db.session.commit()
    assert _open_keys() == []
