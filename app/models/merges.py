"""Merged customer files (with what an undo needs) and pairs marked "not a duplicate"."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.crypto import EncryptedJSON
from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class DuplicateDismissal(db.Model):
    """Two files someone said are not the same customer: the finder stops offering them.

    The pair is stored lowest id first, so (a, b) and (b, a) are one row."""

    __tablename__ = "duplicate_dismissals"
    __table_args__ = (
        UniqueConstraint("first_id", "second_id", name="uq_duplicate_dismissals_pair"),
        CheckConstraint("first_id < second_id", name="order"),
        Index("ix_duplicate_dismissals_second", "second_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    second_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    dismissed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerMerge(db.Model):
    """One merge: `merged` went into `survivor`. `record` holds exactly what moved and
    what the survivor's fields, consents and address states were before, so an undo can
    put back those rows and only those. It is personal data (names, numbers' kinds,
    addresses' states) and encrypted like identification numbers."""

    __tablename__ = "customer_merges"
    __table_args__ = (
        Index("ix_customer_merges_survivor", "survivor_id", "merged_at"),
        Index("ix_customer_merges_merged", "merged_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    record: Mapped[dict] = mapped_column(EncryptedJSON)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
