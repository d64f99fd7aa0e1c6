"""Exports of a customer list as CSV and Excel, honouring the caller's masking (no Flask).

Both open as they should in Excel: the CSV starts with a byte order mark (else Excel
reads UTF-8 names as Windows text) and has one phone per column; the workbook holds
phones and every other text as text cells. A cell that a spreadsheet would run as a
formula (starting with = + - @, a tab or a carriage return) is neutralised in both: in
the CSV by a leading apostrophe, in the workbook by Excel's own text marker (the quote
prefix), which keeps the value as it is.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import fields as custom_fields
from app.customers.identifiers import identifier_text
from app.extensions import db
from app.models import Customer, CustomerPhone, CustomField

CSV_COLUMNS = ("id", "kind", "name", "first_name", "last_name", "company", "primary_email",
               "other_emails", "phone", "city", "country", "owner", "status", "tags",
               "identification", "marketing_consent", "sharing_consent", "created_at")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500
BOM = "\ufeff"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # no XML (so no Excel) for these


def needs_neutralising(text: str) -> bool:
    return text.startswith(_FORMULA_START)


def safe_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if needs_neutralising(text) else text


def identifiers_text(customer: Customer, show_ids: bool) -> str:
    return "; ".join(f"{i.kind}: {identifier_text(i, show_ids)}" for i in customer.identifiers)


def columns(phone_columns: int, fields: Iterable[CustomField] = ()) -> list[str]:
    """The header: one `phone`, `phone_2`, … column per phone the busiest customer has,
    then the office's own fields by name (which the import maps back)."""
    at = CSV_COLUMNS.index("phone")
    phones = ["phone"] + [f"phone_{n}" for n in range(2, phone_columns + 1)]
    return [*CSV_COLUMNS[:at], *phones, *CSV_COLUMNS[at + 1:], *(f.label for f in fields)]


def values(customer: Customer, show_ids: bool, phone_columns: int,
           own: tuple[list[CustomField], dict] = ((), {})) -> list:
    """A customer's cells, as plain values (text, numbers), in `columns` order; `own` is
    (the office's fields, {field id: value}) for this customer."""
    fields, held = own
    primary = customer.primary_email
    address = customer.addresses[0] if customer.addresses else None
    phones = [p.e164 for p in customer.phones][:phone_columns]
    return [
        customer.id, customer.kind, customer.display_name, customer.first_name,
        customer.last_name, customer.company, primary.address if primary else "",
        " ".join(e.address for e in customer.emails if e is not primary),
        *phones, *[""] * (phone_columns - len(phones)),
        address.city if address else "", address.country if address else "",
        customer.owner.email if customer.owner else "", customer.status,
        ", ".join(t.name for t in customer.tags),
        identifiers_text(customer, show_ids),
        "yes" if customer.marketing_consent else "no",
        "yes" if customer.sharing_consent else "no",
        customer.created_at.isoformat(timespec="seconds") if customer.created_at else "",
        *(custom_fields.as_text(f, held.get(f.id)) for f in fields),
    ]


def csv_row(customer: Customer, show_ids: bool, phone_columns: int = 1,
            own: tuple[list[CustomField], dict] = ((), {})) -> list[str]:
    return [safe_cell(v) for v in values(customer, show_ids, phone_columns, own)]


def phone_columns_for(customer_ids: list[int]) -> int:
    """How many phone columns the export needs: the most phones any of them has."""
    most = 1
    for start in range(0, len(customer_ids), BATCH):
        counts = (select(func.count()).where(
            CustomerPhone.customer_id.in_(customer_ids[start:start + BATCH]))
            .group_by(CustomerPhone.customer_id).subquery())
        most = max(most, db.session.scalar(select(func.max(counts.c[0]))) or 0)
    return most


def _batches(customer_ids: list[int], fields: list[CustomField]
             ) -> Iterator[list[tuple[Customer, tuple]]]:
    """(customer, its own fields' values) in the given order, a batch at a time (flat
    memory for large lists)."""
    for start in range(0, len(customer_ids), BATCH):
        chunk = customer_ids[start:start + BATCH]
        loaded = {c.id: c for c in db.session.scalars(
            select(Customer).where(Customer.id.in_(chunk)).options(*eager_options()))}
        held = custom_fields.values_for(chunk, fields)
        yield [(loaded[cid], (fields, held.get(cid, {}))) for cid in chunk]
        for customer in loaded.values():  # keep memory flat; cascades to contacts
            db.session.expunge(customer)


def iter_csv(customer_ids: list[int], show_ids: bool) -> Iterator[str]:
    """The CSV text in chunks, for Excel: a byte order mark first."""
    phone_columns = phone_columns_for(customer_ids)
    fields = custom_fields.defined(sensitive=show_ids)
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(columns(phone_columns, fields))
    yield _drain(buffer)
    for batch in _batches(customer_ids, fields):
        for customer, own in batch:
            writer.writerow(csv_row(customer, show_ids, phone_columns, own))
        yield _drain(buffer)


def xlsx_bytes(customer_ids: list[int], show_ids: bool) -> bytes:
    """The list as an Excel workbook: the same columns, text as text cells (phones too)."""
    # The workbook library is large and only this export needs it: loaded on first use.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    phone_columns = phone_columns_for(customer_ids)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Customers")

    def cell(value):
        if not isinstance(value, str):
            return value
        made = WriteOnlyCell(sheet, value=_XML_ILLEGAL.sub("", value))
        made.data_type = "s"  # text stays text, "=…" included
        made.quotePrefix = needs_neutralising(value)  # and stays text when edited in Excel
        return made

    fields = custom_fields.defined(sensitive=show_ids)
    sheet.append([cell(h) for h in columns(phone_columns, fields)])
    for batch in _batches(customer_ids, fields):
        for customer, own in batch:
            sheet.append([cell(v) for v in values(customer, show_ids, phone_columns, own)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def eager_options() -> Iterable:
    return (selectinload(Customer.emails), selectinload(Customer.phones),
            selectinload(Customer.addresses), selectinload(Customer.identifiers),
            selectinload(Customer.tags), selectinload(Customer.owner))


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
