"""Whose problem a failure is, end to end: a bounce through `inbound.process` and a refusal
from a real SMTP server, each class with its one consequence."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.jobs.mail import send_messages
from app.mail import inbound, outbox, review
from app.mail.recorder import NewEvent, dedupe_key, store_events
from app.models import AuditLog, Customer, CustomerEmail, EmailEvent, EmailMessage
from app.models.base import utcnow
from tests.factories import make_customer, make_invoice
from tests.support.bounce_mail import dsn, sent_email




def _bounce(message, status: str, diagnostic: str, action: str = "failed") -> EmailEvent:
    assert inbound.process(inbound.store(dsn(message, status, diagnostic, action),
                                         via="pipe")) == "processed"
    db.session.expire_all()
    return db.session.get(EmailMessage, message.id).events[-1]


def _email() -> CustomerEmail:
    return db.session.scalars(db.select(CustomerEmail)).one()


def _audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(db.select(AuditLog).filter_by(action=action)))


def _untouched(customer) -> None:
    email = _email()
    assert (email.state, email.suppressed, email.problem) == ("ok", False, "")
    assert not db.session.get(Customer, customer.id).needs_review
    assert not _audit("customer.email_bounced")


def test_a_bounce_of_class_address_marks_it_invalid_and_flags_the_customer(app):
    customer, message = sent_email("gone@example.org")
    event = _bounce(message, "5.1.1", "550 5.1.1 <gone@example.org>: user unknown")
    assert (event.type, event.reason, event.failure_class) == (
        "rejected", "userunknown", "address")
    email = _email()
    assert (email.state, email.suppressed) == ("invalid", True)
    assert email.state_reason.startswith("Rejected — the address does not exist")
    customer = db.session.get(Customer, customer.id)
    assert customer.needs_review
    assert customer.needs_review_reason == (
        "gone@example.org bounced: Rejected — the address does not exist")
    assert len(_audit("customer.email_bounced")) == 1


def test_a_full_mailbox_keeps_the_address_and_tells_the_owner_until_a_delivery(
        app, make_user):
    owner = make_user("staff", email="owner@office.example")
    customer, message = sent_email("full@example.org", owner=owner)
    event = _bounce(message, "5.2.2", "552 5.2.2 <full@example.org>: mailbox full")
    assert (event.reason, event.failure_class) == ("mailboxfull", "mailbox")
    email = _email()
    assert (email.state, email.suppressed, email.problem) == ("ok", False, "mailbox")
    assert "the mailbox is full" in email.state_reason
    assert not db.session.get(Customer, customer.id).needs_review
    (told,) = _audit("customer.email_mailbox_problem")
    assert told.subject_id == customer.id and told.details["responsible"] == owner.email
    assert "owner@office.example to follow up" in told.summary

    # A later email to the same address is delivered: the mailbox problem clears itself.
    (later,) = outbox.add_messages(recipients=[outbox.Recipient("full@example.org")],
                                   subject="Invoice", body="Hi", invoice=message.invoice,
                                   attach_pdf=False)
    db.session.commit()
    store_events([NewEvent(message_id=later.id, type="sent", occurred_at=utcnow(),
                           source="webhook:sendgrid", delivered=True,
                           dedupe_key=dedupe_key("delivered", later.id))])
    db.session.commit()
    db.session.expire_all()
    email = _email()
    assert (email.state, email.problem, email.problem_at, email.state_reason) == (
        "ok", "", None, "")
    assert len(_audit("customer.email_mailbox_cleared")) == 1


def test_a_relay_accepting_an_email_does_not_clear_a_mailbox_problem(app):
    _, message = sent_email("full@example.org")
    _bounce(message, "5.2.2", "552 5.2.2 mailbox full")
    store_events([NewEvent(message_id=message.id, type="sent", occurred_at=utcnow(),
                           source="smtp", dedupe_key=dedupe_key("relay", message.id))])
    db.session.commit()
    db.session.expire_all()
    assert _email().problem == "mailbox"  # our relay's "250 queued" proves no mailbox


def test_a_delivery_older_than_the_mailbox_problem_does_not_clear_it(app):
    _, message = sent_email("full@example.org")
    before = utcnow()
    _bounce(message, "5.2.2", "552 5.2.2 mailbox full")
    store_events([NewEvent(message_id=message.id, type="opened", occurred_at=before.replace(
        year=before.year - 1), source="pixel", dedupe_key=dedupe_key("old open", message.id))])
    db.session.commit()
    db.session.expire_all()
    assert _email().problem == "mailbox"


def test_a_refusal_of_the_office_never_touches_the_address_and_alerts_admins(app):
    customer, message = sent_email("ann@example.org")
    words = ("550 5.7.1 Service unavailable; client [192.0.2.9] blocked using "
             "zen.spamhaus.org")
    event = _bounce(message, "5.7.1", words)
    assert (event.reason, event.failure_class) == ("blocked", "office")
    _untouched(customer)
    (alert,) = _audit("mail.office_refused")
    assert "blocked using zen.spamhaus.org" in alert.summary
    assert "blocklist" in alert.summary and "SPF, DKIM" in alert.summary
    assert [e.id for e in review.office_alerts()] == [event.id]


def test_a_refused_message_tells_the_sender_and_leaves_the_address(app):
    customer, message = sent_email("ann@example.org")
    event = _bounce(message, "5.3.4", "552 5.3.4 Message size exceeds fixed limit")
    assert (event.reason, event.failure_class) == ("emailtoolarge", "message")
    _untouched(customer)
    (told,) = _audit("email.message_refused")
    assert told.subject_type == "invoice" and told.subject_id == message.invoice_id
    assert "the email is too large" in told.summary


def test_another_problem_changes_nothing(app):
    customer, message = sent_email("ann@example.org")
    event = _bounce(message, "5.4.7", "550 5.4.7 delivery time expired")
    assert (event.reason, event.failure_class) == ("expired", "other")
    _untouched(customer)
    assert not _audit("mail.office_refused") and not _audit("email.message_refused")
    assert not _audit("customer.email_mailbox_problem")


def test_a_delay_stores_its_reason_and_changes_nothing(app):
    customer, message = sent_email("ann@example.org")
    event = _bounce(message, "4.2.2", "452 4.2.2 mailbox full", action="delayed")
    assert (event.type, event.reason, event.failure_class) == (
        "delayed", "mailboxfull", "mailbox")
    _untouched(customer)


# -- the same classes from our own SMTP session, against a real server ----------------------

def _queue(address: str):
    customer = make_customer(emails=(address,))
    (message,) = outbox.add_messages(recipients=[outbox.Recipient(address)],
                                     subject="Invoice", body="Hi",
                                     invoice=make_invoice(customer), attach_pdf=False)
    db.session.commit()
    return customer, message.id


def _sent_through(smtp, address: str, reply: str) -> tuple[Customer, EmailMessage]:
    from app.jobs.mail import DeliveryDeferred

    customer, mid = _queue(address)
    smtp.answer(address, reply)
    try:
        send_messages([mid])
    except DeliveryDeferred:
        pass  # RQ would retry
    db.session.expire_all()
    return customer, db.session.get(EmailMessage, mid)


def test_a_recipient_refused_as_blocked_is_the_office_s_problem_not_the_address(app, smtp):
    customer, message = _sent_through(
        smtp, "ann@example.org",
        "rcpt:550 5.7.1 Service unavailable; client [127.0.0.1] blocked using zen.spamhaus.org")
    assert (message.state, message.status, message.smtp_code) == ("rejected", "rejected", 550)
    (event,) = message.events
    assert (event.source, event.reason, event.failure_class) == ("smtp", "blocked", "office")
    _untouched(customer)
    (alert,) = _audit("mail.office_refused")
    assert "zen.spamhaus.org" in alert.details["server_said"]


def test_a_recipient_refused_as_unknown_is_the_address_s_problem(app, smtp):
    customer, message = _sent_through(
        smtp, "gone@example.org", "rcpt:550 5.1.1 <gone@example.org>: User unknown")
    (event,) = message.events
    assert (event.reason, event.failure_class) == ("userunknown", "address")
    assert (_email().state, _email().suppressed) == ("invalid", True)
    assert db.session.get(Customer, customer.id).needs_review


def test_a_recipient_refused_for_a_full_mailbox_keeps_the_address(app, smtp):
    customer, message = _sent_through(
        smtp, "full@example.org", "rcpt:552 5.2.2 <full@example.org>: Mailbox full")
    assert message.status == "rejected"
    assert (message.events[0].reason, message.events[0].failure_class) == (
        "mailboxfull", "mailbox")
    email = _email()
    assert (email.state, email.suppressed, email.problem) == ("ok", False, "mailbox")


def test_a_message_refused_for_its_size_says_how_large_it_was(app, smtp):
    customer, message = _sent_through(
        smtp, "ann@example.org", "data:552 5.3.4 Message size exceeds fixed limit")
    (event,) = message.events
    assert (event.reason, event.failure_class) == ("emailtoolarge", "message")
    assert event.details["size"] > 100
    _untouched(customer)
    (told,) = _audit("email.message_refused")
    assert told.details["size"] == event.details["size"] and " KB" in told.summary


@pytest.mark.parametrize("reply", [
    "rcpt:450 4.2.2 <ann@example.org>: Mailbox full, try later",
    "rcpt:451 4.7.1 Service unavailable; client blocked using zen.spamhaus.org",
])
def test_a_temporary_refusal_is_delayed_with_its_reason_and_changes_nothing(app, smtp,
                                                                           reply):
    customer, message = _sent_through(smtp, "ann@example.org", reply)
    assert message.status == "delayed"
    (event,) = message.events
    assert event.type == "delayed" and event.failure_class in ("mailbox", "office")
    _untouched(customer)
    assert not _audit("mail.office_refused")
