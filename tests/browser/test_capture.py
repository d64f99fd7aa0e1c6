"""Captured email in a real Chromium: the address read off one's page, mail sent to it
through the real SMTP receiver and worker, then filed by hand with the htmx search."""
from __future__ import annotations

import smtplib

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_layout import sideways
from tests.capture.mail import bcc
from tests.documents import samples
from tests.factories import make_customer

pytestmark = pytest.mark.browser


def _fits(page, name: str) -> None:
    for width, height, suffix in ((1366, 768, ""), (390, 844, "-phone")):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, name + suffix, full_page=False)
        assert sideways(page) == [], name
    page.set_viewport_size({"width": 1366, "height": 768})
    assert axe_violations(page) == [], name


def test_mail_sent_to_the_dropbox_is_filed_by_hand_and_shows_on_the_file(
        app, page, make_user, run_worker):
    from app.dev.net import free_port
    from app.mail.receiver import start_receiver

    staff = make_user("staff", name="Sam Staff")
    make_customer(kind="company", company="Harbour Lights Ltd", owner=staff,
                  emails=("office@harbour-lights.example",))
    browser_login(page, staff.email)
    page.goto("/")
    menu = page.locator("details.usermenu")
    menu.locator("summary").click()
    menu.get_by_role("link", name="Filed email & drop-box").click()
    expect(page.get_by_role("heading", name="Filed email", exact=True)).to_be_visible()
    expect(page.get_by_text("Nothing to file")).to_be_visible()
    address = page.get_by_test_id("dropbox-address").inner_text().strip()
    assert address.startswith("file+") and address.endswith("@bounces.clientele.localhost")

    # The owner's personal address, Bcc'd: names no customer, so it waits to be filed.
    raw = bcc(staff.email, ["Jo Harbour <jo.private@mailbox.example>"],
              subject="Harbour Lights: signed engagement letter",
              attachments=[("Engagement letter.pdf", samples.pdf(20_000), "application/pdf")])
    port = free_port()
    controller = start_receiver(app, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.sendmail(staff.email, [address], raw)
    finally:
        controller.stop()
    run_worker()

    page.reload()
    expect(page.get_by_role("link", name="To file (1)")).to_be_visible()
    _fits(page, "capture-list")
    page.get_by_role("link", name="Harbour Lights: signed engagement letter").click()
    expect(page.get_by_test_id("not-filed")).to_be_visible()
    expect(page.get_by_test_id("mail-body")).to_contain_text("contract attached")
    _fits(page, "capture-message")

    page.get_by_label("File it on a customer").fill("Harbour")  # htmx searches as one types
    choices = page.get_by_test_id("file-choices")
    expect(choices).to_contain_text("Harbour Lights Ltd")
    choices.get_by_role("button", name="File here").click()
    expect(page.locator("#notices")).to_contain_text("Filed on Harbour Lights Ltd.")
    expect(page.get_by_test_id("filed-on")).to_contain_text("Harbour Lights Ltd")

    page.get_by_role("link", name="Harbour Lights Ltd").first.click()
    history = page.locator("#timeline-items")
    expect(history).to_contain_text("Email filed: Harbour Lights: signed engagement letter")
    documents = page.get_by_test_id("documents")
    expect(documents).to_contain_text("Engagement letter.pdf")
    expect(documents.get_by_role("link", name="from an email")).to_be_visible()
    assert page.console_errors == []
