"""Emails and reminders in a real browser: the live preview follows typing (htmx) and
refuses an unknown placeholder; the pages fit a laptop and a phone with no axe finding."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_layout import sideways
from tests.factories import make_customer, make_invoice, make_stage

pytestmark = pytest.mark.browser
TODAY = date(2026, 11, 23)


def test_the_live_preview_follows_the_template_as_it_is_typed(app, page, make_user):
    app.config["TODAY"] = TODAY
    admin = make_user("admin")
    invoice = make_invoice(make_customer(first_name="Ada", last_name="Byron"), total="250.00",
                           due_date=TODAY - timedelta(days=8))
    stage = make_stage(7)
    browser_login(page, admin.email)
    page.goto(f"/admin/settings/reminders/{stage.id}")
    preview = page.get_by_test_id("preview-body")
    assert "Dear Ada Byron" in preview.inner_text()
    page.evaluate("window.notReloaded = true")
    page.fill("#body", "Hello {customer_name}, {amount_due} is {days_overdue} days late.")
    expect(preview).to_have_text("Hello Ada Byron, €250.00 is 8 days late.")
    page.fill("#subject", "About {invoice_nr} {{ 7*7 }}")
    problem = page.get_by_test_id("preview-problem")
    problem.wait_for()
    assert "{invoice_nr}, {{ 7*7 }} are not placeholders" in problem.inner_text()
    assert "49" not in page.get_by_test_id("preview-subject").inner_text()
    assert page.evaluate("window.notReloaded") is True  # swapped in place
    # Saving it anyway is refused, with the form as typed.
    page.get_by_test_id("save").click()
    page.get_by_test_id("subject-error").wait_for()
    assert page.input_value("#subject") == "About {invoice_nr} {{ 7*7 }}"
    db.session.expire_all()
    assert stage.subject.startswith("Reminder:")
    assert invoice.number in page.get_by_test_id("preview").inner_text()
    # The refusals were answered 422 (Chromium logs each); nothing else went wrong.
    assert [e for e in page.console_errors if "422" not in e] == []


def test_the_pages_fit_a_laptop_and_a_phone_without_axe_findings(app, page, make_user):
    app.config["TODAY"] = TODAY
    admin = make_user("admin")
    make_stage(-3)
    stage = make_stage(7)
    make_invoice(make_customer(company="Zweckverband Wasserversorgung Nordwest GmbH",
                               kind="company"), due_date=TODAY - timedelta(days=8))
    make_invoice(make_customer(emails=()), due_date=TODAY - timedelta(days=9))
    browser_login(page, admin.email)
    failures = {}
    for path, name in (("/reminders", "reminders"), ("/reminders/send?all=1", "reminders-send"),
                       ("/admin/settings/emails", "settings-emails"),
                       ("/admin/settings/reminders", "settings-reminders"),
                       (f"/admin/settings/reminders/{stage.id}", "settings-stage")):
        for width, height in ((1366, 768), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(path)
            found = sideways(page) + axe_violations(page)
            if found:
                failures[f"{name}-{width}"] = found
            screenshot(page, f"{name}-{width}")
    assert failures == {}
    assert page.console_errors == []
