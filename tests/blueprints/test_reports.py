"""Report pages over HTTP: full pages, htmx regions and results, filters, access, exports."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.factories import add_events, at, make_customer, make_invoice, make_message, make_note

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _today(app):
    from app.reports import cache

    app.config["TODAY"] = date(2026, 12, 15)
    cache.clear()


@pytest.fixture
def sent(db, make_user):
    ann = make_user("staff", name="Ann")
    acme = make_customer(kind="company", company="=HYPERLINK(\"http://x\")", owner=ann)
    other = make_customer(first_name="Otto", last_name="Other")
    issued = date(2026, 11, 1)  # due 11-15: a month old and overdue on the pinned day
    opened = make_message(make_invoice(acme, issue_date=issued), user=ann,
                          created=at("2026-12-01"), subject="@SUM(1+1) invoice")
    add_events(opened, ("sent", at("2026-12-01")), ("opened", at("2026-12-02")))
    rejected = make_message(make_invoice(other, issue_date=issued), created=at("2026-12-03"))
    add_events(rejected, ("sent", at("2026-12-03")), ("rejected", at("2026-12-03", "10:01")))
    make_note(acme, author=ann, occurred_at=at("2026-12-10"))
    return {"ann": ann, "acme": acme, "opened": opened, "rejected": rejected}


def test_email_report_full_page_region_and_results(client, login_as, sent):
    login_as("billing")
    page = client.get("/reports/accounting")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in page.headers["Vary"] and "HX-Target" in page.headers["Vary"]
    assert "<h1>Reports</h1>" in page.text and 'id="report-region"' in page.text
    assert "but its absence does not mean it was not" in page.text
    assert 'href="/help/statuses"' in page.text
    # The status follows the recipient (#16 B1: on screen without scrolling sideways), as a
    # coloured label with a hover history.
    row = page.text.split(f'data-message="{sent["rejected"].id}"')[1].split("</tr>")[0]
    cells = row.split("<td")[1:]
    assert 'data-label="Recipient"' in cells[3]
    status_cell = cells[4]
    assert 'data-label="Sent Status"' in status_cell
    assert 'class="status status-rejected"' in status_cell and ">Rejected<" in status_cell
    assert f'hx-get="/reports/accounting/emails/{sent["rejected"].id}/history"' in status_cell
    assert 'hx-trigger="mouseenter once, focus once"' in status_cell

    region = client.get("/reports/accounting", headers=HX)
    assert "<h1>" not in region.text and 'class="tabs"' in region.text
    results = client.get("/reports/accounting?status=opened",
                         headers={**HX, "HX-Target": "report-results"})
    assert 'class="tabs"' not in results.text
    assert f'data-message="{sent["opened"].id}"' in results.text
    assert f'data-message="{sent["rejected"].id}"' not in results.text


def test_bad_filters_answer_422_with_a_message(client, login_as, sent):
    login_as("viewer")
    response = client.get("/reports/accounting?from=yesterday&status=lost&customer=x&page=zz")
    assert response.status_code == 422
    assert "is not a date" in response.text and "is not a valid choice" in response.text
    assert client.get("/reports/accounting?customer=99999999999").status_code == 422


def test_history_fragment_and_page(client, login_as, sent):
    login_as("admin")
    url = f"/reports/accounting/emails/{sent['opened'].id}/history"
    fragment = client.get(url, headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    lines = re.findall(r'class="event-line"[^>]*>([^<]+)<', fragment.text)
    assert lines.index("Handed to your mail server") < lines.index("Opened"), lines
    page = client.get(url)
    assert "<html" in page.text and "Email history" in page.text
    assert client.get("/reports/accounting/emails/999999/history").status_code == 404
    assert client.get("/reports/accounting/emails/0/history").status_code == 404


@pytest.mark.parametrize("role,accounting,customers,activity", [
    ("admin", 200, 200, 200), ("billing", 200, 200, 200), ("viewer", 200, 200, 200),
    ("staff", 403, 403, 200),
])
def test_access_per_role(client, login_as, sent, role, accounting, customers, activity):
    login_as(role)
    for path in ("/reports/accounting", "/reports/accounting/receivables",
                 "/reports/accounting/revenue", "/reports/accounting/export/csv",
                 f"/reports/accounting/emails/{sent['opened'].id}/history"):
        assert client.get(path).status_code == accounting, path
    for path in ("/reports/customers", "/reports/customers/export/xlsx"):
        assert client.get(path).status_code == customers, path
    for path in ("/reports/activity", "/reports/activity/export/csv"):
        assert client.get(path).status_code == activity, path
    expected = {"admin": "/reports/accounting", "staff": "/reports/activity"}.get(
        role, "/reports/accounting")
    assert client.get("/reports/").headers["Location"].endswith(expected)


def test_staff_activity_shows_only_their_own(client, sent, make_user):
    from tests.conftest import login

    login(client, sent["ann"].email)
    page = client.get("/reports/activity?from=2026-11-30&to=2026-12-13")
    assert page.status_code == 200 and "Your own activity" in page.text
    table = page.text.split('data-testid="email-outcomes"')[1].split("</table>")[0]
    assert "Ann" in table and "(unknown)" not in table  # the rejected email had no sender


def test_email_csv_export_follows_filters_and_neutralises(client, login_as, sent):
    login_as("admin")
    response = client.get("/reports/accounting/export/csv?status=opened&page=3")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][-1] == "Sent Status" and len(rows) == 2
    assert rows[1][2] == "'=HYPERLINK(\"http://x\")"
    assert rows[1][4] == "'@SUM(1+1) invoice"
    assert rows[1][5:8] == ["1", "0", "0"] and rows[1][-1] == "Opened"


def test_excel_exports_open_and_hold_every_table(client, login_as, sent):
    login_as("admin")
    for path, sheets in (("/reports/accounting/export/xlsx", ["emails"]),
                         ("/reports/accounting/receivables/export/xlsx", ["aging", "totals"]),
                         ("/reports/accounting/revenue/export/xlsx",
                          ["by-month", "by-customer"]),
                         ("/reports/customers/export/xlsx",
                          ["segments", "top-customers", "by-month", "needs-review"]),
                         ("/reports/activity/export/xlsx",
                          ["notes-per-week", "email-outcomes"])):
        response = client.get(path)
        assert response.status_code == 200, path
        book = load_workbook(io.BytesIO(response.data))
        assert book.sheetnames == sheets, path
    book = load_workbook(io.BytesIO(client.get("/reports/accounting/export/xlsx").data))
    names = [row[2] for row in book["emails"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\")" in names
    aging = load_workbook(io.BytesIO(
        client.get("/reports/accounting/receivables/export/xlsx").data))["aging"]
    assert [c.value for c in aging[1]][0] == "Customer"


def test_unknown_export_format_or_table_is_404(client, login_as, sent):
    login_as("admin")
    assert client.get("/reports/accounting/export/pdf").status_code == 404
    assert client.get("/reports/customers/export/csv?table=nope").status_code == 404
    assert client.get("/reports/customers/export/csv?table=needs-review").status_code == 200


def test_every_report_page_renders_charts_without_inline_style(client, login_as, sent):
    login_as("admin")
    for path in ("/reports/accounting", "/reports/accounting/receivables",
                 "/reports/accounting/revenue", "/reports/customers", "/reports/activity"):
        text = client.get(path).text
        assert "style=" not in text and "<style" not in text, path
        assert "<script>" not in text
    assert "<svg" in client.get("/reports/accounting").text
    assert client.get("/reports/customers").text.count("<svg") == 2
