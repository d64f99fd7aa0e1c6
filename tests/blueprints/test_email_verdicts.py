"""Overturning a bounce verdict from the email history and the bounce review list."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.mail import outbox
from app.mail.consequences import after_complaint, after_rejection
from app.mail.recorder import NewEvent, dedupe_key, store_events
from app.models import AuditLog, Customer, CustomerEmail, EmailEvent, EmailMessage
from app.models.base import utcnow
from tests.conftest import csrf_token
from tests.factories import make_customer, make_invoice

HX = {"HX-Request": "true"}


def _bounced(owner=None, reason="userunknown", diagnostic="550 5.1.1 user unknown"):
    """An invoice email refused for `reason`, with its consequences applied."""
    customer = make_customer(emails=("ann@example.org",), owner=owner)
    invoice = make_invoice(customer)
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("ann@example.org")],
                                     subject="Invoice", body="Hi", invoice=invoice,
                                     attach_pdf=False)
    message.state = "sent"
    db.session.commit()
    store_events([NewEvent(message_id=message.id, type="rejected", occurred_at=utcnow(),
                           source="dsn", dedupe_key=dedupe_key("bounce", message.id),
                           code="5.1.1", diagnostic=diagnostic, reason=reason)])
    after_rejection(message, reason=reason, words=diagnostic)
    db.session.commit()
    event = db.session.scalars(db.select(EmailEvent)).one()
    return customer, invoice, message, event


def _post(client, event, *, headers=None, **form):
    data = {"csrf_token": csrf_token(client, "/"), **form}
    return client.post(f"/invoices/emails/verdicts/{event.id}/overturn", data=data,
                       headers=headers or {})


def _email() -> CustomerEmail:
    db.session.expire_all()
    return db.session.scalars(db.select(CustomerEmail)).one()


def test_the_history_says_why_in_plain_words_and_offers_to_overturn(client, login_as):
    login_as("billing")
    customer, invoice, message, event = _bounced()
    popup = client.get(f"/invoices/{invoice.id}/emails/history", headers=HX).text
    assert "Rejected — the address does not exist" in popup
    assert "The address is wrong" in popup
    assert f'/invoices/emails/verdicts/{event.id}/overturn' in popup
    assert "This verdict is wrong" in popup
    page = client.get(f"/invoices/{invoice.id}").text  # the invoice page's emails section
    assert "Rejected — the address does not exist" in page and "This verdict is wrong" in page


def test_a_viewer_sees_the_words_but_no_form_and_may_not_post(client, login_as):
    login_as("viewer")
    _, invoice, _, event = _bounced()
    popup = client.get(f"/invoices/{invoice.id}/emails/history", headers=HX).text
    assert "Rejected — the address does not exist" in popup
    assert "This verdict is wrong" not in popup
    assert _post(client, event).status_code == 403
    assert _email().state == "invalid"
    assert db.session.scalars(db.select(AuditLog).filter_by(
        action="permission.denied")).first().details["permission"] == "mail.overturn"


def test_overturning_restores_the_address_and_is_audited(client, login_as):
    user = login_as("billing")
    customer, invoice, message, event = _bounced()
    assert db.session.get(Customer, customer.id).needs_review
    response = _post(client, event, note="Spoke to Ann today, she gets our mail")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/invoices/{invoice.id}/emails/history")
    email = _email()
    assert (email.state, email.suppressed, email.suppressed_reason) == ("ok", False, "")
    assert "overturned by" in email.state_reason
    assert not db.session.get(Customer, customer.id).needs_review
    event = db.session.get(EmailEvent, event.id)
    assert event.overturned_at and event.overturned_by_id == user.id
    assert event.overturn_note == "Spoke to Ann today, she gets our mail"
    (entry,) = db.session.scalars(db.select(AuditLog).filter_by(
        action="email.verdict_overturned"))
    assert entry.user_id == user.id and entry.subject_id == customer.id
    assert entry.details["restored"] == ["ann@example.org"]
    assert entry.details["reason"] == "userunknown" and entry.details["class"] == "address"
    # The email stays Rejected (it was not delivered); its history says the verdict went.
    assert db.session.get(EmailMessage, message.id).status == "rejected"
    popup = client.get(f"/invoices/{invoice.id}/emails/history", headers=HX).text
    assert "Verdict marked wrong" in popup and "Spoke to Ann today" in popup
    assert "This verdict is wrong" not in popup


def test_overturning_with_htmx_swaps_the_event_and_says_so(client, login_as):
    login_as("admin")
    _, _, _, event = _bounced()
    response = _post(client, event, headers=HX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li id="email-event-{event.id}"')
    assert "Verdict marked wrong" in response.text and "<html" not in response.text
    assert "ann@example.org can be emailed again" in response.headers["HX-Trigger"]
    assert _email().state == "ok"


def test_a_second_overturn_changes_nothing(client, login_as):
    login_as("billing")
    _, _, _, event = _bounced()
    _post(client, event)
    _email().state = "invalid"  # someone set it by hand since
    db.session.commit()
    response = _post(client, event, headers=HX)
    assert "already marked wrong" in response.headers["HX-Trigger"]
    assert _email().state == "invalid"
    assert len(db.session.scalars(db.select(AuditLog).filter_by(
        action="email.verdict_overturned")).all()) == 1


def test_staff_overturns_only_for_their_own_customers(client, login_as, make_user):
    staff = login_as("staff")
    _, _, _, theirs = _bounced(owner=make_user("staff"))
    assert _post(client, theirs).status_code == 404
    assert _email().state == "invalid"
    db.session.execute(db.update(Customer).values(owner_id=staff.id))
    db.session.commit()
    assert _post(client, theirs).status_code == 303
    assert _email().state == "ok"


def test_overturning_needs_the_csrf_token(client, login_as):
    login_as("admin")
    _, _, _, event = _bounced()
    response = client.post(f"/invoices/emails/verdicts/{event.id}/overturn")
    assert response.status_code == 400
    assert _email().state == "invalid"


def test_a_complaint_s_suppression_survives_overturning_a_bounce(client, login_as):
    login_as("admin")
    _, _, message, event = _bounced(reason="blocked", diagnostic="550 5.7.1 blocked")
    after_complaint(db.session.get(EmailMessage, message.id))
    db.session.commit()
    _post(client, event)
    email = _email()
    assert (email.state, email.suppressed, email.suppressed_reason) == (
        "ok", True, "spam complaint")


@pytest.mark.parametrize("back", ["https://evil.example/x", "//evil.example/x",
                                  "/\\evil.example"])
def test_the_return_address_stays_on_this_site(client, login_as, back):
    login_as("admin")
    _, invoice, _, event = _bounced()
    response = _post(client, event, back=back)
    assert response.headers["Location"].endswith(f"/invoices/{invoice.id}/emails/history")


def test_only_a_refusal_can_be_overturned(client, login_as):
    login_as("admin")
    _, _, message, _ = _bounced()
    store_events([NewEvent(message_id=message.id, type="opened", occurred_at=utcnow(),
                           source="pixel", dedupe_key="open-1")])
    db.session.commit()
    opened = db.session.scalars(db.select(EmailEvent).filter_by(type="opened")).one()
    response = _post(client, opened, headers=HX)
    assert "Only a refusal" in response.headers["HX-Trigger"]
    assert db.session.get(EmailEvent, opened.id).overturned_at is None


def test_the_review_list_shows_verdicts_and_office_alerts_and_overturns(client, login_as):
    login_as("admin")
    _, _, _, event = _bounced(reason="blocked",
                              diagnostic="550 5.7.1 blocked using zen.spamhaus.org")
    listing = client.get("/admin/bounces").text
    assert "Receiving servers refused mail from your office" in listing
    assert "blocked using zen.spamhaus.org" in listing and "blocklist" in listing
    verdicts = client.get("/admin/bounces/verdicts?class=office").text
    assert "the receiving server refused mail from your office (blocked)" in verdicts
    assert f"/invoices/emails/verdicts/{event.id}/overturn" in verdicts
    assert "No refusals" in client.get("/admin/bounces/verdicts?class=mailbox").text
    response = _post(client, event, back="/admin/bounces/verdicts?class=office")
    assert response.headers["Location"].endswith("/admin/bounces/verdicts?class=office")
    assert "Receiving servers refused" not in client.get("/admin/bounces").text


def test_a_processed_bounce_s_page_offers_to_overturn_what_it_changed(client, login_as):
    from app.mail import inbound
    from tests.support.bounce_mail import dsn

    login_as("admin")
    customer = make_customer(emails=("gone@example.org",))
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("gone@example.org")],
                                     subject="Invoice", body="Hi",
                                     invoice=make_invoice(customer), attach_pdf=False)
    db.session.commit()
    inbound_id = inbound.store(dsn(message, "5.1.1", "550 5.1.1 user unknown"), via="pipe")
    assert inbound.process(inbound_id) == "processed"
    event = db.session.scalars(db.select(EmailEvent)).one()
    page = client.get(f"/admin/bounces/{inbound_id}").text
    assert "What it changed" in page and "Rejected — the address does not exist" in page
    assert f"/invoices/emails/verdicts/{event.id}/overturn" in page
    response = _post(client, event, back=f"/admin/bounces/{inbound_id}")
    assert response.headers["Location"].endswith(f"/admin/bounces/{inbound_id}")
    assert _email().state == "ok"


def test_open_pages_learn_of_an_overturned_verdict(client, login_as):
    from datetime import timedelta

    from app.mail import live

    login_as("billing")
    _, invoice, message, event = _bounced()
    since = utcnow() + timedelta(milliseconds=1)
    assert live.changed([invoice.id], since) == set()
    _post(client, event)
    assert live.maybe_changed([invoice.id], since)
    assert live.changed([invoice.id], since) == {invoice.id}
    assert live.changed([message.customer_id], since, kind="customer") == {message.customer_id}
