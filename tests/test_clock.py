"""One clock: every "today" in the app is `app.clock.today()`, the office's date, which
tests pin with the TODAY setting."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from app import clock

APP = Path(__file__).resolve().parents[1] / "app"
# A day read from the system clock anywhere but app/clock.py.
OTHER_TODAYS = re.compile(r"\bdate\.today\b|utcnow\(\)\.date\(\)|\bnow\([^)]*\)\.date\(\)")


def other_clocks(root: Path) -> list[str]:
    return sorted(f"{path.relative_to(root)}:{number}"
                  for path in root.rglob("*.py") if path.name != "clock.py"
                  for number, line in enumerate(path.read_text().splitlines(), 1)
                  if OTHER_TODAYS.search(line))


def test_no_other_clock_says_what_day_it_is():
    assert other_clocks(APP) == []


def test_the_guard_finds_a_planted_clock(tmp_path):
    (tmp_path / "reminders.py").write_text(
        "due = date.today()\nday = utcnow().date()\npaid_on = DateField(default=date.today)\n")
    assert other_clocks(tmp_path) == ["reminders.py:1", "reminders.py:2", "reminders.py:3"]


def test_today_is_pinnable_and_otherwise_the_utc_date(app):
    assert clock.today() == clock.now().date()
    app.config["TODAY"] = date(2031, 2, 3)
    assert clock.today() == date(2031, 2, 3)


def test_invoices_customers_and_reports_share_the_pinned_day(app, client, login_as, db):
    """An invoice due yesterday by the pinned day is overdue on the invoices list, the
    receivables report and its PDF-free views alike."""
    from tests.factories import make_customer, make_invoice

    app.config["TODAY"] = date(2031, 2, 3)
    login_as("billing")
    invoice = make_invoice(make_customer(first_name="Olga", last_name="Overdue"),
                           issue_date=date(2031, 1, 1), due_date=date(2031, 2, 2))
    assert invoice.status == "finalized"
    listed = client.get("/invoices/?status=overdue").text
    assert invoice.number in listed
    aging = client.get("/reports/accounting/receivables").text
    assert "Olga Overdue" in aging
    app.config["TODAY"] = date(2031, 2, 1)  # the day before it fell due
    assert invoice.number not in client.get("/invoices/?status=overdue").text
