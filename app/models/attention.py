"""Attention items (what needs someone to act) and notifications (who was told)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.customers import Customer
from app.models.invoices import Invoice
from app.models.mail import EmailMessage
from app.models.users import User

# Open to new kinds (reminders skipped, follow-ups due…): a kind is a word stored in a
# column; what it says and where it is fixed is app.attention.kinds'.
ATTENTION_KINDS = ("email_rejected", "email_spam", "email_delayed", "invoice_unopened",
                   "contact_review", "office_rejection", "followup_suggested", "followup_due",
                   "reminder_skipped")


class AttentionItem(db.Model):
    """One condition someone should act on, raised once (`dedupe_key`), resolved when the
    condition clears, dismissed once by a person."""

    __tablename__ = "attention_items"
    __table_args__ = (
        Index("ix_attention_items_open", "resolved_at", "dismissed_at", "created_at"),
        Index("ix_attention_items_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # The same condition maps to the same key and is one item (e.g. "email_rejected:42").
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"))
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_messages.id", ondelete="CASCADE"), index=True)
    # The responsible person when it was raised (the customer's owner), if any.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    admins_only: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    customer: Mapped[Customer | None] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    message: Mapped[EmailMessage | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    dismissed_by: Mapped[User | None] = relationship(foreign_keys=[dismissed_by_id])

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None and self.dismissed_at is None


class Notification(db.Model):
    """Something a person was told: shown in-app (badge and list), and in the daily
    digest for those who chose it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at", "created_at"),
        Index("ix_notifications_digest", "digested_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(500), default="")  # a path inside the app
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("attention_items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    item: Mapped[AttentionItem | None] = relationship()
