"""A rejected or spam-marked email becomes one attention item and tells the responsible
person (the customer's owner; admins when nobody is, and for the office's own refusals)."""
from __future__ import annotations

from app.attention import notify
from app.attention.mail_problems import mail_problem
from app.attention.scan import scan
from app.extensions import db
from app.models import AttentionItem, EmailMessage, Notification
from tests.factories import make_customer, make_invoice, make_message


def _told() -> list[tuple[int, str]]:
    return sorted((n.user_id, n.kind) for n in db.session.scalars(db.select(Notification)))


def test_a_rejection_tells_the_customers_owner_once(app, db, make_user):
    make_user("admin")  # an admin, who is not told: the owner is responsible
    owner = make_user("staff")
    message = make_message(make_invoice(make_customer(owner=owner)), to="gone@example.org")
    item = mail_problem(message, "address", reason="userunknown")
    again = mail_problem(message, "address", reason="userunknown")
    db.session.commit()
    assert again.id == item.id
    assert (item.kind, item.owner_id, item.message_id) == ("email_rejected", owner.id,
                                                           message.id)
    assert "gone@example.org" in item.detail and "no longer exists" in item.detail
    assert _told() == [(owner.id, "email_rejected")]
    assert notify.unread_count(owner) == 1


def test_with_nobody_responsible_the_admins_are_told(app, db, make_user):
    admins = [make_user("admin"), make_user("admin")]
    make_user("admin", active=False)
    make_user("billing")
    message = make_message(make_invoice(make_customer()))  # no owner
    mail_problem(message, complaint=True)
    db.session.commit()
    assert _told() == sorted((a.id, "email_spam") for a in admins)


def test_an_owner_who_left_is_not_responsible(app, db, make_user):
    admin = make_user("admin")
    gone = make_user("staff", active=False)
    mail_problem(make_message(make_invoice(make_customer(owner=gone))), "mailbox")
    db.session.commit()
    assert _told() == [(admin.id, "email_rejected")]


def test_an_office_class_refusal_is_for_admins_only(app, db, make_user):
    admin, owner = make_user("admin"), make_user("staff")
    message = make_message(make_invoice(make_customer(owner=owner)))
    item = mail_problem(message, "office", reason="blocked")
    db.session.commit()
    assert (item.kind, item.admins_only) == ("office_rejection", True)
    assert _told() == [(admin.id, "office_rejection")]


def test_system_mail_raises_nothing(app, db, make_user):
    make_user("admin")
    message = EmailMessage(kind="system", to_address="me@example.com", subject="Digest",
                           body_text="x", message_id="sys1@clientele.test")
    db.session.add(message)
    db.session.commit()
    assert mail_problem(message, "address") is None
    assert db.session.scalar(db.select(db.func.count(AttentionItem.id))) == 0


def test_a_rejection_is_resolved_once_the_invoice_is_settled(app, db, make_user):
    invoice = make_invoice()
    mail_problem(make_message(invoice), "address")
    db.session.commit()
    scan()
    assert db.session.scalar(db.select(AttentionItem.resolved_at)) is None
    invoice.status = "void"
    db.session.commit()
    assert scan()["resolved"] == 1
