"""Shared column helpers."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import ColumnElement, DateTime, TypeDecorator, func


# Ids are 32-bit integers on PostgreSQL and SQLite alike; larger ones belong to no row
# (and PostgreSQL refuses to compare an integer column with them).
MAX_ID = 2**31 - 1


def parse_id(text: str | None) -> int | None:
    """An id typed into a URL or form, or None: ASCII digits naming a possible row only
    ("²".isdigit() is true, and int() refuses it)."""
    text = (text or "").strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        return int(text)
    return None


def contains_text(column, text: str, *, fold_case: bool = True) -> ColumnElement[bool]:
    """`column` holds `text` as typed: every LIKE filter goes through here (or
    `starts_with_text`), so `%`, `_` and the escape character match themselves instead of
    acting as wildcards. `fold_case=False` for a column already stored lower-cased (its
    index stays usable)."""
    if fold_case:
        return func.lower(column).contains(text.lower(), autoescape=True)
    return column.contains(text, autoescape=True)


def starts_with_text(column, text: str) -> ColumnElement[bool]:
    """`column` begins with `text` as typed (case-sensitive; wildcards taken literally)."""
    return column.startswith(text, autoescape=True)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone; PostgreSQL does. This type makes both return aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
