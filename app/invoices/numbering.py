"""Invoice numbers: one office-wide series, taken when an invoice is finalized.

The format is the `invoices.number_format` setting ("{year}-{seq:04}", "INV-{seq:05}"):
`{year}` is the year of the issue date (a date in the office's time zone, as
`clock.today()` gives it), `{seq}` the counter, `{seq:0N}` the counter padded with zeros to
N digits. With `invoices.number_restart_yearly` the counter starts again at 1 each year.

The counter is a row of `number_counters`, keyed by series and year, raised by an
UPDATE … RETURNING inside the finalizing transaction — not a database sequence, which
would keep a number taken by a transaction that then rolls back. The UPDATE holds the
row (PostgreSQL's row lock; SQLite's single writer lock) until that transaction ends, so
a second finalize waits and takes the next number: gap-free, never used twice.

Search ignores case and everything but letters and digits ("inv 00042", "INV-00042" and
"00042" find INV-00042), and a bare counter finds its invoices ("42" finds 2026-0042).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app import settings
from app.models import INVOICE_SERIES, Invoice, NumberCounter
from app.models.base import contains_text

_FIELD = re.compile(r"\{(year|seq)(?::0?(\d))?\}")
MAX_NUMBER_LENGTH = 40


class NumberingError(ValueError):
    """The number can't be given (a format that repeats numbers); words for a person."""


@dataclass(frozen=True)
class Number:
    text: str
    year: int  # the counter's year: 0 when the series does not restart
    seq: int


def format_number(pattern: str, *, year: int, seq: int) -> str:
    """`pattern` with `{year}` and `{seq}` / `{seq:0N}` filled in; the rest as written."""
    def field(match: re.Match) -> str:
        if match.group(1) == "year":
            return f"{year:04d}"
        return str(seq).zfill(int(match.group(2) or 0))
    return _FIELD.sub(field, pattern)


def number_key(text: str) -> str:
    """What search compares: lower case, letters and digits only."""
    return re.sub(r"[\W_]+", "", text.lower())


def take_number(session, issue_date: date, series: str = INVOICE_SERIES) -> Number:
    """The next number of `series` for an invoice issued on `issue_date`.

    Call inside the finalizing transaction: the counter row stays held until it commits
    (the number is used) or rolls back (the number is given back).
    """
    pattern = settings.get("invoices.number_format")
    year = issue_date.year if settings.get("invoices.number_restart_yearly") else 0
    _ensure_counter(session, series, year)
    seq = session.execute(
        update(NumberCounter)
        .where(NumberCounter.series == series, NumberCounter.year == year)
        .values(last_value=NumberCounter.last_value + 1)
        .returning(NumberCounter.last_value)).scalar_one()
    text = format_number(pattern, year=issue_date.year, seq=seq)
    if len(text) > MAX_NUMBER_LENGTH:
        raise NumberingError("The invoice number would be too long; shorten the number "
                             "format in Settings.")
    if session.scalar(select(Invoice.id).where(Invoice.issued_number == text)) is not None:
        # A format without {year} in a series that restarts yearly (or a changed format)
        # would print a number already used: refuse rather than issue it twice.
        raise NumberingError(f"The number {text} is already used by another invoice; "
                             "change the number format in Settings (add {year}, or stop "
                             "restarting the numbers each year).")
    return Number(text, year, seq)


def _ensure_counter(session, series: str, year: int) -> None:
    """Create the counter row at 0 unless it exists; two first finalizes of a year may
    race here, so the insert gives way to the other's row instead of failing."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(NumberCounter).values(series=series, year=year, last_value=0)
                    .on_conflict_do_nothing(index_elements=["series", "year"]))


def assign_number(session, invoice: Invoice) -> None:
    """Give a draft being finalized the next number of the series."""
    number = take_number(session, invoice.issue_date)
    invoice.issued_number, invoice.number_year, invoice.number_seq = (
        number.text, number.year, number.seq)
    invoice.number_key = number_key(number.text)


def search_clause(text: str):
    """Invoices whose number matches `text` as typed (see the module's docstring); None
    when `text` has no letter or digit."""
    key = number_key(text)
    if not key:
        return None
    clauses = [contains_text(Invoice.number_key, key, fold_case=False)]
    if key.isascii() and key.isdigit() and len(key) <= 9:  # "²" is a digit to isdigit()
        clauses.append(Invoice.number_seq == int(key))
    if len(key) >= 3 and "draft".startswith(key):
        clauses.append(Invoice.issued_number.is_(None))
    return or_(*clauses)
