"""The Settings pages for the invoice email and the stages, and the Reminders due page."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app import settings
from app.extensions import db
from app.models import EmailMessage, ReminderSend, ReminderStage
from tests.conftest import csrf_from
from tests.factories import make_customer, make_invoice, make_stage

TODAY = date(2026, 11, 23)


@pytest.fixture
def today(app):
    app.config["TODAY"] = TODAY
    return TODAY


def _post(client, path: str, data: dict, **headers):
    token = csrf_from(client.get(path).text) if "csrf_token" not in data else data["csrf_token"]
    return client.post(path, data={"csrf_token": token, **data}, headers=headers)


def test_the_invoice_email_template_is_saved_and_used_by_the_send_dialog(client, login_as, today):
    login_as("admin")
    invoice = make_invoice(make_customer(first_name="Ada", last_name="Byron"))
    response = _post(client, "/admin/settings/emails", {
        "action": "save", "subject": "Your invoice {invoice_number}",
        "body": "Hello {customer_name}, {amount_due} by {due_date}.\n{view_link}"})
    assert response.status_code == 303
    assert settings.get("templates.invoice_subject") == "Your invoice {invoice_number}"
    dialog = client.get(f"/invoices/{invoice.id}/email").text
    assert f"Your invoice {invoice.number}" in dialog
    assert "Hello Ada Byron, €100.00 by 7 December 2026." in dialog


@pytest.mark.parametrize("subject, body, field", [
    ("Invoice {invoice_no}", "Dear {customer_name}", "subject"),
    ("Invoice", "Dear {{ 7*7 }}", "body"),
    ("Invoice", "Dear {customer.__class__}", "body"),
])
def test_an_unknown_placeholder_is_refused_and_the_form_shown_again(
        client, login_as, subject, body, field):
    login_as("admin")
    response = _post(client, "/admin/settings/emails",
                     {"action": "save", "subject": subject, "body": body})
    assert response.status_code == 422
    assert "is not a placeholder" in response.text
    assert f'data-testid="{field}-error"' in response.text
    assert 'name="subject"' in response.text and "Dear" in response.text  # kept as typed
    assert settings.is_stored("templates.invoice_subject") is False


def test_the_live_preview_fills_the_placeholders_from_a_real_invoice(client, login_as, today):
    login_as("admin")
    older = make_invoice(make_customer(first_name="Old", last_name="One"),
                         issue_date=TODAY - timedelta(days=60))
    make_invoice(make_customer(first_name="New", last_name="One"))
    data = {"action": "preview", "subject": "About {invoice_number}",
            "body": "Dear {customer_name}, see {view_link}"}
    fragment = _post(client, "/admin/settings/emails", data, **{"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="preview"')  # the block only
    assert "Dear New One, see https://" in fragment.text
    chosen = _post(client, "/admin/settings/emails", {**data, "invoice": str(older.id)},
                   **{"HX-Request": "true"})
    assert f"About {older.number}" in chosen.text and "Dear Old One" in chosen.text
    bad = _post(client, "/admin/settings/emails", {**data, "body": "{{ 7*7 }}"},
                **{"HX-Request": "true"})
    assert bad.status_code == 422 and "{{ 7*7 }} is not a placeholder" in bad.text
    assert "49" not in bad.text


def test_send_me_a_test_is_untracked_system_mail_to_oneself(client, login_as, today):
    admin = login_as("admin")
    make_invoice(make_customer(first_name="Ada", last_name="Byron"))
    response = _post(client, "/admin/settings/emails", {
        "action": "test", "subject": "Hi {customer_name}", "body": "Body {view_link}"})
    assert response.status_code == 200 and f"on its way to {admin.email}" in response.text
    (message,) = db.session.scalars(db.select(EmailMessage)).all()
    assert (message.kind, message.to_address, message.subject) == \
        ("system", admin.email, "[Test] Hi Ada Byron")
    assert message.invoice_id is None and "each email gets its own" in message.body_text


def test_stages_are_added_edited_and_switched_keeping_their_id(client, login_as, today):
    login_as("admin")
    response = _post(client, "/admin/settings/reminders/new",
                     {"action": "save", "days": "3", "when": "before", "enabled": "1",
                      "subject": "Due soon: {invoice_number}", "body": "Dear {customer_name}"})
    assert response.status_code == 303
    (stage,) = db.session.scalars(db.select(ReminderStage)).all()
    assert (stage.offset_days, stage.enabled, stage.label) == (-3, True, "3 days before due")
    page = f"/admin/settings/reminders/{stage.id}"
    assert _post(client, page, {"action": "save", "days": "5", "when": "after",
                                "subject": "Late: {invoice_number}",
                                "body": "Dear {customer_name}"}).status_code == 303
    db.session.expire_all()
    assert db.session.scalars(db.select(ReminderStage.id)).all() == [stage.id]
    assert (stage.offset_days, stage.enabled) == (5, False)
    bad = _post(client, page, {"action": "save", "days": "x", "when": "after",
                               "subject": "s", "body": "b"})
    assert bad.status_code == 422 and "a whole number" in bad.text
    unknown = _post(client, page, {"action": "save", "days": "5", "when": "after",
                                   "subject": "{amount}", "body": "b"})
    assert unknown.status_code == 422 and "{amount} is not a placeholder" in unknown.text
    switched = _post(client, page + "/switch", {"enabled": "1",
                                                "csrf_token": csrf_from(client.get(
                                                    "/admin/settings/reminders").text)})
    assert switched.status_code == 303
    db.session.expire_all()
    assert stage.enabled is True


@pytest.mark.parametrize("role, status", [("billing", 403), ("staff", 403), ("viewer", 403)])
def test_only_admins_edit_templates_and_stages(client, login_as, role, status):
    login_as(role)
    assert client.get("/admin/settings/emails").status_code == status
    assert client.get("/admin/settings/reminders").status_code == status


def _late(owner=None, address=None):
    return make_invoice(make_customer(owner=owner, emails=(address,) if address else None),
                        due_date=TODAY - timedelta(days=8))


def test_reminders_due_lists_what_goes_and_what_is_skipped_and_why(client, login_as, today):
    make_stage(7)
    going = _late()
    nobody = make_invoice(make_customer(emails=()), due_date=TODAY - timedelta(days=8))
    login_as("billing")
    page = client.get("/reminders")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f'data-testid="due-{going.id}"' in page.text
    assert f'data-testid="skipped-{nobody.id}"' in page.text
    assert "No email address on the file" in page.text


def test_staff_see_and_send_only_their_own_customers_reminders(client, login_as, today,
                                                               make_user):
    make_stage(7)
    staff = login_as("staff")
    mine, theirs = _late(owner=staff), _late(owner=make_user("staff"))
    page = client.get("/reminders").text
    assert f"due-{mine.id}" in page and f"due-{theirs.id}" not in page
    stage_id = db.session.scalar(db.select(ReminderStage.id))
    confirm = client.get(f"/reminders/send?invoice={theirs.id}&stage={stage_id}")
    assert "Nothing to send" in confirm.text
    sent = client.post("/reminders/send", data={
        "csrf_token": csrf_from(page), "confirm": "yes", "invoice": str(theirs.id),
        "stage": str(stage_id)})
    assert sent.status_code == 303
    assert db.session.scalar(db.select(ReminderSend.id)) is None


def test_viewers_have_no_reminders_page(client, login_as):
    login_as("viewer")
    assert client.get("/reminders").status_code == 403
    assert client.get("/reminders/send?all=1").status_code == 403


def test_send_now_is_confirmed_then_sent_once(client, login_as, today):
    stage = make_stage(7)
    late = _late(address="late@example.org")
    login_as("billing")
    confirm = client.get(f"/reminders/send?invoice={late.id}&stage={stage.id}")
    assert confirm.status_code == 200 and "late@example.org" in confirm.text
    assert db.session.scalar(db.select(ReminderSend.id)) is None  # looking sends nothing
    data = {"csrf_token": csrf_from(confirm.text), "invoice": str(late.id),
            "stage": str(stage.id)}
    assert client.post("/reminders/send", data=data).status_code == 400  # not confirmed
    assert client.post("/reminders/send", data={**data, "confirm": "yes"}).status_code == 303
    again = client.post("/reminders/send", data={**data, "confirm": "yes"}, follow_redirects=True)
    assert "Nothing was sent" in again.text
    (message,) = db.session.scalars(db.select(EmailMessage)).all()
    assert (message.kind, message.to_address) == ("reminder", "late@example.org")
    assert client.get("/reminders/send?invoice=x&stage=1").status_code == 400
