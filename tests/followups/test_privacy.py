"""A customer's follow-ups are in their data export and go with their erasure (and the
attention items and notifications about them with them)."""
from __future__ import annotations

import json
from datetime import time, timedelta

from app import clock
from app.customers.privacy import erase_customer, export_document
from app.followups import tasks
from app.jobs.followups import suggest_followups
from app.models import AttentionItem, FollowUp, Notification
from tests.factories import make_customer, make_invoice


def test_follow_ups_are_exported_and_erased_with_the_customer(app, db, make_user):
    admin, owner = make_user("admin"), make_user("staff", email="olga@example.com")
    customer = make_customer(owner=owner, first_name="Dora", last_name="Diaz")
    invoice = make_invoice(customer, due_date=clock.today() - timedelta(days=1))
    other = make_customer(owner=owner)
    tasks.add(customer, tasks.Draft(title="Ask Dora for her new address", notes="Mobile only",
                                    due_on=clock.today(), due_time=time(14, 0),
                                    assignee_id=owner.id, invoice_id=invoice.id), admin)
    kept = tasks.add(other, tasks.Draft(title="Someone else's", due_on=clock.today()), admin)
    db.session.commit()
    suggest_followups()  # an overdue suggestion, and a due item for each open task

    document = json.loads(json.dumps(export_document(customer, show_ids=False)))
    by_title = {f["title"]: f for f in document["follow_ups"]}
    assert set(by_title) == {"Ask Dora for her new address",
                             "Chase the overdue invoice"}
    mine = by_title["Ask Dora for her new address"]
    assert (mine["notes"], mine["due_time"], mine["state"], mine["invoice"],
            mine["responsible"]) == ("Mobile only", "14:00:00", "open", invoice.number,
                                     "olga@example.com")

    counts = erase_customer(customer)
    db.session.commit()
    assert counts["follow_ups"] == 2
    assert db.session.scalars(db.select(FollowUp.id)).all() == [kept.id]
    assert db.session.scalar(db.select(db.func.count(AttentionItem.id)).where(
        AttentionItem.customer_id == customer.id)) == 0
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.customer_id == customer.id)) == 0
    assert suggest_followups()["suggested"] == 0  # an erased customer gets no suggestion
