"""In a real browser: the Email History popup on hover, and a status arriving by itself."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.mail import outbox
from tests.browser.conftest import browser_login, screenshot
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.browser


def test_hover_shows_history_and_status_updates_without_reload(page, make_user, smtp,  # noqa: F811
                                                               run_worker):  # noqa: F811
    user = make_user("billing")
    invoice = make_invoice(make_customer(email="ann@example.org"))
    messages = outbox.add_messages(recipients=[outbox.Recipient("ann@example.org")],
                                   subject=f"Invoice {invoice.number}", body="Hello",
                                   invoice=invoice, attach_pdf=False)
    db.session.commit()
    browser_login(page, user.email)
    page.goto("/invoices/")
    icon = page.locator(f"#email-icon-{invoice.id}")
    assert "status-queued" in icon.get_attribute("class")
    page.hover(f'[data-testid="email-icon-{invoice.id}"]')
    popup = page.locator(f'[data-testid="email-icon-{invoice.id}"] .hovercard')
    popup.locator('[data-testid="email-history"]').wait_for()
    assert "ann@example.org" in popup.inner_text()
    assert "absence does not mean it was not" in popup.inner_text()
    screenshot(page, "email-history-popup")

    assert outbox.enqueue([m.id for m in messages])
    run_worker()  # the real worker sends it through the loopback SMTP server
    # No reload: the icon polls and turns "Sent" by itself.
    page.wait_for_selector(f"#email-icon-{invoice.id}.status-sent", timeout=15_000)
    assert page.url.endswith("/invoices/")
    assert page.console_errors == []
