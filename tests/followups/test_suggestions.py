"""Suggested follow-ups: each rule suggests once per customer, invoice and rule (the scan
is safe to run twice; a dismissed suggestion never comes back), accepting makes a task
that comes due as an attention item, and an address bounce stays ONE attention item."""
from __future__ import annotations

from datetime import timedelta

from app import clock, settings
from app.attention import items as attention
from app.attention.scan import scan as attention_scan
from app.extensions import db
from app.followups import office, suggestions, tasks
from app.jobs.followups import suggest_followups
from app.mail import digest
from app.mail.consequences import after_rejection
from app.models import AttentionItem, EmailMessage, FollowUp, Notification
from tests.factories import add_events, make_customer, make_invoice, make_message


def _suggested() -> list[tuple[str, int, int | None]]:
    return sorted((f.rule, f.customer_id, f.invoice_id)
                  for f in db.session.scalars(db.select(FollowUp)))


def _open_items() -> list[tuple[str, int | None]]:
    return sorted((i.kind, i.customer_id) for i in db.session.scalars(
        db.select(AttentionItem).where(AttentionItem.resolved_at.is_(None),
                                       AttentionItem.dismissed_at.is_(None))))


def test_each_rule_suggests_once_and_a_second_run_adds_nothing(app, db, make_user):
    now, today = clock.now(), clock.today()
    days = office.unopened_days()
    owner = make_user("staff")
    unopened = make_invoice(make_customer(owner=owner), due_date=today + timedelta(days=20))
    make_message(unopened, created=now - timedelta(days=days + 1))
    recent = make_invoice(due_date=today + timedelta(days=20))
    make_message(recent, created=now - timedelta(days=days - 1))  # not yet N days
    opened = make_invoice(due_date=today + timedelta(days=20))
    add_events(make_message(opened, created=now - timedelta(days=days + 1)),
               ("opened", now - timedelta(days=1)))
    overdue = make_invoice(due_date=today - timedelta(days=2))
    at_risk = make_customer()
    for ago in (300, 200):
        make_invoice(at_risk, status="paid", issue_date=today - timedelta(days=ago))

    assert suggest_followups() == {"suggested": 3, "due": 0, "withdrawn": 0}
    assert suggest_followups() == {"suggested": 0, "due": 0, "withdrawn": 0}
    assert _suggested() == sorted([("unopened", unopened.customer_id, unopened.id),
                                   ("overdue", overdue.customer_id, overdue.id),
                                   ("at_risk", at_risk.id, None)])
    mine = db.session.scalar(db.select(FollowUp).where(FollowUp.rule == "unopened"))
    assert (mine.state, mine.assignee_id, mine.title) == (
        "suggested", owner.id, "Check they received the invoice")
    # Each is presented by one attention item, and the responsible person is told once.
    assert _open_items() == sorted([("followup_suggested", unopened.customer_id),
                                    ("followup_suggested", overdue.customer_id),
                                    ("followup_suggested", at_risk.id)])
    told = db.session.scalars(db.select(Notification).where(
        Notification.user_id == owner.id)).all()
    assert [(n.kind, n.item_id) for n in told] == [("followup_suggested", mine.item_id)]


def test_a_dismissed_suggestion_never_comes_back(app, db, make_user):
    admin = make_user("admin")
    overdue = make_invoice(due_date=clock.today() - timedelta(days=2))
    suggest_followups()
    followup = db.session.scalar(db.select(FollowUp))
    assert tasks.dismiss(followup, admin) is True
    db.session.commit()
    assert (followup.state, followup.dismissed_by_id) == ("dismissed", admin.id)
    assert followup.item.dismissed_at is not None  # its item went with it
    assert suggest_followups()["suggested"] == 0
    assert _suggested() == [("overdue", overdue.customer_id, overdue.id)]
    assert _open_items() == []


def test_an_accepted_suggestion_is_a_task_that_comes_due_and_is_done(app, db, make_user):
    owner = make_user("staff")
    overdue = make_invoice(make_customer(owner=owner), due_date=clock.today() - timedelta(days=2))
    suggest_followups()
    followup = db.session.scalar(db.select(FollowUp))
    assert tasks.accept(followup, owner) is True
    assert tasks.accept(followup, owner) is False  # accepted once
    db.session.commit()
    assert (followup.state, followup.assignee_id) == ("open", owner.id)
    assert followup.item.resolved_at is not None  # the suggestion's item is done with
    assert suggest_followups() == {"suggested": 0, "due": 1, "withdrawn": 0}
    assert suggest_followups()["due"] == 0  # raised once
    due = db.session.scalar(db.select(AttentionItem).where(
        AttentionItem.kind == "followup_due"))
    assert (due.dedupe_key, due.customer_id, due.invoice_id) == (
        f"followup_due:{followup.id}", overdue.customer_id, overdue.id)
    assert [n.kind for n in db.session.scalars(db.select(Notification).where(
        Notification.user_id == owner.id).order_by(Notification.id))] == [
        "followup_suggested", "followup_due"]
    tasks.complete(followup, owner)
    db.session.commit()
    assert _open_items() == []


def test_a_suggestion_whose_invoice_was_paid_is_withdrawn(app, db, make_user):
    overdue = make_invoice(due_date=clock.today() - timedelta(days=2))
    suggest_followups()
    overdue.status, overdue.amount_paid = "paid", overdue.total
    db.session.commit()
    assert suggest_followups()["withdrawn"] == 1
    assert db.session.scalar(db.select(FollowUp.state)) == "dismissed"
    assert _open_items() == []


def _bounce(message) -> None:
    """An address-class rejection through the real pipeline: the event, then what it
    changes (address invalid, customer flagged for review, the attention item)."""
    add_events(message, ("rejected", clock.now(), {"reason": "userunknown",
                                                   "diagnostic": "550 5.1.1 no such user"}))
    after_rejection(message, reason="userunknown", words="550 5.1.1 no such user")
    db.session.commit()


def test_an_address_bounce_is_one_attention_item_shared_with_its_suggestion(app, db,
                                                                           make_user):
    owner = make_user("staff")
    customer = make_customer(owner=owner, emails=("gone@example.org",))
    invoice = make_invoice(customer, due_date=clock.today() + timedelta(days=10))
    message = make_message(invoice, to="gone@example.org")
    _bounce(message)
    assert customer.needs_review is True  # flagged, yet no second item for it
    for _ in range(2):
        attention_scan()
        db.session.commit()
        suggest_followups()

    assert _open_items() == [("email_rejected", customer.id)]
    (item,) = attention.open_items(owner)
    followup = db.session.scalar(db.select(FollowUp))
    assert (followup.rule, followup.item_id, followup.title) == (
        "address", item.id, "Get a new email address")
    assert item.message_id == message.id  # the Sent Status screens' own item
    assert [n.kind for n in db.session.scalars(db.select(Notification))] == [
        "email_rejected"]  # told once, about the one item

    tasks.dismiss(followup, owner)
    db.session.commit()
    assert _open_items() == []
    attention_scan()
    suggest_followups()
    assert _open_items() == []  # the flag on the file raises nothing new


def test_a_review_flag_for_another_reason_still_raises_its_item(app, db, make_user):
    customer = make_customer(emails=("gone@example.org",))
    _bounce(make_message(make_invoice(customer), to="gone@example.org"))
    customer.needs_review_reason = "Post returned: address unknown"
    db.session.commit()
    attention_scan()
    db.session.commit()
    assert _open_items() == sorted([("contact_review", customer.id),
                                    ("email_rejected", customer.id)])


def test_a_fixed_address_withdraws_the_suggestion(app, db, make_user):
    admin = make_user("admin")
    customer = make_customer(emails=("gone@example.org",))
    message = make_message(make_invoice(customer), to="gone@example.org")
    _bounce(message)
    suggest_followups()
    attention.resolve(f"email_rejected:{message.id}", by=admin)  # what fix and resend does
    db.session.commit()
    assert suggest_followups()["withdrawn"] == 1
    assert db.session.scalar(db.select(FollowUp.state)) == "dismissed"


def test_the_daily_digest_carries_follow_up_notifications(app, db, make_user):
    owner = make_user("staff", notify_digest=True)
    make_invoice(make_customer(owner=owner, first_name="Dora", last_name="Diaz"),
                 due_date=clock.today() - timedelta(days=2))
    suggest_followups()
    assert digest.send_digests() == 1
    mail = db.session.scalar(db.select(EmailMessage).where(EmailMessage.kind == "system"))
    assert mail.to_address == owner.email
    assert "Suggested follow-up: Chase the overdue invoice" in mail.body_text
    assert "(Dora Diaz, invoice " in mail.body_text


def test_rule_keys_are_per_customer_invoice_and_rule():
    assert suggestions.rule_key("overdue", 3, 12) == "overdue:c3:i12"
    assert suggestions.rule_key("at_risk", 3, None) == "at_risk:c3:i-"


def test_n_and_the_rules_are_office_settings(app, db, make_user):
    admin = make_user("admin")
    settings.update({"followups.unopened_days": 3, "followups.suggest_overdue": False},
                    user=admin)
    now, today = clock.now(), clock.today()
    four = make_invoice(due_date=today + timedelta(days=20))
    make_message(four, created=now - timedelta(days=4))
    two = make_invoice(due_date=today + timedelta(days=20))
    make_message(two, created=now - timedelta(days=2))
    overdue = make_invoice(due_date=today - timedelta(days=1))
    assert suggest_followups()["suggested"] == 1
    assert _suggested() == [("unopened", four.customer_id, four.id)]
    settings.update({"followups.suggest_overdue": True}, user=admin)
    assert suggest_followups()["suggested"] == 1
    assert ("overdue", overdue.customer_id, overdue.id) in _suggested()
