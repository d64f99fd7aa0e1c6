"""The counters stored on each email agree with its Sent Status."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.mail import outbox
from app.mail.recorder import NewEvent, dedupe_key, store_events
from app.models import EmailMessage
from app.models.base import utcnow
from tests.factories import make_customer, make_invoice


def _sent_with(*hits: tuple[str, bool]) -> EmailMessage:
    """An email our relay accepted, then (type, automated) hits a minute apart."""
    invoice = make_invoice(make_customer())
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("reader@example.org")],
                                     subject="Invoice", body="Hi", invoice=invoice,
                                     attach_pdf=False)
    db.session.flush()
    start = utcnow() - timedelta(hours=1)
    store_events([NewEvent(message_id=message.id, type="sent", occurred_at=start,
                           source="smtp", dedupe_key=dedupe_key("t", message.id, "sent"))]
                 + [NewEvent(message_id=message.id, type=kind, occurred_at=start
                             + timedelta(minutes=n + 1), source="test", automated=automated,
                             dedupe_key=dedupe_key("t", message.id, n))
                    for n, (kind, automated) in enumerate(hits)])
    message.state = "sent"
    db.session.commit()
    db.session.expire_all()
    return db.session.get(EmailMessage, message.id)


@pytest.mark.parametrize("hits, status, opens, machine_opens, clicks", [
    # A viewed invoice is an open: never "Opens 0" beside "Opened".
    ([("viewed", False)], "opened", 1, 0, 0),
    ([("opened", False), ("viewed", False)], "opened", 2, 0, 0),
    # A person clicked but their mail program blocked the image: opened once at least.
    ([("clicked", False), ("clicked", False)], "opened", 1, 0, 2),
    # Machines are counted apart and never make it Opened.
    ([("opened", True), ("opened", True), ("clicked", True)], "sent", 0, 2, 0),
    ([("opened", True), ("opened", False)], "opened", 1, 1, 0),
])
def test_counts_agree_with_the_status(app, hits, status, opens, machine_opens, clicks):
    message = _sent_with(*hits)
    assert (message.status, message.human_opens, message.automated_opens, message.clicks) \
        == (status, opens, machine_opens, clicks)
