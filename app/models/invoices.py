"""Invoices, their lines and payments, and the counters that number them.

Money is Decimal, stored as NUMERIC. A draft has no number: it takes the next one of the
office's series when it is finalized (app/invoices/numbering.py), and keeps a snapshot of
the seller and the buyer as they were then (app/invoices/snapshot.py).
"""
from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint, func,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.crypto import EncryptedJSON
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.customers import Customer
from app.models.users import User

INVOICE_STATES = ("draft", "finalized", "partially_paid", "paid", "void")
PAYMENT_METHODS = ("bank_transfer", "card", "cash", "cheque", "other")
MONEY = Numeric(14, 2)
# What a person sees where a draft's number will be.
DRAFT_NUMBER = "Draft"
INVOICE_SERIES = "invoice"  # credit notes will count in a series of their own


def _view_key() -> str:
    return secrets.token_urlsafe(24)


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        # Two invoices never share a number (drafts have none: NULLs are distinct).
        UniqueConstraint("number", name="uq_invoices_number"),
        Index("ix_invoices_status_due", "status", "due_date"),
        Index("ix_invoices_issue_date", "issue_date"),
        Index("ix_invoices_customer_issue", "customer_id", "issue_date"),
        # Reports: the newest change, which keys the cache of history-wide figures.
        Index("ix_invoices_updated", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    # The number as printed ("2026-0042"), None while a draft; read `number`.
    issued_number: Mapped[str | None] = mapped_column("number", String(40))
    # Where it sits in the series (for sorting, and search by the bare counter):
    # counter year (0 when the series does not restart yearly) and the counter.
    number_year: Mapped[int | None] = mapped_column(Integer)
    number_seq: Mapped[int | None] = mapped_column(Integer)
    # The number lower-cased with only its letters and digits, for search ("inv00042").
    number_key: Mapped[str | None] = mapped_column(String(40), index=True)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    tax_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    amount_paid: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    # Key for the client's HTML view link; unguessable (192 random bits).
    view_key: Mapped[str] = mapped_column(String(64), unique=True, default=_view_key)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seller and buyer as they were at finalize (names, addresses, tax and bank details):
    # what the PDF and the customer's view print. Encrypted: it holds tax numbers.
    snapshot: Mapped[dict | None] = mapped_column(EncryptedJSON)

    customer: Mapped[Customer] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position")
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="Payment.paid_on")

    @hybrid_property
    def number(self) -> str:
        """The number, or "Draft" before it has one (in SQL too)."""
        return self.issued_number or DRAFT_NUMBER

    @number.inplace.expression
    @classmethod
    def _number_expression(cls):
        return func.coalesce(cls.issued_number, DRAFT_NUMBER)

    @property
    def balance(self) -> Decimal:
        return (self.total or Decimal("0")) - (self.amount_paid or Decimal("0"))


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3), default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_paid_on", "paid_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"),
                                            index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    method: Mapped[str] = mapped_column(String(20), default="bank_transfer")
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class NumberCounter(db.Model):
    """The last number taken in a series (and year): one row, updated in the transaction
    that finalizes, so a rolled-back finalize gives its number back and none is skipped.
    `year` is 0 for a series that does not restart each year."""

    __tablename__ = "number_counters"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class DocumentImage(db.Model):
    """An image printed on issued documents (the office logo), stored once per content:
    every invoice's snapshot names it by its SHA-256 instead of carrying the bytes."""

    __tablename__ = "document_images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
