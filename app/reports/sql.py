"""SQL building blocks every report shares: date buckets, date windows, customer names.

Buckets are compiled per dialect (SQLite and PostgreSQL), so one query text serves
both and the grouping happens in the database. Who sees which figures is the customer
files' rule, `app.customers.access`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Date, String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.models.customers import customer_display_name


class month_of(FunctionElement):
    """'YYYY-MM' of a date or a UTC timestamp column."""

    type = String()
    inherit_cache = True
    name = "month_of"


class week_of(FunctionElement):
    """'YYYY-MM-DD' of the day starting the week of a date or UTC timestamp: the Monday of
    its ISO week, or with `first_weekday` (0 Monday … 6 Sunday) that weekday."""

    type = String()
    inherit_cache = True
    name = "week_of"

    def __init__(self, column, first_weekday: int = 0):
        # A literal clause, not an attribute: it is part of the statement's cache key.
        super().__init__(column, literal_column(str(_shift(first_weekday))))


def _shift(first_weekday: int) -> int:
    """Days to add so that the chosen first weekday falls on a Monday."""
    return (7 - int(first_weekday)) % 7


def _week_args(element, compiler, **kw) -> tuple[str, int]:
    column, shift = list(element.clauses)
    return compiler.process(column, **kw), int(shift.name)


def _is_date(element) -> bool:
    column = list(element.clauses)[0]
    return isinstance(column.type, Date)


@compiles(month_of, "sqlite")
def _month_sqlite(element, compiler, **kw):
    return "strftime('%%Y-%%m', %s)" % compiler.process(element.clauses, **kw)


@compiles(month_of, "postgresql")
def _month_pg(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    if not _is_date(element):
        arg = f"({arg} AT TIME ZONE 'UTC')"  # the session's zone must not move a bucket
    return f"to_char({arg}, 'YYYY-MM')"


@compiles(week_of, "sqlite")
def _week_sqlite(element, compiler, **kw):
    # 'weekday 0' moves forward to Sunday (staying on a Sunday); six days back is Monday.
    # Shifted by k days first (and back after), the week starts on another weekday.
    arg, k = _week_args(element, compiler, **kw)
    return f"date({arg}, '+{k} days', 'weekday 0', '-6 days', '-{k} days')"


@compiles(week_of, "postgresql")
def _week_pg(element, compiler, **kw):
    arg, k = _week_args(element, compiler, **kw)
    if not _is_date(element):
        arg = f"({arg} AT TIME ZONE 'UTC')"
    return (f"to_char(date_trunc('week', {arg} + interval '{k} days') - interval '{k} days', "
            "'YYYY-MM-DD')")


def customer_name(row) -> str:
    """A customer's name from a row with customer_id, kind, first_name, last_name, company
    (`Customer.display_name`'s rule, for rows that are not model objects)."""
    if row.customer_id is None:
        return ""
    return customer_display_name(row.customer_id, row.kind, row.first_name, row.last_name,
                                 row.company)


@dataclass(frozen=True)
class Window:
    """A closed range of days; `start`/`end` as UTC instants for timestamp columns."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=timezone.utc)

    @property
    def end(self) -> datetime:
        """The first instant after the window (exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=timezone.utc)

    def months(self) -> list[str]:
        """Every 'YYYY-MM' the window touches, oldest first (for gap-free charts)."""
        out, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def weeks(self, first_weekday: int = 0) -> list[str]:
        """The first day ('YYYY-MM-DD') of every week the window touches."""
        start = self.first - timedelta(days=(self.first.weekday() - first_weekday) % 7)
        out = []
        while start <= self.last:
            out.append(start.isoformat())
            start += timedelta(days=7)
        return out


def month_ranges(span: Window) -> list[tuple[str, datetime, datetime]]:
    """('YYYY-MM', start, end) per month of the window, clipped to the window's bounds."""
    out = []
    for month in span.months():
        year, number = int(month[:4]), int(month[5:])
        first = datetime(year, number, 1, tzinfo=timezone.utc)
        after = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=timezone.utc)
        out.append((month, max(first, span.start), min(after, span.end)))
    return out


def months_back(today: date, months: int) -> date:
    """The first day of the month `months - 1` months before today's month."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def window(date_from: date | None, date_to: date | None, today: date,
           default_months: int = 12) -> Window:
    """The window a report covers: the filter's dates, else the last `default_months`."""
    last = date_to or today
    first = date_from or months_back(last, default_months)
    return Window(first, last)
