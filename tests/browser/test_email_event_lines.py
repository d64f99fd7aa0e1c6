"""In Chromium: an email's events as plain lines, Details opened from the keyboard, machine
opens apart, on a laptop and a phone, nothing scrolling sideways and no axe finding."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.events.automation import APPLE_MPP
from app.extensions import db
from app.mail import outbox
from app.mail.recorder import NewEvent, store_events
from app.models.base import utcnow
from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.browser

VIEWPORTS = ((1366, 768), (390, 844))
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51")


def _emailed_invoice():
    customer = make_customer(emails=("accounts.payable.department@example-holdings.org",))
    invoice = make_invoice(customer)
    (message,) = outbox.add_messages(
        recipients=[outbox.Recipient("accounts.payable.department@example-holdings.org")],
        subject=f"Invoice {invoice.number}", body="Hi", invoice=invoice)
    message.state, message.sent_at = "sent", utcnow() - timedelta(hours=2)
    db.session.flush()

    def event(key, kind, minutes, source, **values):
        return NewEvent(message_id=message.id, type=kind, source=source, dedupe_key=key,
                        occurred_at=message.sent_at + timedelta(minutes=minutes), **values)

    store_events([
        event("b-sent", "sent", 0, "smtp", code="250",
              diagnostic="2.0.0 Ok: queued as 4XbT1k2Lz9z3vQ7R"),
        event("b-mpp", "opened", 1, "pixel", automated=True, user_agent="Mozilla/5.0",
              ip="17.58.63.10", details={"automation_rule": APPLE_MPP}),
        event("b-scan", "clicked", 1, "click", automated=True, user_agent="Mozilla/5.0",
              ip="40.94.31.2", url="https://office.example/terms-and-conditions-2026",
              details={"automation_rule": "Bare “Mozilla/5.0” on a click"}),
        event("b-view", "viewed", 45, "client-view", user_agent=CHROME,
              ip="2001:db8:85a3:8d3:1319:8a2e:370:7348"),
    ])
    db.session.commit()
    return invoice, message


@pytest.mark.parametrize("width, height", VIEWPORTS)
def test_invoice_page_lines_and_details_by_keyboard(page, make_user, width, height):
    user = make_user("billing")
    invoice, message = _emailed_invoice()
    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, user.email)
    page.goto(f"/invoices/{invoice.id}")
    history = page.locator('[data-testid="email-history"]')
    text = history.inner_text()
    assert "Handed to your mail server" in text and "Viewed the invoice online" in text
    assert "Fetched by Apple Mail Privacy Protection (may not mean read)" in text
    assert "Checked by a link scanner" in text
    assert "1 open by a person · 1 machine open, not counted" in text
    assert CHROME not in text  # behind Details, closed
    # Keyboard: Tab reaches the Details of the online view; Enter opens it.
    view = message.events[-1]
    summary = page.locator(f'#email-event-{view.id} summary')
    summary.focus()
    page.keyboard.press("Enter")
    assert CHROME in page.locator(f"#email-event-{view.id}").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"event-lines-invoice-{width}")
    assert axe_violations(page) == []


def test_customer_timeline_lines_fit_a_phone(page, make_user):
    user = make_user("admin")
    invoice, _ = _emailed_invoice()
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, user.email)
    page.goto(f"/customers/{invoice.customer_id}/timeline")
    items = page.locator(".timeline").inner_text()
    assert "Viewed the invoice online" in items and "not a person" in items
    for summary in page.locator(".timeline summary").all():
        summary.click()
    assert CHROME in page.locator(".timeline").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "event-lines-timeline-390")
    assert axe_violations(page) == []
