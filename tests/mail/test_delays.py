"""Remote delays with no news settle back to Sent after the receiving servers' retry window."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.mail import outbox
from app.mail.delays import DELAY_WINDOW, settle_delays
from app.mail.recorder import NewEvent, dedupe_key, store_events
from app.models import EmailMessage
from app.models.base import utcnow
from tests.factories import make_customer, make_invoice


def _sent_then(*events: tuple[str, timedelta], state: str = "sent") -> EmailMessage:
    """A message our relay accepted, then events of (type, age), as reports bring them."""
    invoice = make_invoice(make_customer())
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("slow@example.org")],
                                     subject="Invoice", body="Hi", invoice=invoice,
                                     attach_pdf=False)
    db.session.flush()
    now = utcnow()
    first = max(age for _, age in events) + timedelta(hours=1)
    store_events([NewEvent(message_id=message.id, type=kind, occurred_at=now - age,
                           source="smtp" if kind == "sent" and age == first else "dsn",
                           dedupe_key=dedupe_key("test", message.id, kind, age))
                  for kind, age in (("sent", first), *events)])
    message.state = state
    db.session.commit()
    return message


def _status(message: EmailMessage) -> str:
    db.session.expire_all()
    return db.session.get(EmailMessage, message.id).status


def test_a_delay_with_no_news_for_the_window_settles_to_sent(app):
    message = _sent_then(("delayed", DELAY_WINDOW + timedelta(hours=2)))
    assert _status(message) == "delayed"
    assert settle_delays() == 1
    assert _status(message) == "sent"
    event = db.session.get(EmailMessage, message.id).events[-1]
    assert (event.type, event.source) == ("sent", "retry window")
    assert "No failure report in the 5 days" in event.diagnostic
    assert settle_delays() == 0  # nothing left to settle, and no second event
    assert len(db.session.get(EmailMessage, message.id).events) == 3


def test_recent_delays_and_our_own_retries_are_left_alone(app):
    recent = _sent_then(("delayed", DELAY_WINDOW - timedelta(hours=2)))
    ours = _sent_then(("delayed", DELAY_WINDOW + timedelta(days=1)), state="delayed")
    refused = _sent_then(("delayed", DELAY_WINDOW + timedelta(days=2)),
                         ("rejected", DELAY_WINDOW + timedelta(days=1)))
    assert settle_delays() == 0
    assert [_status(m) for m in (recent, ours, refused)] == ["delayed", "delayed", "rejected"]


def test_the_latest_delay_counts(app):
    message = _sent_then(("delayed", DELAY_WINDOW + timedelta(days=3)),
                         ("delayed", timedelta(days=1)))
    assert settle_delays() == 0 and _status(message) == "delayed"


def test_a_failure_reported_after_settling_still_rejects(app):
    message = _sent_then(("delayed", DELAY_WINDOW + timedelta(days=1)))
    settle_delays()
    store_events([NewEvent(message_id=message.id, type="rejected", occurred_at=utcnow(),
                           source="dsn", dedupe_key="late-failure", code="5.4.7")])
    db.session.commit()
    assert _status(message) == "rejected"


def test_many_delays_settle_batch_after_batch(app, monkeypatch):
    from app.mail import delays

    monkeypatch.setattr(delays, "BATCH", 2)
    messages = [_sent_then(("delayed", DELAY_WINDOW + timedelta(hours=i + 1))) for i in range(5)]
    assert settle_delays() == 5
    assert {_status(m) for m in messages} == {"sent"}
    assert settle_delays() == 0
