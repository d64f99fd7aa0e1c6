"""A customer changing hands takes its follow-ups along from whoever can no longer see it:
by the file's Assignment section, and by a merge."""
from __future__ import annotations

from datetime import date

from app.customers.merge import merge_customers
from app.extensions import db
from app.followups import tasks
from app.models import FollowUp, Notification
from tests.conftest import csrf_token
from tests.factories import make_customer


def _task(customer, user, title="Call back") -> FollowUp:
    followup = tasks.add(customer, tasks.Draft(title=title, due_on=date(2026, 12, 24),
                                               assignee_id=user.id), user)
    db.session.commit()
    return followup


def test_reassigning_a_customer_moves_the_old_owners_follow_ups_to_the_new_one(
        client, login_as, make_user):
    admin = login_as("admin")
    sam, kim = make_user("staff", name="Sam"), make_user("staff", name="Kim")
    customer = make_customer(owner=sam)
    sams = _task(customer, sam)
    admins = _task(customer, admin, "Send the contract")  # an admin still sees it: stays
    done = _task(customer, sam, "Old call")
    tasks.complete(done, sam)
    db.session.commit()
    edit = f"/customers/{customer.id}/assignment/edit"
    response = client.post(edit, data={
        "csrf_token": csrf_token(client, edit), "owner_id": kim.id,
        "status": customer.status, "tags": "", "last_verified_on": "",
        "needs_review_reason": ""})
    assert response.status_code in (200, 303), response.text[:300]
    db.session.expire_all()
    assert db.session.get(FollowUp, sams.id).assignee_id == kim.id
    assert db.session.get(FollowUp, admins.id).assignee_id == admin.id
    assert db.session.get(FollowUp, done.id).assignee_id == sam.id  # history stays
    told = db.session.scalars(db.select(Notification).filter_by(user_id=kim.id)).all()
    assert [n.kind for n in told] == ["followup_assigned"]
    # Sam's list no longer holds a task about a customer Sam cannot open.
    assert sams.id not in [f.id for f in db.session.scalars(tasks.mine(sam, tasks.OPEN))]
    assert sams.id in [f.id for f in db.session.scalars(tasks.mine(kim, tasks.OPEN))]


def test_a_merge_gives_the_merged_files_follow_ups_to_the_survivors_owner(app, make_user):
    admin = make_user("admin")
    sam, kim = make_user("staff"), make_user("staff")
    survivor, merged = make_customer(owner=kim), make_customer(owner=sam)
    sams = _task(merged, sam)
    merge_customers(survivor, merged, {}, user=admin)
    db.session.commit()
    db.session.expire_all()
    followup = db.session.get(FollowUp, sams.id)
    assert (followup.customer_id, followup.assignee_id) == (survivor.id, kim.id)


def test_with_no_owner_who_may_hold_it_the_follow_up_is_nobodys(app, make_user):
    sam = make_user("staff")
    customer = make_customer(owner=sam)
    sams = _task(customer, sam)
    customer.owner_id = None
    db.session.flush()
    db.session.refresh(customer, ["owner"])
    assert tasks.follow_new_owner(customer, None) == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(FollowUp, sams.id).assignee_id is None


def test_an_import_that_gives_a_customer_to_someone_else_moves_their_follow_ups(
        app, make_user):
    from app.customers import csv_import

    admin = make_user("admin")
    sam, kim = make_user("staff"), make_user("staff")
    customer = make_customer(first_name="Ana", last_name="Lopez", owner=sam,
                             emails=("ana@client.example",))
    sams = _task(customer, sam)
    data = csv_import.read_csv(
        f"First name,Last name,Email,Responsible\nAna,Lopez,ana@client.example,{kim.email}\n"
        .encode())
    review = csv_import.validate(data, ["first_name", "last_name", "email", "owner_email"],
                                 "update", "GB")
    assert review.ok and review.count("update") == 1
    csv_import.apply(review, user=admin, filename="owners.csv")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(FollowUp, sams.id).assignee_id == kim.id
