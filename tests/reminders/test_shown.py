"""Reminders are tracked like invoice emails: the report filters them by stage, the
invoice and the home page show them."""
from __future__ import annotations

from datetime import date, timedelta

from app.reminders import run
from app.reports import email_report
from app.reports.email_report import EmailFilters
from tests.factories import make_customer, make_invoice, make_message, make_stage

TODAY = date(2026, 11, 23)


def _ids(user, **filters) -> set[int]:
    return {r.id for r in email_report.page_of_rows(EmailFilters(**filters), user).items}


def test_the_report_filters_by_stage(app, make_user, client, login_as):
    week, month = make_stage(7), make_stage(30)
    a = make_invoice(make_customer(), due_date=TODAY - timedelta(days=8))
    make_invoice(make_customer(), due_date=TODAY - timedelta(days=31))
    invoice_email = make_message(a)
    run.run(TODAY)
    admin = make_user("admin")
    by_stage = {s.id: _ids(admin, sent_as=str(s.id)) for s in (week, month)}
    assert all(len(ids) == 1 for ids in by_stage.values())
    assert _ids(admin, sent_as="reminder") == by_stage[week.id] | by_stage[month.id]
    assert _ids(admin, sent_as="invoice") == {invoice_email.id}
    assert len(_ids(admin)) == 3
    filters, errors = EmailFilters.parse({"sent_as": "x'; drop"})
    assert filters.sent_as is None and errors
    # The page offers the stages by name.
    login_as("billing")
    page = client.get(f"/reports/accounting?sent_as={month.id}")
    assert page.status_code == 200
    assert f'<option value="{month.id}" selected>Reminder: 30 days overdue</option>' in page.text


def test_the_invoice_and_the_home_page_show_reminders(app, client, login_as):
    make_stage(7)
    invoice = make_invoice(make_customer(), due_date=TODAY - timedelta(days=8))
    app.config["TODAY"] = TODAY
    login_as("billing")
    home = client.get("/").text
    assert 'data-testid="reminders-due"' in home and "1 reminder to send" in home
    run.run(TODAY)
    shown = client.get(f"/invoices/{invoice.id}").text
    assert "Reminder emailed" in shown
    assert '<span class="badge" data-testid="reminder-stage">7 days overdue</span>' in shown
