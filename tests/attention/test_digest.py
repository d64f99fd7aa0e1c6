"""The daily digest: system mail to those who chose it, each notification once, with no
tracking image, no rewritten links, and in no report or Sent Status."""
from __future__ import annotations

from app.attention import notify
from app.attention.mail_problems import mail_problem
from app.jobs.attention import send_notification_digests
from app.models import EmailLink, EmailMessage
from tests.conftest import login
from tests.factories import make_customer, make_invoice, make_message


def test_the_digest_is_untracked_system_mail_sent_once(app, db, make_user, smtp, run_worker,
                                                      client):
    wants = make_user("staff", email="wants@example.com", notify_digest=True)
    quiet = make_user("staff", email="quiet@example.com")
    invoice = make_invoice(make_customer(first_name="Dora", last_name="Digest", owner=wants))
    mail_problem(make_message(invoice, to="dora@example.org"), "address")
    mail_problem(make_message(make_invoice(make_customer(owner=quiet))), "address")
    db.session.commit()

    assert send_notification_digests() == 1
    assert send_notification_digests() == 0  # each notification in one digest at most
    run_worker()
    (received,) = smtp.received
    assert received.rcpt_tos == ["wants@example.com"]
    mail = received.message
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    html = html.get_payload(decode=True).decode()
    assert "dora@example.org" in html and "Dora Digest" in html
    base = app.config["PUBLIC_BASE_URL"]
    assert f'href="{base}/notifications"' in html  # the link as written, not a /t/c/ one
    assert "/t/o/" not in html and "/t/c/" not in html and "<img" not in html
    assert not any(p.get_content_type() == "application/pdf" for p in mail.walk())

    system = db.session.scalar(db.select(EmailMessage).where(EmailMessage.kind == "system"))
    assert (system.state, system.invoice_id, system.customer_id) == ("sent", None, None)
    assert db.session.scalar(db.select(db.func.count(EmailLink.id)).where(
        EmailLink.message_id == system.id)) == 0

    # In no report: the admin's Invoice Email report lists the two invoice emails only.
    admin = make_user("admin")
    login(client, admin.email)
    report = client.get("/reports/accounting").text
    assert "dora@example.org" in report
    assert "wants@example.com" not in report and system.subject not in report
    dora = db.session.scalar(db.select(EmailMessage).where(
        EmailMessage.to_address == "dora@example.org"))
    assert client.get(f"/reports/accounting/emails/{dora.id}/history").status_code == 200
    assert client.get(f"/reports/accounting/emails/{system.id}/history").status_code == 404
    assert notify.unread_count(wants) == 1  # the digest does not mark them read
