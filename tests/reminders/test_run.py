"""The reminder run: the latest stage due, once per invoice and stage, whatever the stages
become; skips and their reasons; a missed run catches up once; "Send now" and the daily
run share one dedupe (real Redis, a real worker and loopback SMTP)."""
from __future__ import annotations

import threading
from datetime import date, timedelta

from app.extensions import db
from app.jobs.mail import send_reminders
from app.jobs.schedule import SCHEDULE
from app.models import AttentionItem, EmailMessage, ReminderSend
from app.queues import get_queue
from app.reminders import run
from tests.factories import add_events, at, make_customer, make_invoice, make_message, make_stage

TODAY = date(2026, 11, 23)


def _late(address: str, days: int = 8, **customer):
    return make_invoice(make_customer(emails=(address,), **customer),
                        due_date=TODAY - timedelta(days=days))


def _reminders() -> list[EmailMessage]:
    return list(db.session.scalars(db.select(EmailMessage).where(EmailMessage.kind == "reminder")
                                   .order_by(EmailMessage.id)))


def test_reminders_are_off_without_stages_or_with_every_stage_off(app):
    _late("late@example.org")
    assert run.run(TODAY) == 0
    make_stage(7, enabled=False)
    assert run.due_list(TODAY) == [] and run.run(TODAY) == 0


def test_each_stage_is_sent_once_and_tracked_like_an_invoice_email(app, smtp, run_worker):
    week, fortnight = make_stage(7), make_stage(14)
    late = _late("late@example.org", days=8)
    make_invoice(make_customer(emails=("ontime@example.org",)), due_date=TODAY + timedelta(3))
    _late("paid@example.org", days=8).status = "paid"
    db.session.commit()
    assert run.run(TODAY) == 1
    assert run.run(TODAY) == 0  # the 7-day stage is done for this invoice
    run_worker()
    (message,) = _reminders()
    assert (message.invoice_id, message.state, message.reminder_stage_id) == \
        (late.id, "sent", week.id)
    assert message.subject == f"Reminder: invoice {late.number} is 8 days overdue"
    assert "€100.00" in message.body_text and "15 November 2026" in message.body_text
    assert smtp.received[0].rcpt_tos == ["late@example.org"]
    # A week later the 14-day stage comes due, once.
    assert run.run(TODAY + timedelta(days=7)) == 1
    assert run.run(TODAY + timedelta(days=8)) == 0
    assert [m.reminder_stage_id for m in _reminders()] == [week.id, fortnight.id]


def test_a_stage_before_the_due_date(app):
    make_stage(-3)
    soon = make_invoice(make_customer(emails=("soon@example.org",)),
                        due_date=TODAY + timedelta(days=2))
    make_invoice(make_customer(emails=("later@example.org",)), due_date=TODAY + timedelta(5))
    assert [d.invoice.id for d in run.due_list(TODAY)] == [soon.id]
    run.run(TODAY)
    (message,) = _reminders()
    assert message.subject == f"Invoice {soon.number} is due on 25 November 2026"


def test_editing_stages_never_sends_a_stage_again(app):
    week = make_stage(7)
    _late("late@example.org", days=8)
    assert run.run(TODAY) == 1
    # Moved from 7 to 5 days, words changed, off and on again: the same stage, already sent.
    week.offset_days, week.subject = 5, "Still open: {invoice_number}"
    week.enabled = False
    db.session.commit()
    week.enabled = True
    db.session.commit()
    assert run.due_list(TODAY) == [] and run.run(TODAY + timedelta(days=1)) == 0
    # A new stage is a new id: it is sent when its day comes.
    make_stage(10)
    assert run.run(TODAY + timedelta(days=1)) == 0
    assert run.run(TODAY + timedelta(days=2)) == 1
    assert len(_reminders()) == 2


def test_a_missed_run_catches_up_once_with_the_stage_now_due(app):
    make_stage(7)
    fortnight = make_stage(14)
    month = make_stage(30)
    late = _late("late@example.org", days=3)
    # No run for 40 days: the invoice passed three stages; it gets the latest, once.
    later = TODAY + timedelta(days=40)
    assert run.run(later) == 1
    for day in range(1, 10):
        assert run.run(later + timedelta(days=day)) == 0
    (message,) = _reminders()
    assert message.reminder_stage_id == month.id
    # The stages it passed are not sent afterwards either.
    assert db.session.scalar(db.select(ReminderSend.id).where(
        ReminderSend.stage_id == fortnight.id)) is None
    assert message.invoice_id == late.id


def test_skips_say_why_and_become_attention_items(app):
    stage = make_stage(7)
    quiet = _late("quiet@example.org")
    gone = _late("gone@example.org")
    spam = _late("spam@example.org")
    nobody = make_invoice(make_customer(emails=()), due_date=TODAY - timedelta(days=8))
    full = _late("full@example.org")
    fixed = _late("fixed@example.org")
    quiet.customer.reminders_off = True
    quiet.customer.reminders_off_reason = "Pays by standing order"
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
    db.session.commit()
    dues = {d.invoice.id: d for d in run.due_list(TODAY)}
    assert {i: d.skip for i, d in dues.items() if d.skip} == {
        gone.id: "address", spam.id: "spam", nobody.id: "no_address",
        quiet.id: "off"}
    assert dues[gone.id].skip_words == "Rejected — the address does not exist"
    assert dues[quiet.id].skip_words == \
        "Reminders are switched off for this customer: Pays by standing order"
    assert run.run(TODAY) == 2
    assert {m.to_address for m in _reminders()} >= {"full@example.org", "fixed@example.org"}
    items = {i.invoice_id: i for i in db.session.scalars(db.select(AttentionItem))}
    assert set(items) == {gone.id, spam.id, nobody.id}  # the switch is a choice, not a problem
    assert items[gone.id].kind == "reminder_skipped"
    assert items[gone.id].detail == f"{stage.label}: Rejected — the address does not exist"
    # The next run raises nothing new.
    assert run.raise_skips(run.due_list(TODAY)) == 0


def test_send_now_and_the_daily_run_do_not_send_twice(app, smtp, run_worker, make_user):
    make_stage(7)
    late = _late("late@example.org")
    billing = make_user("billing")
    dues = run.due_list(TODAY, user=billing)
    # Both decided to send before either stored anything (a page open while the run ran).
    assert run.send(dues, today=TODAY, user=billing, source="now") == 1
    assert run.send(dues, today=TODAY) == 0
    app.config["TODAY"] = TODAY
    assert send_reminders() == 0  # the scheduled job, through the same dedupe
    run_worker()
    assert len(smtp.received) == 1
    (mark,) = db.session.scalars(db.select(ReminderSend)).all()
    assert (mark.invoice_id, mark.source, mark.sent_by_id) == (late.id, "now", billing.id)
    assert mark.message_id == _reminders()[0].id


def test_the_scheduled_job_runs_in_the_worker_and_twice_sends_once(app, smtp, run_worker):
    make_stage(7)
    _late("late@example.org")
    app.config["TODAY"] = TODAY
    (entry,) = [job for job in SCHEDULE if job.name == "reminders"]
    for _ in range(2):  # two workers' periodic ticks
        get_queue(entry.queue).enqueue(entry.func)
    run_worker()
    assert [r.rcpt_tos for r in smtp.received] == [["late@example.org"]]


def test_two_runs_at_the_same_moment_send_once(app):
    """Two workers (or a run and a person) decide together; the unique (invoice, stage)
    row lets one of them send. Run on PostgreSQL too: TEST_DATABASE_URL."""
    make_stage(7)
    _late("late@example.org")
    barrier, results, errors = threading.Barrier(2), [], []

    def one() -> None:
        try:
            with app.app_context():
                dues = run.due_list(TODAY)
                barrier.wait(timeout=10)
                results.append(run.send(dues, today=TODAY))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and sorted(results) == [0, 1]
    assert len(_reminders()) == 1
    assert db.session.scalar(db.select(db.func.count(ReminderSend.id))) == 1


def test_the_switch_is_read_again_when_the_reminder_is_made(app):
    make_stage(7)
    late = _late("late@example.org")
    dues = run.due_list(TODAY)
    assert [d.skip for d in dues] == [""]
    # Switched off on the file (another request) after the list was made.
    with db.engine.begin() as conn:
        conn.execute(db.text("UPDATE customers SET reminders_off = :on WHERE id = :id"),
                     {"on": True, "id": late.customer_id})
    assert run.send(dues, today=TODAY) == 0
    assert _reminders() == [] and db.session.scalar(db.select(ReminderSend.id)) is None


def test_the_demo_switches_the_usual_stages_on_once(app):
    from app.reminders.stages import all_stages, seed_usual_stages

    assert seed_usual_stages() == 4  # none yet: made and switched on
    assert [(s.offset_days, s.enabled) for s in all_stages()] == [
        (-3, True), (7, True), (14, True), (30, True)]
    all_stages()[1].enabled = False
    assert seed_usual_stages() == 0  # some are on: the office chose
    for stage in all_stages():
        stage.enabled = False  # as migration 0018 leaves them
    assert seed_usual_stages() == 4 and all(s.enabled for s in all_stages())
