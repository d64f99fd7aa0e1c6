"""The office's own customer fields: definitions, parsing, values, filters (no Flask).

How values are stored, and why, is told in app/models/fields.py. Who sees a field: every
role, or — for a sensitive field — only roles holding `customers.view_ids`; the caller
passes the user and every function here takes what that user may see.

"Required" is enforced when a file is created or a field is edited in the file (the
form refuses an empty value); files that predate the field are not blocked — they show
"not filled in" until someone edits that section.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from babel.dates import format_date
from babel.dates import parse_date as babel_parse_date
from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from sqlalchemy import Select, delete, func, insert, select

from app.extensions import db
from app.models import FIELD_KINDS, CustomField, CustomFieldValue
from app.models.base import contains_text, utcnow
from app.permissions import role_can
from app.settings import store as settings

YES = ("yes", "y", "true", "1", "ja", "oui", "si", "sí", "x")
NO = ("no", "n", "false", "0", "nein", "non")
MAX_TEXT = 500
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FieldError(ValueError):
    """A value the field refuses; the message is for the person who typed it."""


def sees_sensitive(user) -> bool:
    return role_can(getattr(user, "role", None), "customers.view_ids")


def fields_for(user, *, archived: bool = False) -> list[CustomField]:
    """The fields `user` may see, in the office's order (active ones unless `archived`)."""
    return defined(sensitive=sees_sensitive(user), archived=archived)


def defined(*, sensitive: bool, archived: bool = False) -> list[CustomField]:
    """Active (or hidden) fields in the office's order; sensitive ones when `sensitive`."""
    query = select(CustomField).order_by(CustomField.position, CustomField.id)
    query = query.where(CustomField.archived_at.isnot(None) if archived
                        else CustomField.archived_at.is_(None))
    if not sensitive:
        query = query.where(CustomField.sensitive.is_(False))
    return list(db.session.scalars(query))


def _locale() -> str:
    return settings.get("locale.code") or "en_GB"


def parse(field: CustomField, raw: Any) -> Any:
    """The stored value for `raw` (text from a form or a CSV cell); None when empty.

    Raises FieldError with a message naming the field when the text is not acceptable.
    """
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None
    if field.kind == "text":
        if len(text) > MAX_TEXT:
            raise FieldError(f"{field.label}: at most {MAX_TEXT} characters.")
        return text
    if field.kind == "number":
        try:
            return Decimal(text) if re.fullmatch(r"-?\d+(\.\d+)?", text) \
                else parse_decimal(text, locale=_locale())
        except (NumberFormatError, InvalidOperation, ValueError):
            raise FieldError(f"{field.label}: “{text}” is not a number.") from None
    if field.kind == "date":
        try:
            if _ISO.match(text):
                return date.fromisoformat(text)
            return babel_parse_date(text, locale=_locale())
        except (ValueError, IndexError):
            raise FieldError(f"{field.label}: “{text}” is not a date "
                             f"(write it as {example_date()} or 2026-12-31).") from None
    if field.kind == "yesno":
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise FieldError(f"{field.label}: answer yes or no.")
    if field.kind == "choice":
        for choice in field.choices or []:
            if choice.lower() == text.lower():
                return choice
        raise FieldError(f"{field.label}: choose one of " + ", ".join(field.choices or [])
                         + ".")
    raise FieldError(f"{field.label}: unknown kind of field.")


def example_date() -> str:
    return format_date(date(2026, 12, 31), "short", locale=_locale())


def display(field: CustomField, value: Any, locale: str | None = None) -> str:
    """The value as a bookkeeper reads it ("" when empty); in `locale` when the caller
    has read it (a page of values), else the office's."""
    if value is None:
        return ""
    if field.kind == "yesno":
        return "Yes" if value else "No"
    if field.kind == "number":
        return format_decimal(value, locale=locale or _locale())
    if field.kind == "date":
        return format_date(value, "medium", locale=locale or _locale())
    return str(value)


def list_cells(customer_ids: Iterable[int], fields: list[CustomField]
               ) -> dict[int, list[tuple[str, str]]]:
    """{customer id: [(label, value as read), …]} for the list's columns `fields`, a
    cell for every field and customer, filled in or not (one query)."""
    ids = list(customer_ids)
    held, locale = values_for(ids, fields), _locale()
    return {cid: [(f.label, display(f, held.get(cid, {}).get(f.id), locale)) for f in fields]
            for cid in ids} if fields else {}


def as_text(field: CustomField, value: Any) -> str:
    """The value for a CSV cell or a form input, which `parse` reads back."""
    if value is None:
        return ""
    if field.kind == "yesno":
        return "yes" if value else "no"
    if field.kind == "date":
        return value.isoformat()
    if field.kind == "number":
        return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
    return str(value)


_VALUE_COLUMNS = (CustomFieldValue.customer_id, CustomFieldValue.field_id,
                  CustomFieldValue.text_value, CustomFieldValue.number_value,
                  CustomFieldValue.date_value, CustomFieldValue.bool_value,
                  CustomFieldValue.secret)


def read_value(field: CustomField, row: CustomFieldValue) -> Any:
    """The value a stored row (object or plain row) holds for `field` (decrypted for a
    sensitive field)."""
    if field.sensitive:
        return None if row.secret is None else parse(field, row.secret)
    return {"text": row.text_value, "choice": row.text_value, "number": row.number_value,
            "date": row.date_value, "yesno": row.bool_value}[field.kind]


def values_for(customer_ids: Iterable[int], fields: list[CustomField]) -> dict[int, dict]:
    """{customer id: {field id: value}} for these customers and fields (one query)."""
    ids, by_id = list(customer_ids), {f.id: f for f in fields}
    if not ids or not by_id:
        return {}
    found: dict[int, dict] = {}
    # Plain rows, not CustomFieldValue objects: a page of the list reads 25 customers'
    # values, and loading them as objects cost more than the query.
    rows = db.session.execute(select(*_VALUE_COLUMNS).where(
        CustomFieldValue.customer_id.in_(ids), CustomFieldValue.field_id.in_(by_id)))
    for row in rows:
        found.setdefault(row.customer_id, {})[row.field_id] = read_value(by_id[row.field_id], row)
    return found


def _columns(field: CustomField, value: Any) -> dict[str, Any]:
    """The value's typed column (or its encrypted one) for a `customer_field_values` row."""
    row = dict(text_value=None, number_value=None, date_value=None, bool_value=None,
               secret=None)
    if field.sensitive:
        row["secret"] = as_text(field, value)
    else:
        row[{"text": "text_value", "choice": "text_value", "number": "number_value",
             "date": "date_value", "yesno": "bool_value"}[field.kind]] = value
    return row


def insert_values(rows: list[tuple[int, dict[CustomField, Any]]]) -> None:
    """Values of customers that have none yet (new ones), in one statement."""
    params = [{"customer_id": cid, "field_id": field.id, **_columns(field, value)}
              for cid, values in rows for field, value in values.items() if value is not None]
    if params:
        db.session.execute(insert(CustomFieldValue), params)


def set_values(customer_id: int, new: dict[CustomField, Any]) -> dict[str, list]:
    """Store `new` ({field: parsed value or None}); the audit changes
    ({label: [old, new]}, sensitive values as a marker)."""
    current = values_for([customer_id], list(new)).get(customer_id, {})
    changed: dict[str, list] = {}
    for field, value in new.items():
        old = current.get(field.id)
        if old == value:
            continue
        changed[field.label] = (["[hidden]", "[hidden]"] if field.sensitive
                                else [as_text(field, old), as_text(field, value)])
        row = db.session.scalar(select(CustomFieldValue).filter_by(
            customer_id=customer_id, field_id=field.id))
        if value is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = CustomFieldValue(customer_id=customer_id, field_id=field.id)
            db.session.add(row)
        for column, stored in _columns(field, value).items():
            setattr(row, column, stored)
    return changed


def filter_clause(field: CustomField, raw: str) -> Select | None:
    """Customers whose value matches `raw`: text contains it, other kinds equal it.

    None when the field cannot be filtered (sensitive: encrypted) or `raw` is not a
    value of the field (the list then ignores it, as it does any unknown argument).
    """
    if field.sensitive:
        return None
    try:
        value = parse(field, raw)
    except FieldError:
        return None
    if value is None:
        return None
    column = {"text": CustomFieldValue.text_value, "choice": CustomFieldValue.text_value,
              "number": CustomFieldValue.number_value, "date": CustomFieldValue.date_value,
              "yesno": CustomFieldValue.bool_value}[field.kind]
    match = contains_text(column, value) if field.kind == "text" else column == value
    return select(CustomFieldValue.customer_id).where(
        CustomFieldValue.field_id == field.id, match)


def filterable(fields: list[CustomField]) -> list[CustomField]:
    return [f for f in fields if not f.sensitive]


def by_keys(fields: list[CustomField]) -> dict[str, CustomField]:
    return {f.key: f for f in fields}


# Definitions (the admin page) ------------------------------------------------------------

def parse_choices(text: str) -> list[str]:
    """Choices from one per line (or comma-separated), trimmed, without repeats."""
    parts = re.split(r"[\n,]", text or "")
    return list(dict.fromkeys(p.strip()[:60] for p in parts if p.strip()))[:50]


def archive(field: CustomField) -> None:
    """Hide the field everywhere; its values stay until `purge`."""
    field.archived_at = utcnow()


def restore(field: CustomField) -> None:
    field.archived_at = None


def purge(field: CustomField) -> int:
    """Delete an archived field and every value held in it; how many values went."""
    if field.archived_at is None:
        raise FieldError("Hide the field first; its data can be deleted once it is hidden.")
    gone = db.session.execute(delete(CustomFieldValue).where(
        CustomFieldValue.field_id == field.id)).rowcount or 0
    db.session.delete(field)
    return gone


def value_count(field_id: int) -> int:
    return db.session.scalar(select(func.count()).where(
        CustomFieldValue.field_id == field_id)) or 0


def next_position() -> int:
    return (db.session.scalar(select(func.max(CustomField.position))) or 0) + 1


__all__ = ["FIELD_KINDS", "FieldError"]
