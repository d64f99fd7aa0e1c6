"""Follow-ups: a task about a customer (optionally one of their invoices), for one person."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.attention import AttentionItem
from app.models.base import UTCDateTime, utcnow
from app.models.customers import Customer
from app.models.invoices import Invoice
from app.models.users import User

# suggested: made by a rule, waiting to be accepted or dismissed (once);
# open: someone's task; done: completed (by whom, when); dismissed: a suggestion declined.
FOLLOWUP_STATES = ("suggested", "open", "done", "dismissed")


class FollowUp(db.Model):
    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_assignee_state_due", "assignee_id", "state", "due_on"),
        Index("ix_follow_ups_customer_state", "customer_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    due_time: Mapped[time | None] = mapped_column(Time)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(10), default="open")
    # A suggestion's rule ("unopened", "overdue", "address", "at_risk") and its key: one per
    # customer, invoice and rule, for ever, so a declined suggestion never comes back.
    rule: Mapped[str] = mapped_column(String(20), default="")
    rule_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    # The attention item that presents it on the home page (a suggestion's, shared with
    # the Sent Status screens for a rejected address; later the "due" one).
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("attention_items.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    customer: Mapped[Customer] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    item: Mapped[AttentionItem | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
