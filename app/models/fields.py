"""The office's own customer fields: their definitions and each customer's values.

Values live in a typed table, one row per (customer, field), with one column per kind
(text, number, date, yes/no) and an index on (field, value) for each: a filter on a
field is an index range scan that yields customer ids, which the list's query takes as
`id IN (…)`, the way it filters by tag. A JSON column on `customers` would need a
different expression index per field and per database (SQLite's `json_extract`,
PostgreSQL's `->>`), made and dropped as admins change fields, and would rewrite the
whole customer row on every edit. The list shows at most a page of customers, so its
columns cost one indexed lookup of 25 customers' values.

A field visible only to roles that see identification numbers is *sensitive*: its
value is encrypted at rest (`secret`, app/crypto.py) and the typed columns stay empty,
so it cannot be filtered or sorted on the server — the list offers no filter for it.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.crypto import EncryptedString
from app.extensions import db
from app.models.base import UTCDateTime, utcnow

FIELD_KINDS = {"text": "Text", "number": "Number", "date": "Date", "choice": "Choice",
               "yesno": "Yes / no"}


class CustomField(db.Model):
    """A field the office defines; archived fields keep their values until purged."""

    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    choices: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    in_list: Mapped[bool] = mapped_column(Boolean, default=False)
    # Shown only to roles that may see identification numbers; encrypted at rest.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def options(self) -> tuple[str, ...]:
        """What a filter offers to pick from; empty for a kind that is typed in."""
        if self.kind == "choice":
            return tuple(self.choices or ())
        return ("yes", "no") if self.kind == "yesno" else ()

    @property
    def key(self) -> str:
        """Its name in URLs, forms and CSV headers."""
        return f"f{self.id}"


class CustomFieldValue(db.Model):
    """One customer's value of one field. A plain `id` key (not the pair): key rotation
    (app/key_rotation.py) walks and rewrites encrypted rows by a single-column key."""

    __tablename__ = "customer_field_values"
    __table_args__ = (
        UniqueConstraint("customer_id", "field_id", name="uq_field_values_customer_field"),
        # With the customer id, so a filter reads the index alone (no row lookups).
        Index("ix_field_values_text", "field_id", "text_value", "customer_id"),
        Index("ix_field_values_number", "field_id", "number_value", "customer_id"),
        Index("ix_field_values_date", "field_id", "date_value", "customer_id"),
        Index("ix_field_values_bool", "field_id", "bool_value", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"))
    text_value: Mapped[str | None] = mapped_column(String(500))
    number_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    date_value: Mapped[date | None] = mapped_column(Date)
    bool_value: Mapped[bool | None] = mapped_column(Boolean)
    secret: Mapped[str | None] = mapped_column(EncryptedString)
