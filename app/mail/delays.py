"""A remote delay that no news follows ends: the email shows Sent again, with the reason.

A receiving server that defers an email keeps retrying for a few days (Postfix and
sendmail 5, Exim 4, Exchange 2) and then reports a failure. A delivery after a delay is
usually reported to nobody. So once DELAY_WINDOW has passed since the last delay without
a failure report, "Delayed" (being retried) is no longer true: an event records why the
email is back to Sent (it left us and was accepted; a failure would have been reported).
Our own relay's retries are not concerned: those messages are still queued here.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.mail.recorder import NewEvent, dedupe_key, store_events
from app.models import EmailEvent, EmailMessage
from app.models.base import utcnow

DELAY_WINDOW = timedelta(days=5)
BATCH = 500


def settle_delays(now: datetime | None = None) -> int:
    """Settle emails whose last remote delay is older than DELAY_WINDOW; how many."""
    now = now or utcnow()
    last_delay = (select(func.max(EmailEvent.occurred_at))
                  .where(EmailEvent.message_id == EmailMessage.id, EmailEvent.type == "delayed")
                  .scalar_subquery())
    settled, after = 0, 0
    while True:
        rows = db.session.execute(
            select(EmailMessage.id, last_delay.label("last"))
            .where(EmailMessage.id > after, EmailMessage.status == "delayed",
                   EmailMessage.state == "sent", last_delay < now - DELAY_WINDOW)
            .order_by(EmailMessage.id).limit(BATCH)).all()
        if not rows:
            return settled
        after = rows[-1][0]
        settled += len(store_events([NewEvent(
            message_id=message_id, type="sent", occurred_at=now, source="retry window",
            dedupe_key=dedupe_key("delay-settled", message_id, last.isoformat()),
            diagnostic=(f"No failure report in the {DELAY_WINDOW.days} days after the last "
                        "delay: receiving servers stop retrying by then, and report a failure "
                        "if there was one."),
            details={"last_delay": last.isoformat()}) for message_id, last in rows]))
        db.session.commit()
        if len(rows) < BATCH:
            return settled
