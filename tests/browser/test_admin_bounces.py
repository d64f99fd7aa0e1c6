"""Bounce review in Chromium: a report matched by address only, confirmed with one click."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import EmailMessage
from tests.blueprints.test_admin_bounces import _held_bounce
from tests.browser.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_a_held_report_is_explained_and_confirmed_from_the_list(page, make_user):
    _, message, _ = _held_bounce("held-in-browser@example.org")
    admin = make_user("admin")
    browser_login(page, admin.email)
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/admin/bounces")
        assert page.get_by_text("Matched by address only — not proven to be about our "
                                "email.").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"bounce-review-held-{width}")
    page.get_by_role("button", name="Confirm and apply").click()
    page.get_by_text("Confirmed: applied to the email.").wait_for()
    assert not page.console_errors
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "rejected"
