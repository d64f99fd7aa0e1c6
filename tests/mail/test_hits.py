"""Draining tracking hits: a drainer that lost its lock leaves the list alone."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.mail import hits, outbox
from app.models import EmailEvent
from app.models.base import utcnow
from app.queues import get_redis
from tests.factories import make_customer, make_invoice


@pytest.fixture
def queued(app):
    """Five opens of one sent message, waiting in Redis."""
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("h@example.org")],
                                     subject="Invoice", body="Hi",
                                     invoice=make_invoice(make_customer()), attach_pdf=False)
    message.state = message.status = "sent"
    message.sent_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    hits._push(app, [hits.Hit.now("open", message.id, "Thunderbird", "192.0.2.1")
                     for _ in range(5)])
    assert get_redis().llen(hits.EVENTS_KEY) == 5
    return message


def _events() -> int:
    return db.session.scalar(db.select(db.func.count(EmailEvent.id)))


def _store_then(monkeypatch, action):
    """Run `action(batch_number)` right after each batch is stored and committed."""
    real = hits.store_hits
    calls = []

    def store_hits(batch):
        real(batch)
        calls.append(len(batch))
        action(len(calls))

    monkeypatch.setattr(hits, "store_hits", store_hits)
    return calls


def test_drain_whose_lock_was_taken_over_trims_nothing(app, queued, monkeypatch):
    conn = get_redis()

    def lock_expires_and_another_drainer_takes_it(batch):
        if batch == 2:
            conn.set(hits._DRAIN_LOCK, "another-drainer", px=120_000)

    calls = _store_then(monkeypatch, lock_expires_and_another_drainer_takes_it)
    hits.drain(batch_size=2)
    assert calls == [2, 2]  # stopped once the lock was gone
    # Batch 1 was trimmed; batch 2 was stored but is left for the lock's new owner to trim.
    assert conn.llen(hits.EVENTS_KEY) == 3
    assert conn.get(hits._DRAIN_LOCK) == b"another-drainer"  # not released by the loser

    conn.delete(hits._DRAIN_LOCK)  # the other drainer finished
    monkeypatch.undo()
    hits.drain(batch_size=2)
    assert conn.llen(hits.EVENTS_KEY) == 0
    assert _events() == 5  # every hit stored, none twice


def test_drain_stops_between_batches_when_its_lock_expired(app, queued, monkeypatch):
    conn = get_redis()
    real_trim = hits._TRIM_IF_OWNER
    calls = _store_then(monkeypatch, lambda batch: None)

    # Expire the lock just after batch 1 was trimmed: the drainer must not read batch 2.
    monkeypatch.setattr(hits, "_TRIM_IF_OWNER",
                        real_trim.replace("return 1", "redis.call('del', KEYS[1])\n    return 1"))
    hits.drain(batch_size=2)
    assert calls == [2]
    assert conn.llen(hits.EVENTS_KEY) == 3 and _events() == 2

    monkeypatch.undo()
    assert hits.drain(batch_size=2) == 3
    assert conn.llen(hits.EVENTS_KEY) == 0 and _events() == 5


def test_drain_renews_its_lock_each_batch(app, queued, monkeypatch):
    conn = get_redis()
    ttls = []

    def shorten_then_look(batch):
        ttls.append(conn.pttl(hits._DRAIN_LOCK))
        conn.pexpire(hits._DRAIN_LOCK, 1_000)  # as if the batch had taken almost 120 s

    _store_then(monkeypatch, shorten_then_look)
    assert hits.drain(batch_size=2) == 5
    assert all(ttl > 100_000 for ttl in ttls)  # each batch began with a fresh lease
    assert conn.llen(hits.EVENTS_KEY) == 0 and _events() == 5


def test_drain_stops_after_its_time_budget(app, queued):
    conn = get_redis()
    assert hits.drain(batch_size=2, max_seconds=0) == 2  # one batch, the rest left queued
    assert conn.llen(hits.EVENTS_KEY) == 3 and conn.get(hits._DRAIN_LOCK) is None
    assert hits.drain(batch_size=2) == 3
    assert conn.llen(hits.EVENTS_KEY) == 0 and _events() == 5
