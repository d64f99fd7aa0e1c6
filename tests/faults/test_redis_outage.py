"""Redis down while people send invoices and recipients open them: nothing is lost."""
from __future__ import annotations

import pytest

from app.dev.embedded_redis import EmbeddedRedis
from app.dev.net import free_port
from app.extensions import db
from app.mail import hits, outbox
from app.mail.tracking import open_url
from app.models import EmailEvent, EmailMessage
from app.models.base import utcnow
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.slow


@pytest.fixture
def own_redis(app):
    """A Redis of this test's own, so it can be stopped and started again."""
    port = free_port()
    server = EmbeddedRedis(port=port).start()
    app.config["REDIS_URL"] = server.url
    app.extensions.pop("redis", None)
    yield server
    server.stop()
    app.extensions.pop("redis", None)


def test_sends_and_opens_survive_a_redis_outage(app, client, own_redis, smtp, run_worker):
    invoice = make_invoice(make_customer())
    (opened,) = outbox.add_messages(recipients=[outbox.Recipient("seen@example.org")],
                                    subject="Invoice", body="Hi", invoice=invoice,
                                    attach_pdf=False)
    opened.state, opened.status, opened.sent_at = "sent", "sent", utcnow()
    db.session.commit()

    own_redis.stop()
    app.extensions.pop("redis", None)
    # Sending while Redis is down: the rows are written, enqueueing fails quietly.
    messages = outbox.add_messages(recipients=[outbox.Recipient(f"d{i}@example.org")
                                               for i in range(5)],
                                   subject="Invoice", body="Hi", invoice=invoice,
                                   attach_pdf=False)
    db.session.commit()
    assert outbox.enqueue([m.id for m in messages]) is False
    # An open while Redis is down goes straight to the database.
    pixel = client.get(open_url(opened).split("localhost", 1)[1],
                       headers={"User-Agent": "Thunderbird"})
    assert pixel.status_code == 200 and len(pixel.data) == 43
    assert hits.flush_buffered_hits()  # written to the database while Redis is down

    own_redis.start()  # the same address as before
    app.extensions.pop("redis", None)
    assert outbox.sweep()["requeued"] == 5
    run_worker()
    hits.drain()
    db.session.expire_all()
    states = [db.session.get(EmailMessage, m.id).state for m in messages]
    assert states == ["sent"] * 5
    assert len(smtp.received) == 5
    assert db.session.get(EmailMessage, opened.id).status == "opened"
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id)).where(
        EmailEvent.type == "opened")) == 1
