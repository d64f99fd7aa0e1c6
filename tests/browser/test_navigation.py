from __future__ import annotations

import pytest

from app import settings
from tests.browser.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_login_navigate_and_logout(page, make_user):
    user = make_user("admin", name="Ada Admin")
    settings.update({"office.name": "Ada's Office"})  # set up: no first-run screen
    browser_login(page, user.email)
    assert page.locator("h1").inner_text().startswith("Good to see you")
    for label, heading in (("Customers", "Customers"), ("Invoices", "Invoices"),
                           ("Reports", "Reports"), ("Admin", "Admin")):
        page.click(f"nav.container-fluid >> text={label}")
        page.wait_for_load_state()
        assert page.locator("main h1").first.inner_text() == heading
    screenshot(page, "admin-users")
    # Live search on the users list goes through htmx and pushes the URL.
    page.fill("input[name=q]", "ada")
    page.wait_for_url("**/admin/users?q=ada")
    assert page.locator("#results tbody tr").count() == 1
    page.click("details.dropdown summary")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login")
    assert "You are logged out." in page.content()
    page.goto("/admin/users")
    page.wait_for_url(lambda url: "/login?next=" in url)
    assert page.console_errors == []


def test_staff_does_not_see_admin(page, make_user):
    user = make_user("staff")
    browser_login(page, user.email)
    assert page.locator("nav.container-fluid >> text=Admin").count() == 0
    response = page.goto("/admin/users")
    assert response.status == 403
    assert "don't have access" in page.content() or "don&#39;t have access" in page.content()
