"""The invoice editor in a real Chromium: lines added and removed in place, live totals."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_login
from tests.conftest import ARTIFACTS
from tests.factories import CONSULTING_240, make_customer, make_invoice

pytestmark = pytest.mark.browser


def screenshot(page, name: str) -> None:
    # caret="initial": hiding the caret injects a <style> that the CSP (rightly) blocks,
    # which would show up as console errors that are the screenshot's, not the page's.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, caret="initial")


def test_lines_added_and_removed_with_live_totals(page, make_user, db):
    from app.models import Invoice

    user = make_user("billing")
    make_customer(kind="company", company="Acme Ltd")
    browser_login(page, user.email)
    page.goto("/invoices/new")
    # A starved settle timer (a loaded machine): swapped-in content must not wait for it
    # before its triggers work, or typing straight into the new line updates nothing.
    page.evaluate("htmx.config.defaultSettleDelay = 2000")
    page.select_option("select[name=customer_id]", label="Acme Ltd")
    page.fill("input[name=lines-0-description]", "Design")
    page.fill("input[name=lines-0-quantity]", "2")
    page.fill("input[name=lines-0-unit_price]", "100")
    page.fill("input[name=lines-0-tax_rate]", "20")
    expect(page.locator("[data-testid=total]")).to_have_text("€240.00")
    expect(page.locator("#amount-lines-0")).to_have_text("200.00")
    # The field being typed in keeps focus while the totals refresh around it.
    expect(page.locator("input[name=lines-0-tax_rate]")).to_be_focused()

    page.click("[data-testid=add-line]")
    expect(page.locator("input[name=lines-1-description]")).to_be_focused()
    page.keyboard.type("Hosting")
    page.fill("input[name=lines-1-quantity]", "3")
    page.fill("input[name=lines-1-unit_price]", "9.99")
    expect(page.locator("[data-testid=total]")).to_have_text("€269.97")
    expect(page.locator("[data-testid=subtotal]")).to_have_text("€229.97")
    screenshot(page, "invoice-editor")

    page.click("#row-lines-0 button[value^=remove]")
    expect(page.locator("input[name=lines-0-description]")).to_have_count(0)
    expect(page.locator("[data-testid=total]")).to_have_text("€29.97")
    expect(page.locator("tr.line")).to_have_count(1)

    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/invoices/\d+$"))
    assert page.locator("[data-testid=invoice-total]").inner_text() == "€29.97"
    assert db.session.scalar(db.select(db.func.count(Invoice.id))) == 1
    screenshot(page, "invoice-page")
    assert page.console_errors == [], page.console_errors


def test_validation_error_shown_in_place(page, make_user):
    user = make_user("billing")
    make_customer(kind="company", company="Acme Ltd")
    browser_login(page, user.email)
    page.goto("/invoices/new")
    page.fill("input[name=lines-0-description]", "Design")
    page.fill("input[name=lines-0-quantity]", "1,5")
    page.press("input[name=lines-0-quantity]", "Enter")  # Enter saves; it removes nothing
    page.wait_for_selector(".field-error")
    assert "Choose a customer." in page.content()
    assert "Use a dot for decimals" in page.content()
    assert page.url.endswith("/invoices/new")
    assert page.input_value("input[name=lines-0-description]") == "Design"
    expect(page.locator("tr.line")).to_have_count(1)
    screenshot(page, "invoice-editor-errors")


def test_list_search_updates_url_and_payment_in_place(page, make_user):
    user = make_user("billing")
    acme = make_invoice(make_customer(kind="company", company="Acme Ltd"), via_rules=True,
                        status="finalized", lines=CONSULTING_240)
    make_invoice(make_customer(kind="company", company="Zeta GmbH"), via_rules=True,
                 status="finalized")
    browser_login(page, user.email)
    page.goto("/invoices/")
    assert page.locator("#results tbody tr").count() == 2
    page.fill("input[name=q]", "acme")
    page.wait_for_url("**/invoices/?q=acme*")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    screenshot(page, "invoice-list")
    page.get_by_role("link", name=acme.number, exact=True).click()
    page.wait_for_url(re.compile(rf"/invoices/{acme.id}$"))
    page.click("summary:has-text('Record a payment')")
    page.fill("input[name=amount]", "40")
    page.click("[data-testid=record-payment]")
    page.wait_for_selector("[data-status=partially_paid]")
    assert page.locator("[data-testid=invoice-balance]").inner_text() == "€200.00"
    assert "Recorded €40.00" in page.locator("#notices").inner_text()
    screenshot(page, "invoice-paid-partly")
    assert page.console_errors == [], page.console_errors
