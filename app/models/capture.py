"""Captured correspondence: mail a staff member BCCs or forwards to their drop-box
address, filed on the customers it is about (app.capture)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedBytes, EncryptedJSON, EncryptedString
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

# filed: on at least one customer; review: on none yet, waiting in its filer's review list
CAPTURE_STATES = ("filed", "review")


class EncryptedMail(EncryptedBytes):
    """A whole message (up to the inbound cap, 10 MB) as one token: re-keyed one row at a
    time."""

    cache_ok = True
    rotate_batch = 1


class CapturedMail(db.Model):
    """One message received at a drop-box. Everything read from it is encrypted, like an
    upload; the raw message is kept only here, encrypted (the inbound copy is emptied
    once parsed), so attachments can be filed on a customer chosen later."""

    __tablename__ = "captured_mail"
    __table_args__ = (Index("ix_captured_mail_filer_state", "filed_by_id", "state",
                            "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose drop-box it arrived at: they filed it. SET NULL keeps it when the account goes.
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The Date: header, when it could be read (else None: the list shows received_at).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="review")
    # Seen only by its filer and by those with capture.private (admins).
    private: Mapped[bool] = mapped_column(default=False)
    # sha256 of the filer and the Message-ID (or the message): the same mail BCC'd and
    # then forwarded, or delivered twice, is kept once per person.
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(EncryptedString)
    # {"from": [[name, address]], "to": [...], "cc": [...]}
    people: Mapped[dict] = mapped_column(EncryptedJSON)
    body: Mapped[str] = mapped_column(EncryptedString)
    # [{"name", "size", "kept": bool, "why": str}] - what the message carried
    attachments: Mapped[list] = mapped_column(EncryptedJSON)
    # Deferred: up to 10 MB to decrypt, read only to file attachments (lists and the
    # history never need it).
    raw: Mapped[bytes | None] = mapped_column(EncryptedMail, deferred=True)

    filed_by: Mapped[User | None] = relationship(lazy="joined")


class CapturedMailLink(db.Model):
    """A captured message filed on a customer, once (a merge leaves the merged file's link
    where it is when the survivor has one: app.customers.merge)."""

    __tablename__ = "captured_mail_links"
    __table_args__ = (UniqueConstraint("customer_id", "captured_id",
                                       name="uq_captured_mail_links_customer_captured"),
                      Index("ix_captured_mail_links_captured", "captured_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    captured_id: Mapped[int] = mapped_column(ForeignKey("captured_mail.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # address: an address of the customer appears in the message; hand: a person chose it
    how: Mapped[str] = mapped_column(String(10))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
