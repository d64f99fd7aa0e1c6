"""Follow-ups as tasks: who may hold one, adding, completing, and the lists' order."""
from __future__ import annotations

from datetime import time, timedelta

import pytest

from app import clock
from app.followups import tasks
from app.models import Notification
from tests.factories import make_customer, make_invoice


def _draft(title="Call about the renewal", days=0, **fields):
    return tasks.Draft(title=title, due_on=clock.today() + timedelta(days=days), **fields)


def test_a_follow_up_is_added_open_and_completed_by_whom_and_when(app, db, make_user):
    ann = make_user("staff", name="Ann")
    customer = make_customer(owner=ann)
    invoice = make_invoice(customer)
    followup = tasks.add(customer, _draft("  Call   Dora ", due_time=time(9, 30),
                                          notes="About the PDF", assignee_id=ann.id,
                                          invoice_id=invoice.id), ann)
    db.session.commit()
    assert (followup.title, followup.state, followup.assignee_id, followup.invoice_id,
            followup.due_time) == ("Call Dora", "open", ann.id, invoice.id, time(9, 30))
    assert tasks.complete(followup, ann) is True
    assert tasks.complete(followup, ann) is False  # done once
    db.session.commit()
    assert (followup.state, followup.completed_by_id) == ("done", ann.id)
    assert followup.completed_at is not None
    assert tasks.reopen(followup, ann) is True and followup.state == "open"
    assert followup.completed_at is None


def test_the_person_responsible_must_see_the_customer(app, db, make_user):
    ann, bob = make_user("staff"), make_user("staff")
    viewer, admin = make_user("viewer"), make_user("admin")
    gone = make_user("admin", active=False)
    customer = make_customer(owner=ann)
    assert [tasks.may_hold(customer, u) for u in (ann, bob, viewer, admin, gone)] == [
        True, False, False, True, False]
    assert {u.id for u in tasks.assignable_users(customer)} == {ann.id, admin.id}
    with pytest.raises(tasks.FollowUpError, match="cannot see this customer"):
        tasks.add(customer, _draft(assignee_id=bob.id), admin)
    with pytest.raises(tasks.FollowUpError, match="cannot see this customer"):
        tasks.add(customer, _draft(assignee_id=viewer.id), admin)


def test_an_invoice_of_another_customer_is_refused_and_a_title_is_needed(app, db, make_user):
    admin = make_user("admin")
    customer = make_customer()
    other = make_invoice(make_customer())
    with pytest.raises(tasks.FollowUpError, match="not this customer's"):
        tasks.add(customer, _draft(invoice_id=other.id), admin)
    with pytest.raises(tasks.FollowUpError, match="Say what"):
        tasks.add(customer, _draft("   "), admin)


def test_the_assignee_is_told_unless_they_gave_it_themselves(app, db, make_user):
    admin, ann = make_user("admin", name="Alma"), make_user("staff")
    customer = make_customer(owner=ann, first_name="Dora", last_name="Diaz")
    tasks.add(customer, _draft("Send the contract", assignee_id=ann.id), admin, link="/f")
    tasks.add(customer, _draft("Mine", assignee_id=admin.id), admin)
    db.session.commit()
    notes = db.session.scalars(db.select(Notification)).all()
    assert [(n.user_id, n.kind, n.link) for n in notes] == [(ann.id, "followup_assigned", "/f")]
    assert "Alma gave you a follow-up: Send the contract (Dora Diaz)" in notes[0].text


def test_my_follow_ups_come_overdue_first_and_only_mine(app, db, make_user):
    ann, bob = make_user("staff"), make_user("staff")
    mine, theirs = make_customer(owner=ann), make_customer(owner=bob)
    later = tasks.add(mine, _draft("later", 5, assignee_id=ann.id), ann)
    overdue = tasks.add(mine, _draft("overdue", -3, assignee_id=ann.id), ann)
    today_timed = tasks.add(mine, _draft("at nine", 0, due_time=time(9), assignee_id=ann.id),
                            ann)
    today = tasks.add(mine, _draft("today", 0, assignee_id=ann.id), ann)
    tasks.add(theirs, _draft("bob's", -9, assignee_id=bob.id), bob)
    finished = tasks.add(mine, _draft("finished", -1, assignee_id=ann.id), ann)
    tasks.complete(finished, ann)
    db.session.commit()
    got = db.session.scalars(tasks.mine(ann, "open")).all()
    assert [f.title for f in got] == ["overdue", "at nine", "today", "later"]
    assert [tasks.is_overdue(f) for f in got] == [True, False, False, False]
    assert [f.id for f in db.session.scalars(tasks.mine(ann, "done"))] == [finished.id]
    assert {later.id, today.id, today_timed.id, overdue.id} <= {f.id for f in got}


def test_staff_see_only_their_own_customers_follow_ups(app, db, make_user):
    ann, bob, viewer = make_user("staff"), make_user("staff"), make_user("viewer")
    theirs = tasks.add(make_customer(owner=bob), _draft(assignee_id=bob.id), bob)
    db.session.commit()
    assert tasks.visible_followup(theirs.id, ann) is None
    assert tasks.visible_followup(theirs.id, bob) is theirs
    assert tasks.visible_followup(theirs.id, viewer) is theirs  # sees every customer
