"""Fix and resend: an email rejected for its address goes again to another address of the
customer or to the corrected one; other failure classes say what to do instead."""
from __future__ import annotations

from app.attention.mail_problems import mail_problem
from app.extensions import db
from app.mail import outbox
from app.models import AttentionItem, AuditLog, CustomerEmail, EmailMessage
from tests.conftest import csrf_token
from tests.factories import add_events, at, make_customer, make_invoice, make_message


def _rejected_by_the_server(app, smtp, run_worker, customer, address="gone@example.org"):
    """An invoice email the (real, loopback) SMTP server refuses with 550 5.1.1."""
    invoice = make_invoice(customer)
    smtp.answer(address, "reject")
    (message,) = outbox.add_messages(recipients=[outbox.Recipient(address, "Gina")],
                                     subject=f"Invoice {invoice.number}", body="Dear Gina",
                                     invoice=invoice)
    db.session.commit()
    outbox.enqueue([message.id])
    run_worker()
    db.session.refresh(message)
    assert message.status == "rejected"
    return message


def test_correcting_the_address_resends_records_and_links(app, client, login_as, smtp,
                                                          run_worker):
    staff = login_as("staff")
    customer = make_customer(first_name="Gina", last_name="Gone", owner=staff,
                             emails=("gone@example.org", "other@example.org"))
    old = _rejected_by_the_server(app, smtp, run_worker, customer)
    mail_problem(old, "address")
    db.session.commit()
    page = client.get(f"/emails/{old.id}/fix")
    assert page.status_code == 200
    assert "The address is wrong or no longer exists" in page.text
    assert "other@example.org" in page.text  # offered as another address
    home = client.get("/").text
    assert f'href="/emails/{old.id}/fix"' in home

    response = client.post(f"/emails/{old.id}/fix", data={
        "csrf_token": csrf_token(client), "corrected": " Gina.Gone@Example.ORG "})
    assert response.status_code == 303
    run_worker()
    new = db.session.scalar(db.select(EmailMessage).where(EmailMessage.resent_from_id == old.id))
    assert (new.to_address, new.invoice_id, new.state) == ("gina.gone@example.org",
                                                          old.invoice_id, "sent")
    assert smtp.received[-1].rcpt_tos == ["gina.gone@example.org"]
    addresses = set(db.session.scalars(db.select(CustomerEmail.address).where(
        CustomerEmail.customer_id == customer.id)))
    assert addresses == {"gina.gone@example.org", "other@example.org"}
    entry = db.session.scalar(db.select(AuditLog).where(
        AuditLog.action == "customer.email_fixed_and_resent"))
    assert (entry.subject_id, entry.user_id) == (customer.id, staff.id)
    assert "gone@example.org corrected to gina.gone@example.org" in entry.summary
    item = db.session.scalar(db.select(AttentionItem))
    assert item.resolved_at is not None and item.resolved_by_id == staff.id
    # Once sent again, the page says so and a second resend is refused.
    assert "Sent again to" in client.get(f"/emails/{old.id}/fix").text
    again = client.post(f"/emails/{old.id}/fix", data={
        "csrf_token": csrf_token(client), "corrected": "third@example.org"})
    assert again.status_code == 422 and "This email was already sent again." in again.text
    assert db.session.scalar(db.select(db.func.count(EmailMessage.id)).where(
        EmailMessage.resent_from_id == old.id)) == 1


def test_choosing_another_address_of_the_customer(app, client, login_as, smtp, run_worker):
    login_as("billing")
    customer = make_customer(emails=("gone@example.org", "other@example.org"))
    old = _rejected_by_the_server(app, smtp, run_worker, customer)
    other = next(e for e in customer.emails if e.address == "other@example.org")
    response = client.post(f"/emails/{old.id}/fix", data={
        "csrf_token": csrf_token(client), "address_id": str(other.id)})
    assert response.status_code == 303
    run_worker()
    assert smtp.received[-1].rcpt_tos == ["other@example.org"]
    # The rejected address stays on the file as it was (invalid), nothing is renamed.
    assert "gone@example.org" in {e.address for e in customer.emails}


def test_a_bad_correction_comes_back_with_a_message(app, client, login_as, smtp, run_worker):
    login_as("admin")
    old = _rejected_by_the_server(app, smtp, run_worker, make_customer())
    response = client.post(f"/emails/{old.id}/fix", data={
        "csrf_token": csrf_token(client), "corrected": "not an address"})
    assert response.status_code == 422 and "not a valid email address" in response.text
    assert db.session.scalar(db.select(db.func.count(EmailMessage.id))) == 1


def test_other_classes_say_what_to_do_instead(app, client, login_as):
    login_as("admin")
    message = make_message(make_invoice(make_customer()))
    add_events(message, ("rejected", at("2026-11-01"),
                         {"code": "5.2.2", "diagnostic": "552 5.2.2 Mailbox full"}))
    page = client.get(f"/emails/{message.id}/fix")
    assert "Wait a day" in page.text and 'name="corrected"' not in page.text
    response = client.post(f"/emails/{message.id}/fix", data={
        "csrf_token": csrf_token(client), "corrected": "new@example.org"})
    assert response.status_code == 422 and "Only an email rejected for its address" in \
        response.text


def test_staff_cannot_fix_a_colleagues_customers_email(app, client, login_as, make_user):
    login_as("staff")
    message = make_message(make_invoice(make_customer(owner=make_user("staff"))))
    add_events(message, ("rejected", at("2026-11-01"), {"code": "5.1.1"}))
    assert client.get(f"/emails/{message.id}/fix").status_code == 404
    assert client.post(f"/emails/{message.id}/fix", data={
        "csrf_token": csrf_token(client), "corrected": "x@example.org"}).status_code == 404


def test_viewers_may_not_fix_and_resend(app, client, login_as):
    login_as("viewer")
    assert client.get("/emails/1/fix").status_code == 403
