"""Kill -9 the worker in the middle of a batch: nothing is lost or stuck."""
from __future__ import annotations

import signal
import time

import pytest

from app.extensions import db
from app.mail import outbox
from app.models import EmailMessage
from tests.factories import make_customer, make_invoice
from tests.faults.conftest import start_worker
from tests.support.smtp_server import ControlledSmtpServer

pytestmark = pytest.mark.slow


@pytest.fixture
def slow_smtp(app):
    server = ControlledSmtpServer().start()
    server.handler.delay = 0.03
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


def _queue_100(invoice) -> list[int]:
    ids = []
    for batch in range(10):
        recipients = [outbox.Recipient(f"r{batch}-{i}@example.org") for i in range(10)]
        messages = outbox.add_messages(recipients=recipients, subject="Invoice", body="Hi",
                                       invoice=invoice, attach_pdf=False)
        db.session.commit()
        batch_ids = [m.id for m in messages]
        assert outbox.enqueue(batch_ids)
        ids += batch_ids
    return ids


def test_kill_9_mid_batch_then_restart_sends_everything(app, slow_smtp, worker_env):
    invoice = make_invoice(make_customer())
    ids = _queue_100(invoice)
    worker = start_worker(worker_env())
    deadline = time.monotonic() + 60
    while len(slow_smtp.received) < 30:
        assert worker.poll() is None, worker.stderr.read()
        assert time.monotonic() < deadline, "worker sent too little"
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    sent_before = len(slow_smtp.received)
    assert sent_before < 100

    db.session.expire_all()
    states = db.session.execute(db.select(EmailMessage.state, db.func.count())
                                .group_by(EmailMessage.state)).all()
    assert dict(states).get("sent", 0) < 100
    # What the dead worker left in doubt: the one group it had claimed and not yet stored.
    in_flight = set(db.session.scalars(db.select(EmailMessage.id)
                                       .where(EmailMessage.state == "sending")))
    assert len(in_flight) <= app.config["MAIL_IN_FLIGHT"]

    # After the sending timeout, the sweep rescues what was in flight and re-enqueues
    # what the dead worker had taken off the queue; a fresh worker finishes the work.
    time.sleep(1.2)
    restart = start_worker(worker_env(MAIL_SENDING_TIMEOUT="1", MAIL_PICKUP_TIMEOUT="0"),
                           "--burst")
    assert restart.wait(120) == 0, restart.stderr.read()
    with app.app_context():
        app.config.update(MAIL_SENDING_TIMEOUT=1, MAIL_PICKUP_TIMEOUT=0)
        outbox.sweep()
    again = start_worker(worker_env(), "--burst")
    assert again.wait(120) == 0, again.stderr.read()

    db.session.expire_all()
    messages = db.session.scalars(db.select(EmailMessage).where(EmailMessage.id.in_(ids))).all()
    assert [m.state for m in messages] == ["sent"] * 100, [(m.id, m.state, m.attempts, m.enqueued_at, m.claimed_at) for m in messages if m.state != "sent"]
    duplicates = [m for m in messages if m.possible_duplicate]
    assert {m.id for m in duplicates} == in_flight  # exactly those in flight at the kill
    delivered = [r.rcpt_tos[0] for r in slow_smtp.received]
    assert set(delivered) == {m.to_address for m in messages}
    # Only a message flagged "possible duplicate" may have reached the server twice.
    twice = {a for a in delivered if delivered.count(a) > 1}
    assert twice <= {m.to_address for m in duplicates}
