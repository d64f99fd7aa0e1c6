"""Drafts and issued invoices in a real browser: a draft reads "Draft" until it is
finalized, then carries its number; the customer's view prints the office's and the
buyer's details as issued, and fits a phone and a laptop."""
from __future__ import annotations

import pytest

from app import settings
from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_layout import sideways
from tests.factories import make_invoice
from tests.invoices.test_snapshot import OFFICE, _buyer, _logo

pytestmark = pytest.mark.browser
VIEWPORTS = ((1366, 768), (390, 844))


def test_a_draft_is_finalized_into_the_series_and_its_pages_fit(page, make_user, db):
    user = make_user("billing")
    settings.update({**OFFICE, "office.logo": _logo()})
    customer = _buyer()
    make_invoice(customer, via_rules=True)  # 2026-0001 or this year's first
    draft = make_invoice(customer, via_rules=True, status="draft")
    browser_login(page, user.email)
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/invoices/?sort=number&dir=asc")
        assert page.get_by_role("link", name="Draft").count() == 1
        assert sideways(page) == [], width
        screenshot(page, f"numbering-list-{width}")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/invoices/{draft.id}")
    assert page.locator("h1").inner_text() == "Invoice Draft"
    page.get_by_test_id("finalize").click()
    page.wait_for_selector("text=is final")
    db.session.expire_all()
    number = db.session.get(type(draft), draft.id).number
    assert number.endswith("-0002")
    assert page.locator("h1").inner_text() == f"Invoice {number}"
    assert axe_violations(page) == []
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/i/{draft.view_key}")
        assert page.get_by_test_id("seller-name").inner_text() == "Müller & Partner"
        assert "VAT number: PL5260250274" in page.get_by_test_id("buyer").inner_text()
        assert "DE89 3704 0044 0532 0130 00" in page.get_by_test_id("bank-details").inner_text()
        assert sideways(page) == [], width
        assert axe_violations(page) == []
        screenshot(page, f"numbering-client-view-{width}")
