"""In Chromium: a bounce's verdict in plain words, and marking it wrong from the popup."""
from __future__ import annotations

from datetime import date

import pytest

from app.extensions import db
from app.mail import outbox
from app.mail.consequences import after_rejection
from app.mail.recorder import NewEvent, dedupe_key, store_events
from app.models import CustomerEmail, EmailEvent
from app.models.base import utcnow
from tests.browser.conftest import browser_login, screenshot
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.browser

VIEWPORTS = ((1366, 768), (390, 844))


def _refused(address: str, reason: str, words: str, customer=None, size=None):
    customer = customer or make_customer(emails=(address,))
    invoice = make_invoice(customer)
    (message,) = outbox.add_messages(recipients=[outbox.Recipient(address)],
                                     subject=f"Invoice {invoice.number}", body="Hi",
                                     invoice=invoice, attach_pdf=True)
    message.state = "sent"
    db.session.commit()
    store_events([NewEvent(message_id=message.id, type="rejected", occurred_at=utcnow(),
                           source="smtp", dedupe_key=dedupe_key("refused", message.id),
                           code=words[:3], diagnostic=words, reason=reason,
                           details={"size": size} if size else {})])
    after_rejection(message, reason=reason, words=words, size=size)
    db.session.commit()
    return invoice, message


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_popup_says_why_and_marks_a_wrong_verdict(page, make_user):
    user = make_user("billing")
    invoice, message = _refused("ann@example.org", "userunknown",
                                "550 5.1.1 <ann@example.org>: Recipient address rejected: "
                                "User unknown in virtual mailbox table")
    event = db.session.scalars(db.select(EmailEvent)).one()
    browser_login(page, user.email)
    page.goto("/invoices/")
    anchor = page.locator(f'[data-testid="email-icon-{invoice.id}"]')
    anchor.hover()
    popup = anchor.locator(".hovercard")
    popup.locator('[data-testid="email-history"]').wait_for()
    assert "Rejected — the address does not exist" in popup.inner_text()
    assert "The address is wrong" in popup.inner_text()
    popup.get_by_text("This verdict is wrong").click()
    popup.locator("input[name=note]").fill("She confirmed the address by phone")
    screenshot(page, "verdict-popup-open")
    popup.get_by_role("button", name="Mark it wrong and use the address again").click()
    popup.locator(f'[data-testid="overturned-{event.id}"]').wait_for()
    assert "She confirmed the address by phone" in popup.inner_text()
    assert popup.get_by_text("This verdict is wrong").count() == 0
    assert page.url.endswith("/invoices/")  # swapped in place, no page load
    assert page.console_errors == []
    db.session.expire_all()
    email = db.session.scalars(db.select(CustomerEmail)).one()
    assert (email.state, email.suppressed) == ("ok", False)


def test_the_verdict_form_works_without_javascript(browser, live_server, make_user):
    user = make_user("admin")
    invoice, _ = _refused("bob@example.org", "userunknown", "550 5.1.1 user unknown")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, user.email)
        page.goto(f"/invoices/{invoice.id}/emails/history")
        page.get_by_text("This verdict is wrong").click()
        page.get_by_role("button", name="Mark it wrong and use the address again").click()
        page.wait_for_url(f"**/invoices/{invoice.id}/emails/history")
        assert page.get_by_text("bob@example.org can be emailed again.").is_visible()
        assert page.get_by_text("Verdict marked wrong").is_visible()
    finally:
        context.close()


def test_pages_with_verdicts_fit_a_laptop_and_a_phone(page, make_user, app):
    app.config["TODAY"] = date.today()
    user = make_user("admin")
    customer = make_customer(company="Müller & Söhne Großhandel GmbH", kind="company",
                             emails=("buchhaltung@mueller-soehne-grosshandel.example",))
    address = customer.emails[0].address
    invoice, _ = _refused(address, "mailboxfull", "552 5.2.2 <%s>: Mailbox full: quota "
                          "exceeded (10240000/10240000 bytes)" % address, customer=customer)
    _refused(address, "blocked", "550 5.7.1 Service unavailable; client [192.0.2.45] "
             "blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.45",
             customer=customer)
    _refused(address, "emailtoolarge", "552 5.3.4 Message size exceeds fixed maximum message "
             "size", customer=customer, size=12_400_000)
    browser_login(page, user.email)
    pages = {
        "invoice": f"/invoices/{invoice.id}",
        "history": f"/invoices/{invoice.id}/emails/history",
        "report": "/reports/accounting",
        "report-office": "/reports/accounting?class=office",
        "bounces": "/admin/bounces",
        "verdicts": "/admin/bounces/verdicts",
        "customer": f"/customers/{customer.id}",
    }
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        for name, url in pages.items():
            page.goto(url)
            assert _fits(page), (name, width)
            screenshot(page, f"verdicts-{name}-{width}")
    page.goto("/reports/accounting")
    assert page.get_by_text("the mailbox is full").first.is_visible()
    page.goto("/admin/bounces")
    assert page.get_by_text("Receiving servers refused mail from your office").is_visible()
    page.goto(f"/customers/{customer.id}")
    assert page.locator('[data-testid="email-problem"]').first.is_visible()
    assert page.console_errors == []
