"""Keyboard alone: the email history popup opens on focus and closes on Escape; the email
dialog is modal, keeps focus inside and gives it back when it closes (issue #19)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.browser.site import EMAILS, PASSWORDS, seed_site

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app):
    return seed_site()


def _active(page) -> str:
    return page.evaluate("""() => { const el = document.activeElement;
        return (el.dataset && el.dataset.testid) || el.textContent.trim().slice(0, 40); }""")


def _tab_to(page, testid: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _active(page) == testid:
            return
    raise AssertionError(f"Tab never reached {testid}")


def _has_focus_ring(page) -> bool:
    return page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2; }""")


def test_email_history_popup_by_keyboard(page, site):
    browser_login(page, EMAILS["billing"], PASSWORDS["billing"])
    page.goto(f"/invoices/?customer={site['customer']}")
    anchor = f'email-icon-{site["invoice"]}'
    popup = page.locator(f'[data-testid="{anchor}"] .hovercard')
    _tab_to(page, anchor)
    assert _has_focus_ring(page)
    popup.locator("[data-testid=email-history]").wait_for()
    assert popup.is_visible() and "Rejected" in popup.inner_text()

    page.keyboard.press("Escape")
    assert not popup.is_visible()
    assert _active(page) == anchor  # Escape hides the popup, not the focus

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert _active(page) == anchor
    assert popup.is_visible()


def test_email_dialog_by_keyboard(page, site):
    browser_login(page, EMAILS["billing"], PASSWORDS["billing"])
    page.goto(f"/invoices/{site['invoice']}")
    _tab_to(page, "email-invoice")
    assert _has_focus_ring(page)
    page.keyboard.press("Enter")
    dialog = page.locator('[data-testid="send-dialog"]')
    dialog.wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=send-dialog]')"
                           ".matches(':modal')")

    # Tabbing round and round never reaches the page behind the dialog (past the last
    # field, focus may visit the browser's own controls: document.body, then comes back).
    inside = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        where = page.evaluate("""() => document.activeElement === document.body ? "browser"
            : document.activeElement.closest('[data-testid=send-dialog]') ? "dialog" : "page" """)
        assert where != "page", _active(page)
        if where == "dialog":
            inside += 1
            assert _has_focus_ring(page), _active(page)
    assert inside >= 30

    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert _active(page) == "email-invoice"
    assert page.console_errors == []
