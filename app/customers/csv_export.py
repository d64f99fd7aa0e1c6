"""CSV export of a customer list, honouring the caller's masking (no Flask)."""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.customers.identifiers import identifier_text
from app.extensions import db
from app.models import Customer

CSV_COLUMNS = ("id", "kind", "name", "first_name", "last_name", "company", "primary_email",
               "other_emails", "phones", "city", "country", "owner", "status", "tags",
               "identification", "marketing_consent", "sharing_consent", "created_at")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500


def safe_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def identifiers_text(customer: Customer, show_ids: bool) -> str:
    return "; ".join(f"{i.kind}: {identifier_text(i, show_ids)}" for i in customer.identifiers)


def csv_row(customer: Customer, show_ids: bool) -> list[str]:
    primary = customer.primary_email
    address = customer.addresses[0] if customer.addresses else None
    row = [
        customer.id, customer.kind, customer.display_name, customer.first_name,
        customer.last_name, customer.company, primary.address if primary else "",
        " ".join(e.address for e in customer.emails if e is not primary),
        " ".join(p.e164 for p in customer.phones),
        address.city if address else "", address.country if address else "",
        customer.owner.email if customer.owner else "", customer.status,
        ", ".join(t.name for t in customer.tags),
        identifiers_text(customer, show_ids),
        "yes" if customer.marketing_consent else "no",
        "yes" if customer.sharing_consent else "no",
        customer.created_at.isoformat(timespec="seconds") if customer.created_at else "",
    ]
    return [safe_cell(v) for v in row]


def iter_csv(customer_ids: list[int], show_ids: bool) -> Iterator[str]:
    """The CSV text in chunks, loading customers in batches (safe for large lists)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    for start in range(0, len(customer_ids), BATCH):
        chunk = customer_ids[start:start + BATCH]
        loaded = {c.id: c for c in db.session.scalars(
            select(Customer).where(Customer.id.in_(chunk)).options(*eager_options()))}
        for cid in chunk:
            writer.writerow(csv_row(loaded[cid], show_ids))
        yield _drain(buffer)
        for customer in loaded.values():  # keep memory flat; cascades to contacts
            db.session.expunge(customer)


def eager_options() -> Iterable:
    return (selectinload(Customer.emails), selectinload(Customer.phones),
            selectinload(Customer.addresses), selectinload(Customer.identifiers),
            selectinload(Customer.tags), selectinload(Customer.owner))


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
