"""The outbox (one EmailMessage per recipient), delivery events, and inbound bounce mail."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.customers import Customer
from app.models.invoices import Invoice
from app.models.users import User

# Where the message is in *our* hands: the outbox state machine.
DELIVERY_STATES = ("queued", "sending", "sent", "delayed", "rejected")
# System mail (notification digests; later password resets, invitations, test sends,
# BCC-to-self copies): sent through the same outbox, but no tracking image, no rewritten
# links, and never in the Invoice Email report or any Sent Status.
SYSTEM_KIND = "system"
# What the office sees (the Sent Status) and the event types are app.events.status's.


def _token() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits


class EmailMessage(db.Model):
    __tablename__ = "email_messages"
    __table_args__ = (
        Index("ix_email_messages_invoice", "invoice_id", "created_at"),
        Index("ix_email_messages_state", "state", "created_at"),
        Index("ix_email_messages_status_created", "status", "created_at"),
        Index("ix_email_messages_customer_created", "customer_id", "created_at"),
        Index("ix_email_messages_created", "created_at"),
        Index("ix_email_messages_to", "to_address", "created_at"),
        # Reports: "sent by" filter and email outcomes per staff member.
        Index("ix_email_messages_created_by", "created_by_id", "created_at"),
        # One message per recipient per "Send": a double submit can't send twice.
        UniqueConstraint("batch", "to_address", name="uq_email_messages_batch_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(12), default="invoice")  # invoice|reminder|system
    batch: Mapped[str] = mapped_column(String(40), default="")  # one "Send" click
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    recipient_role: Mapped[str] = mapped_column(String(3), default="to")  # to | cc | bcc
    cc_addresses: Mapped[str] = mapped_column(Text, default="")  # shown in the header only
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    attach_pdf: Mapped[bool] = mapped_column(default=True)
    include_link: Mapped[bool] = mapped_column(default=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    verp_token: Mapped[str] = mapped_column(String(64), unique=True, default=_token)
    open_token: Mapped[str] = mapped_column(String(64), unique=True, default=_token)

    state: Mapped[str] = mapped_column(String(10), default="queued")
    status: Mapped[str] = mapped_column(String(10), default="queued")
    status_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The worker (its heartbeat name) holding the claim: a dead one's claims go back.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    smtp_code: Mapped[int | None]
    smtp_response: Mapped[str] = mapped_column(Text, default="")
    possible_duplicate: Mapped[bool] = mapped_column(default=False)
    gave_up: Mapped[bool] = mapped_column(default=False)
    override_suppression: Mapped[bool] = mapped_column(default=False)
    human_opens: Mapped[int] = mapped_column(default=0)
    automated_opens: Mapped[int] = mapped_column(default=0)
    clicks: Mapped[int] = mapped_column(default=0)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_event_type: Mapped[str] = mapped_column(String(10), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Fix and resend: the id of the rejected email this one replaces. No foreign key: one
    # cannot be added to this table on SQLite without rebuilding it (migration 0006), and
    # emails are never deleted (erasure scrubs them).
    resent_from_id: Mapped[int | None]
    # A reminder's stage (app.models.reminders), for the report's filter; no foreign key
    # for the same reason as resent_from_id.
    reminder_stage_id: Mapped[int | None]

    invoice: Mapped[Invoice | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    events: Mapped[list[EmailEvent]] = relationship(
        back_populates="message", order_by="(EmailEvent.occurred_at, EmailEvent.id)")
    links: Mapped[list[EmailLink]] = relationship(back_populates="message")
    reminder_stage = relationship(
        "ReminderStage", viewonly=True,
        primaryjoin="foreign(EmailMessage.reminder_stage_id) == ReminderStage.id")

    @property
    def is_system(self) -> bool:
        return self.kind == SYSTEM_KIND


class EmailLink(db.Model):
    """A tracked link: the token maps to exactly one recorded URL (no open redirect)."""

    __tablename__ = "email_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=_token)
    message_id: Mapped[int] = mapped_column(ForeignKey("email_messages.id", ondelete="CASCADE"),
                                            index=True)
    url: Mapped[str] = mapped_column(Text)

    message: Mapped[EmailMessage] = relationship(back_populates="links")


class EmailEvent(db.Model):
    __tablename__ = "email_events"
    __table_args__ = (
        Index("ix_email_events_message_at", "message_id", "occurred_at"),
        Index("ix_email_events_type_at", "type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("email_messages.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(10))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(40))  # smtp, dsn, arf, pixel, click, ...
    automated: Mapped[bool] = mapped_column(default=False)
    delivered: Mapped[bool] = mapped_column(default=False)
    code: Mapped[str] = mapped_column(String(20), default="")
    diagnostic: Mapped[str] = mapped_column(Text, default="")
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Of a rejection or delay: why (app.events.reasons' vocabulary) and whose problem that
    # is (its class); empty for other events.
    reason: Mapped[str] = mapped_column(String(20), default="")
    failure_class: Mapped[str] = mapped_column(String(10), default="")
    # A person marked the verdict wrong: the address was restored (app.mail.consequences).
    overturned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overturned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    overturn_note: Mapped[str] = mapped_column(Text, default="")
    # The same signal arriving twice maps to the same key and is stored once.
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)

    message: Mapped[EmailMessage] = relationship(back_populates="events")
    overturned_by: Mapped[User | None] = relationship()


class InboundMessage(db.Model):
    """Raw bounce / complaint / reply mail, stored before it is parsed."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_state", "state", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    via: Mapped[str] = mapped_column(String(20))  # smtp | imap | pipe
    envelope_from: Mapped[str] = mapped_column(String(300), default="")
    envelope_to: Mapped[str] = mapped_column(String(300), default="")
    # The mail as received; for a provider's event, our reading of it and the provider's JSON.
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # new -> processed | unconfirmed (matched by address only) | unmatched | unparsed |
    # ignored (auto-replies); unconfirmed -> processed when a person confirms it;
    # captured (mail to a drop-box address: app.capture holds it, and this raw is emptied)
    state: Mapped[str] = mapped_column(String(12), default="new")
    kind: Mapped[str] = mapped_column(String(12), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # The email it is about; for a report held "unconfirmed", the email it would be about.
    matched_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_messages.id", ondelete="SET NULL"))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text, default="")
    # Whether the mail returned a copy of our email (or its headers); without one only a
    # VERP envelope ties it to an email of ours. None: not read yet, or a provider's event.
    has_original: Mapped[bool | None] = mapped_column(Boolean)
    # A provider's webhook event (a sha256 of its id) waiting for review: a replay of it
    # maps to the same key and is stored once. Mail has none: every copy received is kept.
    dedupe_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Mail to a drop-box: whose, decided when it was received (app.capture.dropbox), so a
    # rotation while it waits for the worker does not lose it.
    # (A plain key: SQLite adds it without a table copy; accounts are disabled, not deleted.)
    dropbox_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    matched_message: Mapped[EmailMessage | None] = relationship()
