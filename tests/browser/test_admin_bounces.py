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


def test_a_notice_without_the_original_is_marked_on_the_list_and_its_page(page, make_user):
    from app.mail import inbound
    from tests.jobs.test_inbound import _bare_notice
    from tests.support.bounce_mail import sent_email as _sent

    _, message = _sent("bare-in-browser@example.org")
    bare = inbound.store(_bare_notice(message, "billing@office.example"), via="imap")
    assert inbound.process(bare) == "unconfirmed"
    browser_login(page, make_user("admin").email)
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/admin/bounces")
        assert page.get_by_text("No copy of the original returned.").is_visible()
        assert page.get_by_text("1 of these came back without a copy of our email").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"bounce-review-no-original-{width}")
        page.goto(f"/admin/bounces/{bare}")
        assert page.get_by_text("no copy of the original returned").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"bounce-no-original-{width}")
    assert not page.console_errors
