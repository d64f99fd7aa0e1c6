"""In a real browser: an admin adds a field of the office's own, fills it in on a file
(in place), and filters the customers list by it; the pages fit a laptop and a phone."""
from __future__ import annotations

import pytest

from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_layout import sideways
from tests.factories import make_customer

pytestmark = pytest.mark.browser


def _fits(page, name: str) -> None:
    for width, height, size in ((1366, 768, "laptop"), (390, 844, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        assert sideways(page) == [], f"{name} {size}"
        screenshot(page, f"{name}-{size}")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1366, "height": 768})


def test_add_a_field_and_filter_the_list_by_it(page, make_user, db):
    user = make_user("admin")
    gold = make_customer(last_name="Goldmember", owner=user)
    make_customer(last_name="Plainperson", owner=user)
    browser_login(page, user.email)

    page.goto("/admin/fields/")
    page.fill("#label", "Plan")
    page.select_option("#kind", "choice")
    page.fill("#choices", "Silver\nGold")
    page.check("#in_list")
    page.click("text=Add field")
    page.locator('[data-testid="fields"]').wait_for()
    _fits(page, "fields-admin")

    page.goto(f"/customers/{gold.id}")
    page.click('[data-testid="edit-own_fields"]')
    form = page.locator('[data-testid="form-own_fields"]')
    form.wait_for()
    form.locator("select").select_option("Gold")
    form.locator("button[type=submit]").click()
    assert "Gold" in page.locator('[data-testid="own-fields"]').inner_text()
    assert page.url.endswith(f"/customers/{gold.id}")  # swapped in place, no navigation
    _fits(page, "fields-file")

    page.goto("/customers/")
    page.locator('select[aria-label="Plan"]').select_option("Gold")
    page.wait_for_url("**/customers/?*f*=Gold*")
    results = page.locator("#results")
    results.locator("text=Goldmember").wait_for()
    assert "Plainperson" not in results.inner_text()
    _fits(page, "fields-list")
