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


def test_a_fresh_office_is_set_up_and_its_settings_page_fits(page, make_user):
    admin = make_user("admin")
    browser_login(page, admin.email)
    assert page.url.endswith("/admin/settings/setup")  # the first run
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert sideways(page) == [], (width, "setup")
        assert axe_violations(page) == [], (width, "setup")
        screenshot(page, f"settings-setup-{width}")
    page.fill("#office_name", "Smith & Daughters")
    page.fill("#office_address", "1 High Street\nLeeds LS1 1AA")
    page.select_option("#office_country", "GB")
    page.fill("#office_tax_number", "GB980780684")
    page.select_option("#office_time_zone", "Europe/London")
    page.select_option("#locale_code", "en_GB")
    page.get_by_role("button", name="Save and start").click()
    page.wait_for_url("**/admin/settings/")
    assert settings.get("office.name") == "Smith & Daughters"
    assert page.get_by_text("Your office is set up").is_visible()
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert sideways(page) == [], (width, "settings")
        assert axe_violations(page) == [], (width, "settings")
        screenshot(page, f"settings-{width}")

    page.set_viewport_size({"width": 1366, "height": 768})
    page.fill("#office_iban", "GB33BUKB20201555555556")
    page.locator("#office button[type=submit]").click()
    error = page.locator("#office_iban-error")
    assert "not a valid IBAN" in error.inner_text()
    assert page.locator("#office_iban").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []
    screenshot(page, "settings-bad-iban", full_page=False)
    assert settings.get("office.iban") == ""
