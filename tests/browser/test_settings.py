"""Admin → Settings in Chromium: a fresh office set up through the first-run screen, the
page at a laptop's and a phone's size with nothing scrolling sideways and no serious axe
finding, and a bad IBAN answered beside its field."""
from __future__ import annotations

import pytest

from app import settings
from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_layout import sideways

pytestmark = pytest.mark.browser
SIZES = ((1366, 768), (390, 844))


def fits_and_passes_axe(page, name: str) -> None:
    """At a laptop's and a phone's size: nothing sideways, no serious axe finding."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert sideways(page) == [], (width, name)
        assert axe_violations(page) == [], (width, name)
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 768})


def set_up_office(page) -> None:
    """Fill in the first-run screen (a GB office, en_GB formats) and land on Settings."""
    page.fill("#office_name", "Smith & Daughters")
    page.fill("#office_address", "1 High Street\nLeeds LS1 1AA")
    page.select_option("#office_country", "GB")
    page.fill("#office_tax_number", "GB980780684")
    page.fill("#sending_sender_name", "Smith & Daughters Accounts")
    page.fill("#sending_sender_address", "accounts@smith.example")
    page.select_option("#office_time_zone", "Europe/London")
    page.select_option("#locale_code", "en_GB")
    page.get_by_role("button", name="Save and start").click()
    page.wait_for_url("**/admin/settings/")


def test_a_fresh_office_is_set_up_and_its_settings_page_fits(page, make_user):
    admin = make_user("admin")
    browser_login(page, admin.email)
    assert page.url.endswith("/admin/settings/setup")  # the first run
    fits_and_passes_axe(page, "settings-setup")
    set_up_office(page)
    assert settings.get("office.name") == "Smith & Daughters"
    assert page.get_by_text("Your office is set up").is_visible()
    fits_and_passes_axe(page, "settings")

    page.fill("#office_iban", "GB33BUKB20201555555556")
    page.locator("#office button[type=submit]").click()
    error = page.locator("#office_iban-error")
    assert "not a valid IBAN" in error.inner_text()
    assert page.locator("#office_iban").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []
    screenshot(page, "settings-bad-iban", full_page=False)
    assert settings.get("office.iban") == ""
