"""Held reports (matched by address only): confirmed once, however many clicks."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from app.extensions import db
from app.mail import review
from app.models import AuditLog, EmailMessage, InboundMessage
from tests.blueprints.test_admin_bounces import _held_bounce


def test_two_confirmations_at_once_apply_the_report_once(app):
    _, message, inbound_id = _held_bounce("twice-at-once@example.org")
    both_ready = threading.Barrier(2)

    def click() -> bool:
        with app.app_context():
            both_ready.wait()
            confirmed = review.confirm(inbound_id)
            db.session.commit()
            return confirmed is not None

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(lambda _: click(), range(2)))
    assert results == [False, True]
    db.session.expire_all()
    assert db.session.get(InboundMessage, inbound_id).state == "processed"
    assert len(db.session.get(EmailMessage, message.id).events) == 1
    assert db.session.scalar(db.select(db.func.count(AuditLog.id)).filter_by(
        action="customer.email_bounced")) == 1
