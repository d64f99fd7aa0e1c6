"""`make screenshots`: every main page, for each role, at 1366×768 and 390×844, saved under
tests/artifacts/screens/ (people would rather look than read). Skipped in a plain test run,
where test_accessibility.py and test_layout.py walk the same pages."""
from __future__ import annotations

import os

import pytest

from tests.browser.conftest import browser_login
from tests.browser.site import EMAILS, PASSWORDS, PUBLIC_PAGES, ROLES, pages_for, seed_site
from tests.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not os.environ.get("CLIENTELE_SCREENSHOTS"), reason="make screenshots takes them")]

SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
SCREENS = ARTIFACTS / "screens"


def _shoot(page, name: str, path: str) -> None:
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        assert page.goto(path).status == 200, path
        # caret="initial": hiding the caret injects a <style>, which the CSP refuses.
        page.screenshot(path=str(SCREENS / f"{name}-{size}.png"), full_page=True,
                        caret="initial")


@pytest.mark.parametrize("role", ROLES)
def test_screenshots(page, app, role):
    site = seed_site()
    SCREENS.mkdir(parents=True, exist_ok=True)
    if role == "admin":
        for p in PUBLIC_PAGES:
            _shoot(page, p.name, p.url(site))
    browser_login(page, EMAILS[role], PASSWORDS[role])
    for p in pages_for(role):
        _shoot(page, f"{role}-{p.name}", p.url(site))
