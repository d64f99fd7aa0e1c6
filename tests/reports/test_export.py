"""CSV and Excel writers: content, types, and neutralised formulas."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.reports.export import Table, csv_chunks, neutralise, xlsx_bytes

HOSTILE = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_starts_get_an_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Acme", "", "a=b", "100", 5, Decimal("-3.50"), None])
def test_harmless_values_are_unchanged(value):
    assert neutralise(value) == value


def _table():
    return Table("emails", ["Name", "Amount", "When", "Day"], [
        ["=cmd|' /C calc'!A0", Decimal("-12.50"), datetime(2026, 11, 2, 10, 0,
                                                          tzinfo=timezone.utc), date(2026, 11, 2)],
        ["Zoë \x07Bell", 3, None, None],
    ])


def test_csv_content():
    text = "".join(csv_chunks(_table()))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["Name", "Amount", "When", "Day"],
                    ["'=cmd|' /C calc'!A0", "-12.50", "2026-11-02 10:00:00", "2026-11-02"],
                    ["Zoë \x07Bell", "3", "", ""]]


def test_workbook_content_types_and_neutralised_cells():
    data = xlsx_bytes([_table(), Table("emails", ["X"], [["@x"]])])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["emails", "emails (2)"]
    sheet = book["emails"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Name", "Amount", "When", "Day")
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert sheet["A2"].data_type == "s"  # text, not a formula
    assert rows[1][1] == -12.5
    assert rows[1][2] == datetime(2026, 11, 2, 10, 0)
    # Real dates and numbers with number formats, read in each reader's own formats.
    assert sheet["B2"].number_format == "#,##0.00"
    assert sheet["C2"].is_date and sheet["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["D2"].is_date and sheet["D2"].number_format == "mm-dd-yy"
    assert rows[2][0] == "Zoë Bell"  # a control character Excel can't hold is dropped
    assert book["emails (2)"]["A2"].value == "'@x"
