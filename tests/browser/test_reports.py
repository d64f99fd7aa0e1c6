from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login, screenshot
from tests.factories import add_events, at, make_customer, make_invoice, make_message

pytestmark = pytest.mark.browser


def test_switch_tabs_and_filter_the_invoice_email_report(page, make_user, app):
    from datetime import date

    app.config["TODAY"] = date(2026, 12, 15)
    user = make_user("billing", name="Bill")
    acme = make_customer(kind="company", company="Acme Tools")
    zed = make_customer(first_name="Zed", last_name="Zimmer")
    issued = date(2026, 11, 1)  # due 11-15: a month old and overdue on the pinned day
    opened = make_message(make_invoice(acme, issue_date=issued), user=user,
                          created=at("2026-12-01"), to="ap@acme.test")
    add_events(opened, ("sent", at("2026-12-01")), ("opened", at("2026-12-02")))
    rejected = make_message(make_invoice(zed, issue_date=issued), user=user,
                            created=at("2026-12-03"), to="zed@zed.test")
    add_events(rejected, ("sent", at("2026-12-03")), ("rejected", at("2026-12-03", "10:05")))
    browser_login(page, user.email)

    page.goto("/reports/")
    page.wait_for_url("**/reports/accounting")
    rows = page.locator("[data-testid=email-rows] tbody tr")
    assert rows.count() == 2

    # Tabs swap the report region and push their URL.
    page.click("[data-testid=tab-customers]")
    page.wait_for_url("**/reports/customers")
    page.locator("[data-testid=segments]").wait_for()
    page.click("[data-testid=tab-activity]")
    page.wait_for_url("**/reports/activity")
    page.locator("[data-testid=email-outcomes]").wait_for()
    page.click("[data-testid=tab-accounting]")
    page.wait_for_url("**/reports/accounting")

    # Filtering by status updates only the results and the URL.
    # The tab's content must be swapped in and processed by htmx before filtering.
    page.locator("[data-testid=email-filters]").wait_for()
    page.wait_for_load_state("networkidle")
    page.select_option("[data-testid=email-filters] select[name=status]", "rejected")
    page.wait_for_url("**/reports/accounting?*status=rejected*")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=email-rows] tbody tr').length === 1")
    assert "zed@zed.test" in rows.first.inner_text()
    assert rows.first.locator("td[data-label='Sent Status']").inner_text().strip() == "Rejected"

    # Hovering the status loads that email's history into the hover card.
    rows.first.locator(".status").hover()
    page.locator("[data-testid=message-history]").wait_for()
    assert "Rejected — " in page.locator("[data-testid=message-history]").inner_text()

    # Searching by customer name.
    page.select_option("[data-testid=email-filters] select[name=status]", "")
    page.fill("[data-testid=email-filters] input[name=q]", "acme")
    page.wait_for_url("**q=acme*")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=email-rows] tbody tr').length === 1")
    assert "ap@acme.test" in rows.first.inner_text()
    screenshot(page, "reports-emails")

    # Back restores the previous filter from the server.
    page.go_back()
    page.wait_for_function("!location.search.includes('q=acme')")
    assert page.console_errors == []
