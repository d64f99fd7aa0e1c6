"""Merged customer files (with what an undo needs), pairs marked "not a duplicate", and
the duplicate finder's last result."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
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


DUPLICATE_CHECK_STATES = ("queued", "running", "done", "failed")


class DuplicateCheck(db.Model):
    """One run of the duplicate finder over every customer (app.customers.duplicate_checks):
    its progress while it runs, and when it finished. Its pairs are `DuplicatePair` rows."""

    __tablename__ = "duplicate_checks"
    __table_args__ = (Index("ix_duplicate_checks_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Touched by every progress report: a check quiet for long was lost with its worker.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    step: Mapped[str] = mapped_column(String(20), default="")
    percent: Mapped[int] = mapped_column(default=0)
    pairs_found: Mapped[int] = mapped_column(default=0)


class DuplicatePair(db.Model):
    """Two customers a check found alike, lowest id first, with its score and why: the
    kinds of what they share ({"email": "", "identifier": "vat", "name": "91"}) and no
    value of it; the page reads the shared address or number from the files themselves."""

    __tablename__ = "duplicate_pairs"
    __table_args__ = (
        Index("ix_duplicate_pairs_check_score", "check_id", "score"),
        Index("ix_duplicate_pairs_first", "first_id"),
        Index("ix_duplicate_pairs_second", "second_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("duplicate_checks.id", ondelete="CASCADE"))
    first_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    second_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column()
    reasons: Mapped[dict] = mapped_column(JSON)
