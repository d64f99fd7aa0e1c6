"""The follow-up pages: staff limited to their own customers (seeing, adding, assigning,
acting), My follow-ups (overdue first, filters, pages), the file's section and history,
bad input answered with words, and one dismissal for the item and its suggestion."""
from __future__ import annotations

from datetime import timedelta

from app import clock
from app.extensions import db
from app.followups import tasks
from app.jobs.followups import suggest_followups
from app.models import AttentionItem, AuditLog, FollowUp, Notification
from tests.conftest import csrf_token
from tests.factories import make_customer, make_invoice


def _add(customer, user, title="Call back", days=0):
    followup = tasks.add(customer, tasks.Draft(title=title, assignee_id=user.id,
                                               due_on=clock.today() + timedelta(days=days)),
                         user)
    db.session.commit()
    return followup


def _form(client, customer_id, **fields):
    data = {"title": "Ask about the new address", "due_on": clock.today().isoformat(),
            "due_time": "", "notes": "", "invoice_id": "0",
            "csrf_token": csrf_token(client, f"/followups/customers/{customer_id}")}
    data.update(fields)
    return client.post(f"/followups/customers/{customer_id}", data=data)


def test_staff_cannot_see_or_act_on_other_customers_follow_ups(client, login_as, make_user):
    staff = login_as("staff")
    bob = make_user("staff")
    theirs = make_customer(owner=bob)
    followup = _add(theirs, bob)
    token = csrf_token(client, "/followups/")
    assert client.get(f"/followups/customers/{theirs.id}").status_code == 404
    assert _form(client, theirs.id, assignee_id=str(staff.id)).status_code == 404
    for action in ("done", "accept", "dismiss", "reopen"):
        answer = client.post(f"/followups/{followup.id}/{action}", data={"csrf_token": token})
        assert answer.status_code == 404, action
    assert "Call back" not in client.get("/followups/?show=open").text
    db.session.refresh(followup)
    assert followup.state == "open"


def test_the_person_responsible_must_see_the_customer(client, login_as, make_user):
    admin = login_as("admin")
    owner, other = make_user("staff", name="Olga"), make_user("staff", name="Ned")
    customer = make_customer(owner=owner)
    refused = _form(client, customer.id, assignee_id=str(other.id))
    assert refused.status_code == 422
    assert "Not a valid choice" in refused.text  # Ned is not offered at all
    assert "Ned" not in client.get(f"/followups/customers/{customer.id}").text
    added = _form(client, customer.id, assignee_id=str(owner.id), due_time="09:30")
    assert added.status_code == 303
    followup = db.session.scalar(db.select(FollowUp))
    assert (followup.assignee_id, followup.created_by_id, str(followup.due_time)) == (
        owner.id, admin.id, "09:30:00")
    note = db.session.scalar(db.select(Notification))
    assert (note.user_id, note.kind, note.link) == (owner.id, "followup_assigned",
                                                    "/followups/")
    entry = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "followup.added"))
    assert (entry.subject_type, entry.subject_id, entry.user_id) == (
        "customer", customer.id, admin.id)


def test_bad_input_is_a_clear_422_never_a_500(client, login_as):
    staff = login_as("staff")
    customer = make_customer(owner=staff)
    for fields, words in (({"title": ""}, "Say what to follow up."),
                          ({"due_on": "next tuesday"}, "Give a due date (YYYY-MM-DD)."),
                          ({"due_time": "25:99"}, "Not a valid time"),
                          ({"invoice_id": "x"}, "class=\"field-error\"")):
        answer = _form(client, customer.id, assignee_id=str(staff.id), **fields)
        assert answer.status_code == 422, fields
        assert words in answer.text, fields
    other_invoice = make_invoice()
    answer = _form(client, customer.id, assignee_id=str(staff.id),
                   invoice_id=str(other_invoice.id))
    assert answer.status_code == 422
    assert db.session.scalar(db.select(db.func.count(FollowUp.id))) == 0


def test_a_viewer_sees_follow_ups_but_cannot_add_or_complete(client, login_as, make_user):
    login_as("viewer")
    owner = make_user("staff")
    customer = make_customer(owner=owner)
    followup = _add(customer, owner, "Send the contract")
    page = client.get(f"/followups/customers/{customer.id}")
    assert page.status_code == 200 and "Send the contract" in page.text
    assert "Add a follow-up" not in page.text and "followup-done" not in page.text
    token = csrf_token(client, "/followups/")
    assert client.post(f"/followups/{followup.id}/done",
                       data={"csrf_token": token}).status_code == 403
    assert _form(client, customer.id).status_code == 403


def test_my_follow_ups_come_overdue_first_page_by_page(client, login_as):
    staff = login_as("staff")
    customer = make_customer(owner=staff)
    for n in range(26):
        _add(customer, staff, f"Task {n:02}", days=n - 1)  # Task 00 is a day overdue
    page = client.get("/followups/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert text.index("Task 00") < text.index("Task 01") < text.index("Task 24")
    assert "Overdue" in text and "Task 25" not in text
    assert "1–25 of 26 follow-ups" in text
    assert "Task 25" in client.get("/followups/?page=2").text
    assert "Nothing done yet" in client.get("/followups/?show=done").text
    assert client.get("/followups/?show=nonsense&page=x").status_code == 200


def test_accept_then_complete_from_my_follow_ups_with_htmx(client, login_as):
    staff = login_as("staff")
    customer = make_customer(owner=staff)
    make_invoice(customer, due_date=clock.today() - timedelta(days=3))
    suggest_followups()
    followup = db.session.scalar(db.select(FollowUp))
    token = csrf_token(client, "/followups/")
    listed = client.get("/followups/?show=suggested").text
    assert "Chase the overdue invoice" in listed
    htmx = {"HX-Request": "true"}
    answer = client.post(f"/followups/{followup.id}/accept", headers=htmx,
                         data={"csrf_token": token, "back": "suggested"})
    assert answer.status_code == 200 and 'id="followup-list"' in answer.text
    assert "<html" not in answer.text and "timeline-changed" in answer.headers["HX-Trigger"]
    answer = client.post(f"/followups/{followup.id}/done",
                         data={"csrf_token": token, "back": "open"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(
        "/followups/?show=open")
    db.session.refresh(followup)
    assert (followup.state, followup.completed_by_id) == ("done", staff.id)
    assert "Chase the overdue invoice" in client.get("/followups/?show=done").text
    history = client.get(f"/customers/{customer.id}/timeline").text
    assert "Follow-up done: Chase the overdue invoice" in history
    assert "Follow-up: Chase the overdue invoice" in history


def test_the_file_loads_its_follow_ups_section(client, login_as):
    staff = login_as("staff")
    customer = make_customer(owner=staff)
    _add(customer, staff, "Ring the accountant")
    page = client.get(f"/customers/{customer.id}").text
    assert f'hx-get="/followups/customers/{customer.id}"' in page
    section = client.get(f"/followups/customers/{customer.id}", headers={"HX-Request": "true"})
    assert section.text.lstrip().startswith('<section id="followups"')
    assert "Ring the accountant" in section.text and "Add a follow-up" in section.text


def test_dismissing_the_home_page_item_dismisses_its_suggestion(client, login_as):
    staff = login_as("staff")
    make_invoice(make_customer(owner=staff), due_date=clock.today() - timedelta(days=3))
    suggest_followups()
    item = db.session.scalar(db.select(AttentionItem))
    assert "Suggested follow-up" in client.get("/").text
    answer = client.post(f"/attention/{item.id}/dismiss",
                         data={"csrf_token": csrf_token(client)})
    assert answer.status_code == 303
    assert db.session.scalar(db.select(FollowUp.state)) == "dismissed"
    assert suggest_followups()["suggested"] == 0


def test_changing_a_follow_up_keeps_the_same_rules(client, login_as, make_user):
    staff = login_as("staff")
    admin, other = make_user("admin", name="Ada"), make_user("staff", name="Ned")
    customer = make_customer(owner=staff)
    followup = _add(customer, staff, "Call back", days=-1)
    suggest_followups()  # it is overdue: a "due" item
    page = client.get(f"/followups/{followup.id}/edit")
    assert page.status_code == 200 and 'value="Call back"' in page.text
    assert "Ned" not in page.text  # only people who can see the customer are offered
    token = csrf_token(client, f"/followups/{followup.id}/edit")
    fields = {"title": "Call back after the holidays", "due_on":
              (clock.today() + timedelta(days=10)).isoformat(), "due_time": "",
              "notes": "", "invoice_id": "0", "csrf_token": token}
    refused = client.post(f"/followups/{followup.id}/edit",
                          data=fields | {"assignee_id": str(other.id)})
    assert refused.status_code == 422
    saved = client.post(f"/followups/{followup.id}/edit",
                        data=fields | {"assignee_id": str(admin.id)})
    assert saved.status_code == 303
    db.session.refresh(followup)
    assert (followup.title, followup.assignee_id) == ("Call back after the holidays", admin.id)
    due = db.session.scalar(db.select(AttentionItem).where(
        AttentionItem.kind == "followup_due"))
    assert due.resolved_at is not None  # due in ten days now: off the home page
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == admin.id))
    assert note.kind == "followup_assigned"
    assert db.session.scalar(db.select(AuditLog.action).where(
        AuditLog.action == "followup.changed")) == "followup.changed"
    # Now the admin's: still the staff member's customer, so still theirs to see.
    tasks.complete(followup, admin)
    db.session.commit()
    assert client.get(f"/followups/{followup.id}/edit").status_code == 409
    theirs = _add(make_customer(owner=other), other)
    assert client.get(f"/followups/{theirs.id}/edit").status_code == 404
