"""The mail worker against a real SMTP server on loopback and a real Redis."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.jobs.mail import send_messages
from app.mail import outbox
from app.models import Customer, CustomerEmail, EmailEvent, EmailMessage
from tests.factories import make_customer, make_invoice


def _queue(invoice, *addresses: str, **kw) -> list[int]:
    recipients = [outbox.Recipient(a) for a in addresses]
    messages = outbox.add_messages(recipients=recipients, subject=f"Invoice {invoice.number}",
                                   body="Dear client,\n\nPlease find your invoice.\n"
                                        "Our terms: https://office.example/terms",
                                   invoice=invoice, **{"attach_pdf": False, **kw})
    db.session.commit()
    ids = [m.id for m in messages]
    assert outbox.enqueue(ids)
    return ids


def _messages(ids):
    db.session.expire_all()
    return [db.session.get(EmailMessage, i) for i in ids]


def test_accepted_message_is_sent_with_verp_and_tracking(app, smtp, run_worker):
    invoice = make_invoice(make_customer(emails=("ann@example.org",)))
    (mid,) = _queue(invoice, "ann@example.org")
    run_worker()
    (message,) = _messages([mid])
    assert (message.state, message.status, message.attempts) == ("sent", "sent", 1)
    assert message.smtp_code == 250 and "queued as" in message.smtp_response
    (got,) = smtp.received
    assert got.mail_from == f"bounces+{message.verp_token}@{app.config['BOUNCE_DOMAIN']}"
    assert got.rcpt_tos == ["ann@example.org"]
    parsed = got.message
    assert parsed["Message-ID"] == f"<{message.message_id}>"
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html")
    body = html.get_payload(decode=True).decode()
    assert "/t/o/" in body and ".gif" in body
    assert "/t/c/" in body and "https://office.example/terms" in body
    assert [e.type for e in message.events] == ["sent"]


def test_permanent_refusal_is_rejected_and_flags_the_customer(app, smtp, run_worker):
    customer = make_customer(emails=("gone@example.org",))
    invoice = make_invoice(customer)
    smtp.set_mode("reject")
    (mid,) = _queue(invoice, "gone@example.org")
    run_worker()
    (message,) = _messages([mid])
    assert (message.state, message.status, message.gave_up) == ("rejected", "rejected", False)
    assert message.smtp_code == 550 and "User unknown" in message.smtp_response
    email = db.session.scalars(db.select(CustomerEmail)).one()
    assert email.state == "invalid" and email.suppressed
    assert db.session.get(Customer, customer.id).needs_review


def test_temporary_failure_retries_then_delivers(app, smtp, run_worker):
    invoice = make_invoice(make_customer())
    smtp.set_mode("defer")
    (mid,) = _queue(invoice, "grey@example.org")
    from app.jobs.runner import AppWorker
    from app.queues import get_queue, get_redis

    worker = AppWorker([get_queue("mail")], connection=get_redis())
    worker.app = app
    worker.work(burst=True, logging_level="WARNING")
    (message,) = _messages([mid])
    assert (message.state, message.status) == ("delayed", "delayed")
    assert message.smtp_code == 451 and message.next_attempt_at is not None
    smtp.set_mode("accept")
    run_worker()
    (message,) = _messages([mid])
    assert (message.state, message.status, message.attempts) == ("sent", "sent", 2)
    assert [e.type for e in message.events] == ["delayed", "sent"]


def test_gives_up_after_the_last_attempt(app, smtp, run_worker):
    invoice = make_invoice(make_customer(emails=("grey@example.org",)))
    smtp.set_mode("defer")
    (mid,) = _queue(invoice, "grey@example.org")
    run_worker(timeout=30)
    (message,) = _messages([mid])
    assert (message.state, message.status, message.gave_up) == ("rejected", "rejected", True)
    assert message.attempts == app.config["MAIL_MAX_ATTEMPTS"]
    assert message.smtp_response.startswith("Gave up after 3 tries over ")
    (gave_up,) = [e for e in message.events if e.type == "rejected"]
    assert gave_up.diagnostic == message.smtp_response
    assert gave_up.details["tries"] == 3 and gave_up.details["over_seconds"] >= 0
    # Giving up after temporary failures is not proof the address is bad.
    assert db.session.scalars(db.select(CustomerEmail)).one().state == "ok"


def test_giving_up_says_how_long_we_tried(app):
    from datetime import timedelta

    from app.mail.recorder import NewEvent, dedupe_key, store_events
    from app.mail.smtp import Outcome
    from app.models.base import utcnow

    invoice = make_invoice(make_customer())
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("slow@example.org")],
                                     subject="Invoice", body="Hi", invoice=invoice,
                                     attach_pdf=False)
    db.session.commit()
    first = utcnow() - timedelta(days=2, hours=3)
    store_events([NewEvent(message_id=message.id, type="delayed", occurred_at=first,
                           source="smtp", dedupe_key=dedupe_key("smtp", message.id, 1, "x"),
                           code="451", diagnostic="busy")], known={message.id: message})
    message.attempts = app.config["MAIL_MAX_ATTEMPTS"]
    db.session.commit()
    outbox.record_outcomes([(message, Outcome("delayed", 451, "4.3.2 try later"))])
    (message,) = _messages([message.id])
    assert message.smtp_response == (f"Gave up after {message.attempts} tries over 2 days; "
                                     "last answer: 4.3.2 try later")
    assert [e.details.get("over_seconds", 0) // 3600 for e in message.events] == [0, 51]
    assert outbox.duration_words(timedelta(minutes=1, seconds=5)) == "1 minute"
    assert outbox.duration_words(timedelta(hours=5)) == "5 hours"


def test_dropped_connection_and_refused_connection_are_delayed(app, smtp):
    invoice = make_invoice(make_customer())
    smtp.set_mode("accept", **{"drop@example.org": "drop"})
    ids = _queue(invoice, "drop@example.org", "fine@example.org")
    try:
        send_messages(ids)
    except Exception as exc:  # DeliveryDeferred: RQ would retry
        assert "deferred" in str(exc)
    drop, fine = _messages(ids)
    assert drop.state == "delayed" and "connection" in drop.smtp_response
    assert fine.state == "sent"
    smtp.stop()
    (mid,) = _queue(invoice, "later@example.org")
    try:
        send_messages([mid])
    except Exception:
        pass
    (later,) = _messages([mid])
    assert later.state == "delayed" and later.smtp_code is None


def test_running_the_same_job_twice_sends_once(app, smtp):
    invoice = make_invoice(make_customer())
    ids = _queue(invoice, "a@example.org", "b@example.org")
    send_messages(ids)
    send_messages(ids)
    assert len(smtp.received) == 2
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 2


def _sending_at_each_delivery(monkeypatch) -> list[tuple[str, list[str]]]:
    """(recipient, addresses "sending") at each delivery, as another process sees them."""
    from app.mail.smtp import SmtpSession

    seen = []
    deliver = SmtpSession.deliver

    def watching(self, envelope_from, recipient, data):
        with db.engine.connect() as other:  # what another process would see committed
            seen.append((recipient, sorted(other.execute(
                db.select(EmailMessage.to_address).where(EmailMessage.state == "sending")
            ).scalars().all())))
        return deliver(self, envelope_from, recipient, data)

    monkeypatch.setattr(SmtpSession, "deliver", watching)
    return seen


def test_one_in_flight_leaves_only_the_message_on_the_wire_sending(app, smtp, monkeypatch):
    """MAIL_IN_FLIGHT=1: all a kill -9 can leave in doubt is the message on the wire."""
    app.config["MAIL_IN_FLIGHT"] = 1
    invoice = make_invoice(make_customer())
    ids = _queue(invoice, *[f"r{i}@example.org" for i in range(6)])
    send_messages(ids[2:3])  # already sent: the batch skips it and claims the next
    seen = _sending_at_each_delivery(monkeypatch)
    assert send_messages(ids) == {"sent": 5, "rejected": 0, "delayed": 0, "skipped": 1}
    assert [to for to, _ in seen] == [f"r{i}@example.org" for i in (0, 1, 3, 4, 5)]
    assert all(sending == [to] for to, sending in seen)
    assert all(m.state == "sent" for m in _messages(ids))


def test_only_the_group_in_flight_is_sending(app, smtp, monkeypatch):
    """Messages are claimed MAIL_IN_FLIGHT at a time: only that group is ever in doubt."""
    app.config["MAIL_IN_FLIGHT"] = 2
    invoice = make_invoice(make_customer())
    ids = _queue(invoice, *[f"r{i}@example.org" for i in range(6)])
    send_messages(ids[2:3])  # already sent: its group holds only the other one
    seen = _sending_at_each_delivery(monkeypatch)
    assert send_messages(ids) == {"sent": 5, "rejected": 0, "delayed": 0, "skipped": 1}
    group = {f"r{i}@example.org": [f"r{j}@example.org" for j in js]
             for js in ((0, 1), (3,), (4, 5)) for i in js}
    assert seen == [(to, group[to]) for to in group]
    assert all(m.state == "sent" for m in _messages(ids))


def test_a_slow_group_keeps_its_unsent_messages_claimed(app, smtp, monkeypatch):
    """Past a quarter of the sending timeout the group's outcomes are stored and the
    claim of its unsent rest renewed, so the sweep does not take them back."""
    import time

    from app.mail.smtp import SmtpSession

    app.config.update(MAIL_IN_FLIGHT=3, MAIL_SENDING_TIMEOUT=2)
    invoice = make_invoice(make_customer())
    ids = _queue(invoice, "a@example.org", "b@example.org", "c@example.org")
    claims = []
    deliver = SmtpSession.deliver

    def slow(self, envelope_from, recipient, data):
        with db.engine.connect() as other:
            claims.append(other.execute(db.select(EmailMessage.state, EmailMessage.claimed_at)
                                        .where(EmailMessage.to_address == recipient)).one())
        time.sleep(0.6)  # past the 0.5 s budget after every message
        return deliver(self, envelope_from, recipient, data)

    monkeypatch.setattr(SmtpSession, "deliver", slow)
    assert send_messages(ids)["sent"] == 3
    assert [state for state, _ in claims] == ["sending"] * 3
    # Each later message was claimed again (renewed) after the one before it was stored.
    assert claims[0].claimed_at < claims[1].claimed_at < claims[2].claimed_at
    assert [m.state for m in _messages(ids)] == ["sent"] * 3
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 3


def test_a_renewal_skips_a_message_the_sweep_took_back(app, smtp):
    """A claim is renewed only under the lease it was taken with."""
    from datetime import timedelta

    from app.models.base import utcnow

    invoice = make_invoice(make_customer())
    ids = _queue(invoice, "a@example.org", "b@example.org")
    lease = utcnow() - timedelta(minutes=10)
    assert outbox.claim_many(ids, at=lease) == ids
    # The sweep resets b and another worker claims it: b is no longer under our lease.
    db.session.execute(db.update(EmailMessage).where(EmailMessage.id == ids[1])
                       .values(claimed_at=utcnow()))
    db.session.commit()
    assert outbox.renew_claim(ids, lease, utcnow()) == ids[:1]
    assert outbox.renew_claim(ids, lease, utcnow()) == []  # a's lease has moved on


def test_a_failed_claim_of_the_next_group_keeps_the_outcomes(app, smtp, monkeypatch):
    """The outcomes of a delivered group survive a lock conflict on the next claim."""
    from sqlalchemy.exc import OperationalError

    app.config["MAIL_IN_FLIGHT"] = 2
    invoice = make_invoice(make_customer())
    ids = _queue(invoice, "a@example.org", "b@example.org", "c@example.org")
    real_claim = outbox.claim_many
    failures = []

    def conflicting(message_ids, *args, commit=True, **kw):
        if message_ids == ids[2:] and not commit and not failures:
            failures.append(message_ids)
            raise OperationalError("UPDATE email_messages", {}, Exception("deadlock detected"))
        return real_claim(message_ids, *args, commit=commit, **kw)

    monkeypatch.setattr(outbox, "claim_many", conflicting)
    assert send_messages(ids) == {"sent": 3, "rejected": 0, "delayed": 0, "skipped": 0}
    assert failures == [ids[2:]]
    assert len(smtp.received) == 3  # nothing sent twice
    assert [m.state for m in _messages(ids)] == ["sent"] * 3
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 3


def test_repeated_ids_in_a_batch_are_sent_once(app, smtp):
    invoice = make_invoice(make_customer())
    a, b = _queue(invoice, "a@example.org", "b@example.org")
    assert send_messages([a, a, b, a])["sent"] == 2
    assert len(smtp.received) == 2 and [m.state for m in _messages([a, b])] == ["sent", "sent"]


def test_one_connection_is_reused_for_a_batch(app, smtp):
    invoice = make_invoice(make_customer())
    ids = _queue(invoice, *[f"r{i}@example.org" for i in range(10)])
    send_messages(ids)
    assert len(smtp.received) == 10 and smtp.connections == 1


def test_an_invoice_pdf_is_rendered_once_for_all_its_recipients(app, smtp, monkeypatch):
    from app.invoices import pdf as invoice_pdf

    rendered = []

    def counting(invoice, **kw):
        rendered.append(invoice.id)
        return real(invoice, **kw)

    real = invoice_pdf.render_invoice_pdf
    monkeypatch.setattr(invoice_pdf, "render_invoice_pdf", counting)
    first, second = make_invoice(make_customer()), make_invoice(make_customer())
    ids = _queue(first, "a@example.org", "b@example.org", "c@example.org", attach_pdf=True)
    ids += _queue(second, "d@example.org", attach_pdf=True)
    assert send_messages(ids)["sent"] == 4
    assert sorted(rendered) == sorted([first.id, second.id])
    pdfs = {got.rcpt_tos[0]: next(p.get_payload(decode=True) for p in got.message.walk()
                                  if p.get_content_type() == "application/pdf")
            for got in smtp.received}
    assert pdfs["a@example.org"] == pdfs["b@example.org"] == pdfs["c@example.org"]
    assert pdfs["a@example.org"].startswith(b"%PDF") and pdfs["d@example.org"] != pdfs["a@example.org"]


def test_redis_down_at_send_time_loses_nothing(app, smtp, run_worker):
    invoice = make_invoice(make_customer())
    messages = outbox.add_messages(recipients=[outbox.Recipient("x@example.org")],
                                   subject="Invoice", body="Hello", invoice=invoice,
                                   attach_pdf=False)
    db.session.commit()
    real_url = app.config["REDIS_URL"]
    app.extensions.pop("redis", None)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    assert outbox.enqueue([messages[0].id]) is False
    app.extensions.pop("redis", None)
    app.config["REDIS_URL"] = real_url
    (message,) = _messages([messages[0].id])
    assert message.state == "queued" and message.enqueued_at is None
    assert outbox.sweep() == {"stuck": 0, "gave_up": 0, "requeued": 1}
    run_worker()
    (message,) = _messages([message.id])
    assert message.state == "sent" and len(smtp.received) == 1


def _send_deferring(ids) -> None:
    from app.jobs.mail import DeliveryDeferred

    try:
        send_messages(ids)
    except DeliveryDeferred:
        pass  # RQ would retry


def _address_untouched(customer) -> None:
    from app.models import AuditLog

    email = db.session.scalars(db.select(CustomerEmail)).one()
    assert (email.state, email.suppressed) == ("ok", False)
    assert not db.session.get(Customer, customer.id).needs_review
    assert not db.session.scalars(db.select(AuditLog).filter_by(
        action="customer.email_bounced")).all()


def test_a_refused_login_is_retried_and_leaves_the_address_alone(app, smtp):
    """One wrong SMTP password must not mark every recipient's address invalid."""
    from app.extensions import mail

    app.config.update(MAIL_USERNAME="app", MAIL_PASSWORD="wrong")
    mail.init_app(app)
    smtp.handler.refuse_login = True
    customer = make_customer(emails=("ann@example.org",))
    (mid,) = _queue(make_invoice(customer), "ann@example.org")
    _send_deferring([mid])
    (message,) = _messages([mid])
    assert (message.state, message.status, message.smtp_code) == ("delayed", "delayed", 535)
    assert message.next_attempt_at is not None
    _address_untouched(customer)


def test_a_refused_sender_is_retried_and_leaves_the_address_alone(app, smtp):
    smtp.set_mode("refuse-sender")
    customer = make_customer(emails=("ann@example.org",))
    (mid,) = _queue(make_invoice(customer), "ann@example.org")
    _send_deferring([mid])
    (message,) = _messages([mid])
    assert (message.state, message.smtp_code) == ("delayed", 553)
    assert "Sender address rejected" in message.smtp_response
    _address_untouched(customer)


def test_a_refusal_at_data_rejects_the_message_but_not_the_address(app, smtp):
    smtp.set_mode("refuse-data")
    customer = make_customer(emails=("ann@example.org",))
    (mid,) = _queue(make_invoice(customer), "ann@example.org")
    send_messages([mid])
    (message,) = _messages([mid])
    assert (message.state, message.status, message.smtp_code) == ("rejected", "rejected", 554)
    assert not smtp.received
    _address_untouched(customer)


def test_a_suppressed_address_is_not_sent_and_keeps_its_state(app, smtp):
    """The local refusal is not a bounce: a complaint-suppressed address stays 'ok'."""
    from app.models import AuditLog

    customer = make_customer(emails=("ann@example.org",))
    email = customer.emails[0]
    email.suppressed, email.suppressed_reason = True, "spam complaint"
    db.session.commit()
    (mid,) = _queue(make_invoice(customer), "ann@example.org")
    send_messages([mid])
    (message,) = _messages([mid])
    assert message.state == "rejected" and "suppressed" in message.smtp_response
    assert not smtp.received
    email = db.session.scalars(db.select(CustomerEmail)).one()
    assert (email.state, email.suppressed, email.suppressed_reason) == (
        "ok", True, "spam complaint")
    assert not db.session.scalars(db.select(AuditLog).filter_by(
        action="customer.email_bounced")).all()


def test_the_sweep_leaves_a_message_that_was_sent_meanwhile(app, smtp):
    """A worker records 'sent' just before the sweep's UPDATE: that row stays sent."""
    from datetime import timedelta

    from sqlalchemy import event

    from app.models.base import utcnow

    invoice = make_invoice(make_customer())
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("slow@example.org")],
                                     subject="Invoice", body="Hello", invoice=invoice,
                                     attach_pdf=False)
    db.session.commit()
    mid = message.id
    assert outbox.claim_many([mid]) == [mid]
    db.session.execute(db.update(EmailMessage).where(EmailMessage.id == mid)
                       .values(claimed_at=utcnow() - timedelta(hours=1)))
    db.session.commit()

    def worker_records_sent(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE") and "possible_duplicate" in statement:
            cursor.execute(f"UPDATE email_messages SET state = 'sent' WHERE id = {int(mid)}")

    engine = db.engine
    event.listen(engine, "before_cursor_execute", worker_records_sent)
    try:
        result = outbox.sweep()
    finally:
        event.remove(engine, "before_cursor_execute", worker_records_sent)
    (message,) = _messages([mid])
    assert (message.state, message.possible_duplicate, message.attempts) == ("sent", False, 1)
    assert result["stuck"] == 0


def _stuck_sending(mid: int) -> None:
    """The worker that claimed the message died before the server answered."""
    from datetime import timedelta

    from app.models.base import utcnow

    assert outbox.claim_many([mid]) == [mid]
    db.session.execute(db.update(EmailMessage).where(EmailMessage.id == mid)
                       .values(claimed_at=utcnow() - timedelta(hours=1)))
    db.session.commit()


def test_the_sweep_never_lowers_the_attempt_count_and_gives_up_at_the_last(app, smtp):
    """A message whose worker dies every time is not tried for ever: each rescue keeps
    the attempt, and the last one ends Rejected, never claimed again."""
    invoice = make_invoice(make_customer())
    (mid,) = _queue(invoice, "crashy@example.org")
    for attempt in (1, 2):
        _stuck_sending(mid)
        assert outbox.sweep()["stuck"] == 1
        (message,) = _messages([mid])
        assert (message.state, message.attempts) == ("queued", attempt)
        assert message.possible_duplicate
    _stuck_sending(mid)  # the third and last attempt (MAIL_MAX_ATTEMPTS=3)
    assert outbox.sweep() == {"stuck": 1, "gave_up": 1, "requeued": 0}
    (message,) = _messages([mid])
    assert (message.state, message.status, message.gave_up, message.attempts) == \
        ("rejected", "rejected", True, 3)
    assert "may have received" in message.smtp_response
    assert outbox.claim_many([mid]) == []
    assert send_messages([mid])["sent"] == 0 and smtp.received == []


def test_a_claim_never_goes_past_the_last_attempt(app, smtp):
    invoice = make_invoice(make_customer())
    (mid,) = _queue(invoice, "worn@example.org")
    db.session.execute(db.update(EmailMessage).where(EmailMessage.id == mid).values(attempts=3))
    db.session.commit()
    assert outbox.claim_many([mid]) == []


def test_outcomes_known_when_a_batch_is_cut_short_are_stored(app, smtp, monkeypatch):
    """A job timeout (RQ raises inside the job) after the first message was handed over:
    that message is stored as sent, so the sweep does not send it again."""
    from rq.timeouts import JobTimeoutException

    from app.mail.smtp import SmtpSession

    invoice = make_invoice(make_customer())
    ids = _queue(invoice, "first@example.org", "second@example.org")
    deliver = SmtpSession.deliver

    def time_out_on_the_second(self, envelope_from, recipient, data):
        if recipient == "second@example.org":
            raise JobTimeoutException("Task exceeded maximum timeout value")
        return deliver(self, envelope_from, recipient, data)

    monkeypatch.setattr(SmtpSession, "deliver", time_out_on_the_second)
    with pytest.raises(JobTimeoutException):
        send_messages(ids)
    first, second = _messages(ids)
    assert (first.state, second.state) == ("sent", "sending")
    monkeypatch.undo()
    app.config.update(MAIL_SENDING_TIMEOUT=0, MAIL_PICKUP_TIMEOUT=0)
    outbox.sweep()
    send_messages(ids)
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == ["first@example.org",
                                                           "second@example.org"]
