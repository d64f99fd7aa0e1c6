"""Customer files: identity, contact, consent, assignment, notes and tags."""
from __future__ import annotations

from datetime import date, datetime
from typing import Collection

from sqlalchemy import (
    JSON, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text,
    UniqueConstraint, event, inspect, select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from app.crypto import EncryptedJSON, EncryptedString
from app.extensions import db
from app.models import search_index
from app.models.base import UTCDateTime, utcnow
from app.models.users import User

CUSTOMER_KINDS = ("person", "company")
CUSTOMER_STATUSES = ("active", "inactive", "archived")
EMAIL_STATES = ("ok", "unverified", "invalid")
NOTE_KINDS = ("call", "email", "meeting", "other")
CHANNELS = ("email", "phone", "post", "in_person")

customer_tags = Table(
    "customer_tags", db.Model.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_customer_tags_tag", "tag_id"),
)


def customer_display_name(customer_id, kind: str, first_name: str | None,
                          last_name: str | None, company: str | None) -> str:
    """What a customer is called: the company for companies, else the person's name."""
    person = f"{first_name or ''} {last_name or ''}".strip()
    if kind == "company":
        return company or person or f"Customer #{customer_id}"
    return person or company or f"Customer #{customer_id}"


class Tag(db.Model):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Customer(db.Model):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_owner_status", "owner_id", "status"),
        Index("ix_customers_sort_name", "sort_name"),
        Index("ix_customers_status_sort", "status", "sort_name"),
        # Reports: the "contact needs review" work list, by name.
        Index("ix_customers_needs_review", "needs_review", "sort_name"),
        # With the id, so "newest first" reads the index in order on PostgreSQL too.
        Index("ix_customers_updated", "updated_at", "id"),
        Index("ix_customers_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="person")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    # "Last, First" or the company name: what lists sort by.
    sort_name: Mapped[str] = mapped_column(String(260), default="")
    # Lower-cased name, company, emails, phones and tags: what search looks in. Both are
    # kept by a flush listener (end of this module), never set by hand.
    search_text: Mapped[str] = mapped_column(Text, default="")
    born_or_founded: Mapped[date | None] = mapped_column(Date)
    industry: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(20), default="")
    # Billing: empty currency / no terms mean the office's defaults (app.invoices.defaults).
    currency: Mapped[str] = mapped_column(String(3), default="")
    payment_terms_days: Mapped[int | None] = mapped_column()
    # One switch for every reminder to this customer, with the reason people see.
    reminders_off: Mapped[bool] = mapped_column(default=False)
    reminders_off_reason: Mapped[str] = mapped_column(String(500), default="")

    preferred_channel: Mapped[str] = mapped_column(String(20), default="email")
    preference_notes: Mapped[str] = mapped_column(Text, default="")
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    marketing_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    marketing_consent_source: Mapped[str] = mapped_column(String(200), default="")
    sharing_consent: Mapped[bool] = mapped_column(default=False)
    sharing_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sharing_consent_source: Mapped[str] = mapped_column(String(200), default="")

    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    last_verified_on: Mapped[date | None] = mapped_column(Date)
    needs_review: Mapped[bool] = mapped_column(default=False)
    needs_review_reason: Mapped[str] = mapped_column(String(500), default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when this file was merged into another (app.customers.merge): its id then leads
    # to the survivor, and lists and the duplicate finder leave it out. No ON DELETE:
    # customer rows are never deleted (erasure blanks them), and SQLite reads back no
    # option of a reference added by ALTER TABLE.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)

    owner: Mapped[User | None] = relationship()
    emails: Mapped[list[CustomerEmail]] = relationship(
        back_populates="customer", cascade="all, delete-orphan",
        order_by="(CustomerEmail.is_primary.desc(), CustomerEmail.id)")
    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.id")
    addresses: Mapped[list[CustomerAddress]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerAddress.id")
    identifiers: Mapped[list[CustomerIdentifier]] = relationship(
        back_populates="customer", cascade="all, delete-orphan",
        order_by="CustomerIdentifier.id")
    tags: Mapped[list[Tag]] = relationship(secondary=customer_tags, order_by="Tag.name")

    @property
    def display_name(self) -> str:
        return customer_display_name(self.id, self.kind, self.first_name, self.last_name,
                                     self.company)

    @property
    def primary_email(self) -> CustomerEmail | None:
        for email in self.emails:
            if email.is_primary:
                return email
        return self.emails[0] if self.emails else None

    def refresh_search_fields(self, leaving: Collection[object] = ()) -> None:
        """Recompute sort name and search text from names, contacts and tags.

        Every flush does this for the customers whose parts changed (`_keep_search_fields`
        below); call it by hand only after a statement that bypassed the session. `leaving`
        holds contacts and tags being deleted in this flush. An erased customer keeps no
        search text, so nothing finds them by what they were called.
        """
        if self.kind == "company":
            self.sort_name = (self.company or self.last_name).lower()
        else:
            self.sort_name = ", ".join(p for p in (self.last_name, self.first_name) if p).lower() \
                or self.company.lower()
        if self.erased_at is not None:
            self.search_text = ""
            return
        # A contact moved to another customer in this flush is still in a list read
        # from the database.
        emails = [e for e in self.emails if e not in leaving and e.customer is self]
        phones = [p for p in self.phones if p not in leaving and p.customer is self]
        parts = [self.first_name, self.last_name, self.company]
        parts += [e.address for e in emails]
        parts += [p.e164 for p in phones] + [p.display for p in phones]
        parts += [t.name for t in self.tags if t not in leaving]
        self.search_text = " ".join(p for p in parts if p).lower()


search_index.listen(Customer.__table__)


class CustomerEmail(db.Model):
    __tablename__ = "customer_emails"
    __table_args__ = (
        Index("ix_customer_emails_address", "address"),
        UniqueConstraint("customer_id", "address", name="uq_customer_emails_customer_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             index=True)
    address: Mapped[str] = mapped_column(String(254))
    label: Mapped[str] = mapped_column(String(40), default="")
    is_primary: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(12), default="unverified")
    state_reason: Mapped[str] = mapped_column(String(500), default="")
    # Suppressed addresses (hard bounce, spam complaint) need an explicit override to mail.
    suppressed: Mapped[bool] = mapped_column(default=False)
    suppressed_reason: Mapped[str] = mapped_column(String(500), default="")
    suppressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A failure that leaves the address usable ("mailbox": full, suspended) and since when;
    # a later delivery to the address clears it (app.mail.consequences).
    problem: Mapped[str] = mapped_column(String(10), default="")
    problem_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship(back_populates="emails")


class CustomerPhone(db.Model):
    __tablename__ = "customer_phones"
    __table_args__ = (Index("ix_customer_phones_e164", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             index=True)
    e164: Mapped[str] = mapped_column(String(20))
    display: Mapped[str] = mapped_column(String(40), default="")
    label: Mapped[str] = mapped_column(String(40), default="")

    customer: Mapped[Customer] = relationship(back_populates="phones")


class CustomerAddress(db.Model):
    __tablename__ = "customer_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             index=True)
    label: Mapped[str] = mapped_column(String(40), default="")
    line1: Mapped[str] = mapped_column(String(200), default="")
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")

    customer: Mapped[Customer] = relationship(back_populates="addresses")


class CustomerIdentifier(db.Model):
    """A tax or national ID number. The value is encrypted; `last4` allows masked display."""

    __tablename__ = "customer_identifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             index=True)
    kind: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(EncryptedString)
    last4: Mapped[str] = mapped_column(String(4), default="")

    customer: Mapped[Customer] = relationship(back_populates="identifiers")


class Note(db.Model):
    """An interaction: a call, email, meeting or other note. Plain text, always escaped."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_customer_at", "customer_id", "occurred_at"),
                      Index("ix_notes_author_at", "author_id", "occurred_at"),
                      # Reports: interactions per week across all staff.
                      Index("ix_notes_occurred", "occurred_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default="other")
    body: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship()


class SavedFilter(db.Model):
    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filters_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(1000))


class CustomerImport(db.Model):
    """A CSV upload between its steps (map → review → confirm → run), kept server-side.

    `data` holds the parsed header and rows, encrypted like identification numbers: every
    cell of the upload is personal data. It is dropped once the import has run; an
    import left unconfirmed for a day is deleted by a periodic job. `skipped` holds the
    rows that were not imported and why (the user downloads them to correct), encrypted
    the same way and emptied by the same job a day after the import finished.
    """

    __tablename__ = "customer_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # uploaded → queued → running → done | failed
    state: Mapped[str] = mapped_column(String(12), default="uploaded")
    # {"header": [...], "rows": [...]}; None once applied.
    data: Mapped[dict | None] = mapped_column(EncryptedJSON)
    mapping: Mapped[list] = mapped_column(JSON, default=list)  # one target per column
    mode: Mapped[str] = mapped_column(String(8), default="skip")  # skip | update
    # The user chose to import the good rows and set the ones with problems aside.
    skip_problems: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=0)  # rows in the file
    processed: Mapped[int] = mapped_column(Integer, default=0)  # rows handled so far
    # {"header": [...], "rows": [[line, reasons, *cells], ...]}; None when there are none
    # or they have expired.
    skipped: Mapped[dict | None] = mapped_column(EncryptedJSON)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


# What a customer's search fields are made of, by the model it lives in.
_SEARCH_PARTS = {
    Customer: ("kind", "first_name", "last_name", "company", "emails", "phones", "tags",
               "erased_at"),
    CustomerEmail: ("address", "customer", "customer_id"),
    CustomerPhone: ("e164", "display", "customer", "customer_id"),
    Tag: ("name",),
}


def _changed(obj, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _owners(session: Session, contact: CustomerEmail | CustomerPhone) -> set[Customer]:
    """The customer a contact belongs to, and the one it left if it moved in this flush."""
    owner = contact.customer
    state = inspect(contact)
    if state.pending:
        if owner is None and contact.customer_id is not None:
            # Added by its customer_id alone: the customer's contacts, read from the
            # database, would not hold it yet.
            owner = session.get(Customer, contact.customer_id)
            contacts = owner.emails if isinstance(contact, CustomerEmail) else owner.phones
            if contact not in contacts:
                contacts.append(contact)
        return {owner} - {None}
    moved = state.attrs.customer.history
    owners = {owner, *moved.deleted}
    owners.update(session.get(Customer, i) for i in state.attrs.customer_id.history.deleted)
    if moved.has_changes():
        # Until this flush, customer_id still names the customer it left.
        owners.add(session.get(Customer, contact.customer_id))
    return owners - {None}


@event.listens_for(Session, "before_flush")
def _keep_search_fields(session: Session, flush_context, instances) -> None:
    """Recompute the search fields of every customer whose names, contacts or tags change.

    Covers the ORM only: a Core or bulk `update()` / `insert()` / `delete()` on these
    tables bypasses it (tests/customers/test_search_fields.py fails on one in app/).
    """
    stale: set[Customer] = set()
    tags: list[Tag] = []
    with session.no_autoflush:
        for obj in session.new:
            if isinstance(obj, Customer):
                stale.add(obj)
            elif isinstance(obj, (CustomerEmail, CustomerPhone)):
                stale |= _owners(session, obj)
        for obj in session.dirty:
            parts = _SEARCH_PARTS.get(type(obj))
            if parts is None or not _changed(obj, parts):
                continue
            if isinstance(obj, Customer):
                stale.add(obj)
            elif isinstance(obj, Tag):
                tags.append(obj)
            else:
                stale |= _owners(session, obj)
        for obj in session.deleted:
            if isinstance(obj, (CustomerEmail, CustomerPhone)):
                stale |= _owners(session, obj)
            elif isinstance(obj, Tag):
                tags.append(obj)
        tag_ids = [t.id for t in tags if t.id is not None]
        if tag_ids:
            stale.update(session.scalars(
                select(Customer).join(customer_tags)
                .where(customer_tags.c.tag_id.in_(tag_ids))
                .options(selectinload(Customer.emails), selectinload(Customer.phones),
                         selectinload(Customer.tags))))
        if stale:
            leaving = set(session.deleted)
            for customer in stale - leaving:
                customer.refresh_search_fields(leaving)
