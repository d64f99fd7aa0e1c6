"""Report exports as CSV and Excel, with spreadsheet formula injection neutralised.

A text cell that starts with =, +, -, @, a tab or a carriage return is read as a formula
by spreadsheet programs; such cells get a leading apostrophe, so they stay text. Numbers
and dates are written as numbers and dates (they can't carry a formula).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so Excel) can't hold; openpyxl refuses them.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """The value, with a text value that a spreadsheet would run as a formula defused."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Table:
    """One exported table: a sheet in a workbook, or a whole CSV file."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence]


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return neutralise(str(value) if not isinstance(value, (int, float, Decimal)) else value)


def csv_chunks(table: Table) -> Iterator[str]:
    """The table as CSV text, a chunk per few hundred rows (for a streamed response).

    Starts with a byte order mark so Excel opens UTF-8 names correctly.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in table.headers])
    for n, row in enumerate(table.rows, 1):
        writer.writerow([_csv_value(v) for v in row])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_value(value):
    if isinstance(value, datetime):
        # Excel has no time zones: write UTC wall-clock time (headers say "UTC").
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    if isinstance(value, str):
        return neutralise(_ILLEGAL.sub("", value))
    return value


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table (streamed write-only mode, little memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.name, used))
        bold = Font(bold=True)
        header_cells = []
        for header in table.headers:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in table.rows:
            sheet.append([_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Excel's built-in short date (number format 14) is shown in each reader's own date format;
# amounts keep two decimals and a thousands separator. The values stay real numbers and dates.
_NUMBER_FORMATS = ((datetime, "yyyy-mm-dd hh:mm"), (date, "mm-dd-yy"), (Decimal, "#,##0.00"))


def _cell(sheet, value):
    value = _xlsx_value(value)
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        # Text stays text: openpyxl would otherwise store "=..." as a formula.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    for kind, number_format in _NUMBER_FORMATS:
        if isinstance(value, kind):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            return cell
    return value


def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def filename(report: str, extension: str, today: date) -> str:
    return f"clientele-{report}-{today.isoformat()}.{extension}"
