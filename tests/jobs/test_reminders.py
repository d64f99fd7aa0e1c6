"""Overdue reminders: queued on schedule, once per step, tracked like invoice emails."""
from __future__ import annotations

from datetime import date, timedelta

from app.extensions import db
from app.mail.reminders import send_due_reminders
from app.models import EmailMessage
from tests.factories import make_customer, make_invoice


def test_reminders_are_queued_once_per_step_and_sent(app, smtp, run_worker):
    app.config["REMINDER_DAYS"] = "7,14"
    today = date(2026, 11, 23)
    late = make_invoice(make_customer(emails=("late@example.org",)),
                        due_date=today - timedelta(days=8))
    make_invoice(make_customer(emails=("ontime@example.org",)), due_date=today + timedelta(days=3))
    paid = make_invoice(make_customer(emails=("paid@example.org",)),
                        due_date=today - timedelta(days=8), status="paid")
    assert send_due_reminders(today) == 1
    assert send_due_reminders(today) == 0  # the 7-day step is done for this invoice
    run_worker()
    (message,) = db.session.scalars(db.select(EmailMessage)).all()
    assert (message.kind, message.invoice_id, message.state) == ("reminder", late.id, "sent")
    assert "8 days overdue" not in message.subject and "7 days overdue" in message.subject
    assert smtp.received[0].rcpt_tos == ["late@example.org"]
    assert paid.id != message.invoice_id
    # A week later the 14-day step comes due.
    assert send_due_reminders(today + timedelta(days=7)) == 1


def test_reminders_are_off_by_default(app):
    make_invoice(make_customer(), due_date=date(2026, 1, 1))
    assert send_due_reminders(date(2026, 11, 23)) == 0


def _late_invoice(address: str, today: date):
    return make_invoice(make_customer(emails=(address,)), due_date=today - timedelta(days=8))


def test_no_reminder_goes_where_the_last_email_was_rejected_as_a_wrong_address(app):
    from tests.factories import add_events, at, make_message

    app.config["REMINDER_DAYS"] = "7"
    today = date(2026, 11, 23)
    gone = _late_invoice("gone@example.org", today)
    full = _late_invoice("full@example.org", today)
    spam = _late_invoice("spam@example.org", today)
    fixed = _late_invoice("fixed@example.org", today)
    add_events(make_message(gone, to="gone@example.org", created=at("2026-11-01")),
               ("rejected", at("2026-11-01", "10:01"),
                {"code": "5.1.1", "diagnostic": "550 5.1.1 User unknown"}))
    add_events(make_message(full, to="full@example.org", created=at("2026-11-01")),
               ("rejected", at("2026-11-01", "10:01"),
                {"code": "5.2.2", "diagnostic": "552 5.2.2 Mailbox full"}))
    add_events(make_message(spam, to="spam@example.org", created=at("2026-11-01")),
               ("spam", at("2026-11-02")))
    # Rejected once, then a later email got through: the last one counts.
    add_events(make_message(fixed, to="fixed@example.org", created=at("2026-10-01")),
               ("rejected", at("2026-10-01", "10:01"),
                {"code": "5.1.1", "diagnostic": "550 5.1.1 User unknown"}))
    make_message(fixed, to="fixed@example.org", created=at("2026-11-01"))
    # The addresses were not suppressed (as after a person lifted the suppression).
    assert send_due_reminders(today) == 2
    reminded = set(db.session.scalars(db.select(EmailMessage.to_address).where(
        EmailMessage.kind == "reminder")))
    assert reminded == {"full@example.org", "fixed@example.org"}


def test_no_reminder_goes_to_a_customer_whose_reminders_are_switched_off(app):
    from app.mail import reminders

    app.config["REMINDER_DAYS"] = "7"
    today = date(2026, 11, 23)
    quiet = _late_invoice("quiet@example.org", today)
    quiet.customer.reminders_off = True
    quiet.customer.reminders_off_reason = "Pays by standing order on the 1st"
    reminded = _late_invoice("reminded@example.org", today)
    db.session.commit()
    assert send_due_reminders(today) == 1
    (message,) = db.session.scalars(db.select(EmailMessage)).all()
    assert message.invoice_id == reminded.id
    # The switch is read again when a reminder is made, not only when invoices are chosen.
    assert reminders._remind(quiet, 14) == []
    quiet.customer.reminders_off = False
    assert len(reminders._remind(quiet, 14)) == 1
