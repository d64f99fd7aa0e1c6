"""Periodic attention jobs: raise the time-based items, send the notification digests."""
from __future__ import annotations

from app.attention import scan
from app.extensions import db
from app.mail import digest


def scan_attention() -> dict[str, int]:
    """Raise items that came due (delayed over a day, overdue and never opened, contacts
    needing review) and resolve those whose condition cleared."""
    counts = scan.scan()
    db.session.commit()
    return counts


def send_notification_digests() -> int:
    """The daily email of each person's new notifications, for those who chose it."""
    return digest.send_digests()
