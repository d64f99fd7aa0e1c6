"""In a real browser, at 1366×768 and 390×844: the error pages and their htmx notices, and
the email dialog taking several addresses pasted from Outlook."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import EmailMessage
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_invoice_emails import EXPECTED_422, VIEWPORTS, _look_at_dialog, _open_dialog
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.browser
NOT_FOUND = "Not found, or not one of your customers — ask an admin if you need it."


def _fits(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_error_pages_and_their_notices_at_both_sizes(page, make_user):
    user = make_user("staff")
    theirs = make_customer(owner=make_user("staff"))
    browser_login(page, user.email)
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        response = page.goto(f"/customers/{theirs.id}")
        assert response.status == 404
        assert NOT_FOUND in page.inner_text("main")
        _fits(page, viewport)
        screenshot(page, f"error-404-{size}", full_page=False)
        response = page.goto("/admin/users")
        assert response.status == 403
        text = page.inner_text("main")
        assert "Ask an admin if you need it." in text and "logged in as staff" in text
        _fits(page, viewport)
        screenshot(page, f"error-403-{size}", full_page=False)
        # The htmx version: a notice in the notice area, the page left as it was.
        page.goto("/customers/")
        page.evaluate("id => htmx.ajax('GET', '/customers/' + id, "
                      "{target: 'main', swap: 'innerHTML'})", theirs.id)
        notice = page.locator('#notices [role="alert"][data-status="404"]')
        notice.wait_for()
        assert NOT_FOUND in notice.inner_text()
        assert page.locator("main h1").count() >= 1  # the list is still there
        box = notice.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        _fits(page, viewport)
        screenshot(page, f"error-404-notice-{size}", full_page=False)
    assert all("status of 40" in e for e in page.console_errors), page.console_errors


def test_the_dialog_takes_addresses_pasted_from_outlook(page, make_user):
    user = make_user("billing")
    invoice = make_invoice(make_customer(emails=("ann@example.org",)), status="finalized")
    browser_login(page, user.email)
    _open_dialog(page, invoice)
    field = page.locator('input[name="extra_to"]')
    field.fill("bob@example.org; Carol Smith <carol@example.org>; Dave at home")
    page.click('[data-testid="send"]')
    notice = '[data-testid="send-dialog"] .notice-error'
    page.locator(notice).wait_for()
    assert "“Dave at home”" in page.inner_text(notice)
    assert "bob@example.org" not in page.inner_text(notice)
    _look_at_dialog(page, "email-dialog-other-addresses", notice)
    page.set_viewport_size(VIEWPORTS["desktop"])
    field = page.locator('input[name="extra_to"]')
    assert field.input_value() == "bob@example.org; Carol Smith <carol@example.org>; Dave at home"
    field.fill('bob@example.org; Carol Smith <carol@example.org>; "Doe, Dave" <dave@example.net>')
    page.click('[data-testid="send"]')
    page.locator('[data-testid="send-dialog"]').wait_for(state="detached")
    sent = sorted(m.to_address for m in db.session.scalars(db.select(EmailMessage)))
    assert sent == ["ann@example.org", "bob@example.org", "carol@example.org",
                    "dave@example.net"]
    assert all(EXPECTED_422 in e for e in page.console_errors), page.console_errors
