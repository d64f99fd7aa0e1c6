"""Reminder stages (when, what it says, on/off) and which stage each invoice was sent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.invoices import Invoice


class ReminderStage(db.Model):
    """One step of the reminder ladder. Its id is what a sent reminder remembers, so
    moving a stage to another day never sends an invoice the same stage twice."""

    __tablename__ = "reminder_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Days from the due date: -3 is three days before, 7 a week after.
    offset_days: Mapped[int] = mapped_column(default=7)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def label(self) -> str:
        days = abs(self.offset_days)
        unit = "day" if days == 1 else "days"
        if self.offset_days < 0:
            return f"{days} {unit} before due"
        if self.offset_days == 0:
            return "On the due date"
        return f"{days} {unit} overdue"


class ReminderSend(db.Model):
    """Invoice × stage, written in the transaction that queues the reminder: the unique
    key is the one dedupe the daily run and "Send now" share."""

    __tablename__ = "reminder_sends"
    __table_args__ = (
        UniqueConstraint("invoice_id", "stage_id", name="uq_reminder_sends_invoice_stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("reminder_stages.id",
                                                     ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_messages.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(10), default="run")  # run | now
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice] = relationship()
    stage: Mapped[ReminderStage] = relationship()
