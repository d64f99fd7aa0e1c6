"""Notifications: one row per person told; read in the app, and in a daily digest for
those who chose it (sent as system mail: no tracking, never in a Sent Status)."""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, select, update

from app import settings
from app.customers.access import can_see_customer
from app.extensions import db
from app.models import AttentionItem, Customer, Notification, User
from app.models.base import utcnow


def admins() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "admin",
                                                      User.active.is_(True))))


def responsible_for(customer: Customer | None) -> list[User]:
    """The customer's owner when active and still able to see them; otherwise admins."""
    owner = customer.owner if customer is not None else None
    if owner is not None and owner.active and can_see_customer(customer, owner):
        return [owner]
    return admins()


def tell(users: Iterable[User], kind: str, text: str, *, item: AttentionItem | None = None,
         customer: Customer | None = None, link: str = "") -> list[Notification]:
    """One notification per person (the caller commits)."""
    customer_id = getattr(customer, "id", None) or getattr(item, "customer_id", None)
    made = []
    for user in {u.id: u for u in users}.values():
        note = Notification(user_id=user.id, kind=kind, text=text[:500], link=link[:500],
                            customer_id=customer_id, item=item)
        db.session.add(note)
        made.append(note)
    db.session.flush()
    return made


def unread_count(user) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def recent(user, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(user, upto_id: int | None = None) -> int:
    """Mark `user`'s unread notifications read (those up to `upto_id` when given: what
    the page showed, not one that arrived since)."""
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if upto_id is not None:
        query = query.where(Notification.id <= upto_id)
    return db.session.execute(query.values(read_at=utcnow())).rowcount or 0


def digest_text(user: User, notes: list[Notification]) -> tuple[str, str]:
    office = settings.get("office.name")
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    subject = f"{office}: {len(notes)} new notification" + ("s" if len(notes) != 1 else "")
    lines = [f"Hello {user.display_name},", "", "since your last digest:", ""]
    lines += [f"- {n.text}" for n in notes]
    lines += ["", f"All notifications: {base}/notifications",
              f"Stop these emails in your notification settings: "
              f"{base}/notifications/settings"]
    return subject, "\n".join(lines)

