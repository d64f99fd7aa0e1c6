"""A customer's currency and terms, and the file's invoices, in a real Chromium."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_login, screenshot
from tests.factories import add_events, at, make_customer, make_invoice, make_message

pytestmark = pytest.mark.browser


def test_choosing_the_customer_brings_their_currency_and_terms(page, make_user, app):
    app.config["TODAY"] = date(2026, 12, 1)
    user = make_user("billing")
    make_customer(kind="company", company="Pound Ltd", currency="GBP", payment_terms_days=14)
    make_customer(kind="company", company="Plain Ltd")
    browser_login(page, user.email)
    page.goto("/invoices/new")
    currency, due = page.locator("select[name=currency]"), page.locator("input[name=due_date]")
    expect(currency).to_have_value("EUR")
    expect(due).to_have_value("2026-12-31")
    page.select_option("select[name=customer_id]", label="Pound Ltd")
    expect(currency).to_have_value("GBP")
    expect(due).to_have_value("2026-12-15")
    expect(page.locator("[data-testid=terms-note]")).to_contain_text("Pound Ltd's terms")
    page.select_option("select[name=customer_id]", label="Plain Ltd")
    expect(currency).to_have_value("EUR")
    expect(page.locator("[data-testid=terms-note]")).to_contain_text("the office's defaults")
    # A line typed while the customer's terms come in stays (only the head is swapped),
    # and the totals follow the new customer's currency.
    page.select_option("select[name=customer_id]", label="Pound Ltd")
    page.fill("input[name=lines-0-description]", "Design")
    page.fill("input[name=lines-0-quantity]", "2")
    page.fill("input[name=lines-0-unit_price]", "100")
    expect(currency).to_have_value("GBP")
    expect(page.locator("input[name=lines-0-unit_price]")).to_have_value("100")
    expect(page.locator("[data-testid=total]")).to_have_text("£200.00")
    assert page.console_errors == []


def test_the_file_lists_invoices_pages_them_in_place_and_starts_a_new_one(page, make_user,
                                                                         app):
    app.config["TODAY"] = date(2026, 12, 1)
    user = make_user("billing")
    customer = make_customer(kind="company", company="Pound Ltd", currency="GBP",
                             emails=("ap@pound.example",))
    invoices = [make_invoice(customer, currency="GBP", issue_date=date(2026, 1, 1) +
                             timedelta(days=i)) for i in range(12)]
    newest = invoices[-1]
    message = make_message(newest, to="ap@pound.example", created=at("2026-11-30"))
    add_events(message, ("sent", at("2026-11-30")), ("opened", at("2026-11-30", "11:00")))
    browser_login(page, user.email)
    page.goto(f"/customers/{customer.id}")
    rows = page.locator("[data-testid=file-invoices] tbody tr")
    expect(rows).to_have_count(10)
    # The envelope's Email History popup, as on the invoices list.
    page.hover(f'[data-testid="email-icon-{newest.id}"]')
    popup = page.locator(f'[data-testid="email-icon-{newest.id}"] .hovercard')
    popup.locator('[data-testid="email-history"]').wait_for()
    assert "ap@pound.example" in popup.inner_text()
    screenshot(page, "customer-file-invoices")
    url = page.url
    page.locator("#sec-invoices a[rel=next]").click()
    expect(rows).to_have_count(2)
    expect(page.locator(f"#file-invoice-{invoices[0].id}")).to_be_visible()
    assert page.url == url  # only the list changed
    page.click("[data-testid=new-invoice-for-customer]")
    expect(page.locator("select[name=currency]")).to_have_value("GBP")
    expect(page.locator("select[name=customer_id]")).to_have_value(str(customer.id))
    assert page.console_errors == []


def test_the_files_email_icons_follow_new_events_without_a_reload(page, make_user, app):
    user = make_user("billing")
    customer = make_customer(kind="company", company="Live Ltd", emails=("ap@live.example",))
    invoice = make_invoice(customer)
    message = make_message(invoice, to="ap@live.example", created=at("2026-11-30"))
    add_events(message, ("sent", at("2026-11-30")))
    browser_login(page, user.email)
    page.goto(f"/customers/{customer.id}")
    expect(page.locator(f"#email-icon-{invoice.id}")).to_have_class(re.compile("status-sent"))
    add_events(message, ("opened", at("2026-11-30", "11:00")))
    expect(page.locator(f"#email-icon-{invoice.id}")).to_have_class(
        re.compile("status-opened"), timeout=20_000)
    assert page.console_errors == []
