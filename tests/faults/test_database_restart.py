"""The database drops every connection mid-batch (as a PostgreSQL restart does)."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.mail import outbox
from app.models import EmailMessage
from tests.factories import make_customer, make_invoice
from tests.faults.conftest import start_worker
from tests.faults.test_worker_crash import slow_smtp  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


def test_batch_resumes_after_connections_are_killed(app, slow_smtp, worker_env):  # noqa: F811
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")
    invoice = make_invoice(make_customer())
    recipients = [outbox.Recipient(f"pg{i}@example.org") for i in range(60)]
    messages = outbox.add_messages(recipients=recipients, subject="Invoice", body="Hi",
                                   invoice=invoice, attach_pdf=False)
    db.session.commit()
    ids = [m.id for m in messages]
    assert outbox.enqueue(ids)
    worker = start_worker(worker_env(), "--burst")
    deadline = time.monotonic() + 60
    while len(slow_smtp.received) < 20:
        assert time.monotonic() < deadline and worker.poll() is None
        time.sleep(0.01)
    name = db.engine.url.database
    with sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT").connect() as admin:
        killed = admin.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}).scalar()
    assert killed >= 1
    db.session.rollback()
    db.engine.dispose()
    assert worker.wait(120) == 0, worker.stderr.read()
    db.session.expire_all()
    rows = db.session.scalars(db.select(EmailMessage).where(EmailMessage.id.in_(ids))).all()
    assert [m.state for m in rows] == ["sent"] * 60
    delivered = [r.rcpt_tos[0] for r in slow_smtp.received]
    assert sorted(delivered) == sorted(m.to_address for m in rows)  # each exactly once
    assert all(len(m.events) == 1 for m in rows)  # one "sent" event each, none half-written
