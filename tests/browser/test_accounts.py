"""Invitation and password reset in Chromium, end to end: the admin invites, the real worker
sends the system mail to the loopback SMTP server, the colleague opens the link from that
email on a phone and chooses a password; someone who forgot theirs asks for a link from the
login page. Every page on the way is axe-clean and fits 1366×768 and 390×844."""
from __future__ import annotations

import re

import pytest

from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_layout import sideways

pytestmark = pytest.mark.browser

SIZES = ((1366, 768), (390, 844))


def _checked(page, name: str, failures: dict) -> None:
    """axe and sideways scrolling at both sizes; a screenshot of each."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        found = axe_violations(page) + sideways(page)
        if found:
            failures[f"{name} at {width}x{height}"] = found
        screenshot(page, f"accounts-{name}-{width}x{height}")


def _link_in_mail(smtp, address: str) -> str:
    (mail,) = [m for m in smtp.received if m.rcpt_tos == [address]]
    text = next(p for p in mail.message.walk() if p.get_content_type() == "text/plain")
    html = next(p for p in mail.message.walk() if p.get_content_type() == "text/html")
    assert "<img" not in html.get_payload(decode=True).decode()
    (link,) = set(re.findall(r"http://127\.0\.0\.1:\d+/password/set/\S+",
                             text.get_payload(decode=True).decode()))
    return link


def test_an_invited_colleague_chooses_a_password_from_the_email(page, browser, live_server,
                                                                make_user, smtp, run_worker):
    admin = make_user("admin", email="ada@example.com", name="Ada Admin")
    failures: dict[str, list[str]] = {}
    browser_login(page, admin.email)
    page.goto("/admin/users")
    page.click("text=Invite a user")
    page.wait_for_url("**/admin/users/new")
    assert page.locator("select[name=role]").input_value() == "viewer"
    _checked(page, "invite-form", failures)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.fill("input[name=email]", "nina@example.com")
    page.fill("input[name=name]", "Nina New")
    page.select_option("select[name=role]", "staff")
    page.click("text=Send the invitation")
    page.wait_for_url("**/admin/users")
    assert page.locator('[data-testid="invitation"]', has_text="nina@example.com").count() == 1
    _checked(page, "users-with-invitation", failures)

    run_worker()
    link = _link_in_mail(smtp, "nina@example.com")
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.set_default_timeout(10_000)
    phone.goto(link)
    assert phone.locator("h1").inner_text().startswith("Welcome")
    _checked(phone, "invitation-accept", failures)
    phone.fill("input[name=new]", "nina's own long secret")
    phone.fill("input[name=confirm]", "nina's own long secret")
    phone.click("button[type=submit]")
    phone.wait_for_url(live_server + "/")
    assert "Welcome! Your password is set." in phone.locator("#notices").inner_text()
    phone.goto(link)  # the link worked once
    assert phone.locator("h1").inner_text() == "This link no longer works"
    _checked(phone, "link-used", failures)
    phone.context.close()
    assert not failures, failures


def test_forgot_password_from_the_login_page(page, live_server, make_user, smtp, run_worker):
    make_user("billing", email="bo@example.com")
    failures: dict[str, list[str]] = {}
    page.goto("/login")
    page.click("text=Forgot your password?")
    page.wait_for_url("**/password/forgot")
    _checked(page, "forgot", failures)
    page.fill("input[name=email]", "bo@example.com")
    page.click("button[type=submit]")
    assert "If bo@example.com belongs to an account here" in \
        page.locator('[data-testid="reset-sent"]').inner_text()
    _checked(page, "forgot-sent", failures)

    run_worker()
    page.goto(_link_in_mail(smtp, "bo@example.com"))
    assert page.locator("h1").inner_text() == "Set a new password"
    _checked(page, "reset", failures)
    page.fill("input[name=new]", "bo's brand new secret")
    page.fill("input[name=confirm]", "bo's brand new secret")
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/")
    page.context.clear_cookies()
    browser_login(page, "bo@example.com", "bo's brand new secret")
    assert not failures, failures
