from __future__ import annotations

from app.extensions import db
from app.mail import inbound
from app.models import AuditLog, Customer, CustomerEmail, EmailMessage, InboundMessage
from tests.conftest import csrf_token


def test_review_list_shows_unparsed_mail_escaped_and_can_dismiss(app, client, login_as):
    inbound_id = inbound.store(b"Subject: <script>x</script>\r\n\r\nhello <b>", via="pipe")
    inbound.process(inbound_id)
    login_as("admin")
    listing = client.get("/admin/bounces")
    assert listing.status_code == 200 and "unparsed" in listing.text
    page = client.get(f"/admin/bounces/{inbound_id}")
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text and "<script>x" not in page.text
    done = client.post(f"/admin/bounces/{inbound_id}/resolve",
                       data={"action": "ignore", "csrf_token": csrf_token(client)})
    assert done.status_code == 303
    assert db.session.get(InboundMessage, inbound_id).state == "ignored"
    bad = client.post(f"/admin/bounces/{inbound_id}/resolve",
                      data={"action": "explode", "csrf_token": csrf_token(client)})
    assert bad.status_code == 400
    # From a stale page: a handled message is not processed again.
    again = client.post(f"/admin/bounces/{inbound_id}/resolve",
                        data={"action": "reprocess", "csrf_token": csrf_token(client)})
    assert again.status_code == 303
    assert db.session.get(InboundMessage, inbound_id).state == "ignored"


def test_only_admins_review_bounces(client, login_as):
    login_as("billing")
    assert client.get("/admin/bounces").status_code == 403


def _held_bounce(address: str):
    """A hand-made bounce naming a customer's address: held for confirmation."""
    from tests.jobs.test_inbound import _dsn, _forged
    from tests.support.bounce_mail import sent_email as _sent

    customer, message = _sent(address)
    inbound_id = inbound.store(_forged(_dsn(message), message), via="pipe")
    assert inbound.process(inbound_id) == "unconfirmed"
    return customer, message, inbound_id


def _audit_count(action: str) -> int:
    return db.session.scalar(db.select(db.func.count(AuditLog.id)).filter_by(action=action))


def test_a_report_matched_by_address_only_is_applied_once_when_confirmed(app, client,
                                                                         login_as):
    customer, message, inbound_id = _held_bounce("confirm@example.org")
    login_as("admin")
    listing = client.get("/admin/bounces")
    assert "Matched by address only — not proven to be about our email." in listing.text
    assert f'action="/admin/bounces/{inbound_id}/confirm"' in listing.text
    assert f'action="/admin/bounces/{inbound_id}/confirm"' in client.get(
        f"/admin/bounces/{inbound_id}").text
    assert client.post(f"/admin/bounces/{inbound_id}/confirm").status_code == 400  # no CSRF
    token = csrf_token(client, "/admin/bounces")
    for _ in range(2):  # a double click, or the same page open in a second tab
        done = client.post(f"/admin/bounces/{inbound_id}/confirm", data={"csrf_token": token})
        assert done.status_code == 303
    db.session.expire_all()
    message = db.session.get(EmailMessage, message.id)
    assert message.status == "rejected" and len(message.events) == 1
    email = db.session.scalars(db.select(CustomerEmail)).one()
    assert (email.state, email.suppressed) == ("invalid", True)
    assert db.session.get(Customer, customer.id).needs_review
    assert db.session.get(InboundMessage, inbound_id).state == "processed"
    assert _audit_count("customer.email_bounced") == 1
    assert _audit_count("bounce.confirm") == 1


def test_only_admins_confirm_reports(client, login_as):
    _, message, inbound_id = _held_bounce("not-billing@example.org")
    login_as("billing")
    token = csrf_token(client)
    assert client.post(f"/admin/bounces/{inbound_id}/confirm",
                       data={"csrf_token": token}).status_code == 403
    assert db.session.get(InboundMessage, inbound_id).state == "unconfirmed"


def test_a_notice_without_the_original_is_marked_and_counted_on_the_review_list(
        app, client, login_as):
    from tests.jobs.test_inbound import _bare_notice, _dsn, _forged
    from tests.support.bounce_mail import sent_email as _sent

    _, message = _sent("bare@example.org")
    bare = inbound.store(_bare_notice(message, "billing@office.example"), via="imap")
    assert inbound.process(bare) == "unconfirmed"
    with_copy = inbound.store(_forged(_dsn(message), message), via="imap")
    assert inbound.process(with_copy) == "unconfirmed"
    login_as("admin")
    listing = client.get("/admin/bounces")
    assert listing.text.count("No copy of the original returned.") == 1
    assert "1 of these came back without a copy of our email" in listing.text
    assert "Matched by address only" in listing.text
    assert "no copy of the original returned" in client.get(f"/admin/bounces/{bare}").text
    assert "no copy of the original returned" not in client.get(
        f"/admin/bounces/{with_copy}").text
