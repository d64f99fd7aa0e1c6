"""The daily notification digest: each person who chose it gets their notifications not
yet digested, as system mail (no tracking, never in a Sent Status). The notifications are
app.attention's; sending them is the mail domain's."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.attention import notify
from app.extensions import db
from app.mail import outbox
from app.models import Notification, User
from app.models.base import utcnow


def send_digests(now: datetime | None = None) -> int:
    """Email each person who chose the digest their notifications not yet digested;
    each notification is in one digest at most. Returns how many emails were queued."""
    now = now or utcnow()
    queued: list[int] = []
    users = db.session.scalars(select(User).where(User.notify_digest.is_(True),
                                                  User.active.is_(True))).all()
    for user in users:
        notes = list(db.session.scalars(
            select(Notification).where(Notification.user_id == user.id,
                                       Notification.digested_at.is_(None),
                                       Notification.created_at <= now)
            .order_by(Notification.created_at, Notification.id)))
        if not notes:
            continue
        subject, body = notify.digest_text(user, notes)
        messages = outbox.add_system_messages(
            recipients=[outbox.Recipient(user.email, user.display_name)],
            subject=subject, body=body, batch=f"digest-{user.id}-{notes[-1].id}")
        for note in notes:
            note.digested_at = now
        db.session.commit()
        queued += [m.id for m in messages]
    outbox.enqueue(queued)
    return len(queued)
