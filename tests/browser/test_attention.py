"""The home page in a real browser: dismissing an attention item swaps the section in
place (htmx), the dismissal holds after a reload, and nothing scrolls sideways."""
from __future__ import annotations

import os

import pytest

from app.attention.mail_problems import mail_problem
from app.extensions import db
from tests.browser.conftest import browser_login
from tests.factories import make_customer, make_invoice, make_message

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("ATTENTION_SHOTS")  # a folder: also save screenshots there


def _shot(page, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True,
                        caret="initial")


def test_dismissing_an_attention_item_on_the_home_page(page, make_user):
    staff = make_user("staff", name="Sam Staff")
    long_name = "Bartholomew-Fitzwilliam Consolidated Holdings International Ltd"
    kept = make_customer(kind="company", company=long_name, owner=staff)
    gone = make_customer(first_name="Rita", last_name="Rejected", owner=staff)
    mail_problem(make_message(make_invoice(gone), to="rita.rejected@example.org"), "address")
    mail_problem(make_message(make_invoice(kept),
                              to="accounts.payable.department@" + "very-long-domain" * 3
                              + ".example.org"), complaint=True)
    db.session.commit()
    browser_login(page, staff.email)
    items = page.locator(".attention-item")
    assert items.count() == 2
    badge = page.locator("[data-testid=notifications] .badge-unread")
    assert badge.inner_text().startswith("2")
    for width, height, name in ((1366, 768, "home-1366"), (390, 844, "home-390")):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(page, name)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.evaluate("window.notReloaded = true")
    rita = items.filter(has_text="Rita Rejected")
    rita.get_by_role("button", name="Dismiss").click()
    page.wait_for_selector("text=Rita Rejected", state="detached")
    assert page.evaluate("window.notReloaded") is True  # swapped in place by htmx
    assert page.locator(".attention-item").count() == 1
    assert page.locator("#attention-count").inner_text() == "1"
    page.reload()
    assert "Rita Rejected" not in page.content()
    page.locator(".attention-item").get_by_role("button", name="Dismiss").click()
    page.wait_for_selector("[data-testid=attention-empty]")
    _shot(page, "home-empty-1366")
    page.goto("/notifications")
    assert page.locator(".notification").count() == 2
    for width, height, name in ((1366, 768, "notifications-1366"),
                                (390, 844, "notifications-390")):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(page, name)
    assert page.console_errors == []


def test_the_fix_and_resend_page_fits_a_laptop_and_a_phone(page, make_user):
    from tests.factories import add_events, at

    staff = make_user("staff")
    customer = make_customer(first_name="Gina", last_name="Gone", owner=staff,
                             emails=("gone@example.org", "gina.private@example.org"))
    message = make_message(make_invoice(customer), to="gone@example.org")
    add_events(message, ("rejected", at("2026-11-01"),
                         {"code": "5.1.1", "diagnostic": "550 5.1.1 User unknown"}))
    mail_problem(message, "address")
    db.session.commit()
    browser_login(page, staff.email)
    page.locator("a", has_text="See what to do").click()
    page.wait_for_selector("input[name=corrected]")
    assert page.locator("input[name=address_id]").count() == 1
    for width, height, name in ((1366, 768, "fix-1366"), (390, 844, "fix-390")):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(page, name)
    assert page.console_errors == []
