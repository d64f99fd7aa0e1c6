"""In a real browser: the Email History popup on hover, and a status arriving by itself."""
from __future__ import annotations

import smtplib
import urllib.request

import pytest

from app.extensions import db
from app.mail import outbox
from app.models import EmailMessage
from tests.browser.conftest import browser_login, screenshot
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.browser


def test_hover_shows_history_and_status_updates_without_reload(page, make_user, smtp,  # noqa: F811
                                                               run_worker):  # noqa: F811
    user = make_user("billing")
    invoice = make_invoice(make_customer(emails=("ann@example.org",)))
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


# A desktop mail client fetching the tracking image: a person reading (not a proxy).
THUNDERBIRD = ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0")


def _dsn_for(message) -> bytes:
    return (f"From: MAILER-DAEMON@mx.example.org\r\n"
            f"To: bounces+{message.verp_token}@bounces.clientele.localhost\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
            "\r\n--B\r\nContent-Type: text/plain\r\n\r\nCould not be delivered.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.org\r\n\r\n"
            f"Final-Recipient: rfc822; {message.to_address}\r\nAction: failed\r\n"
            "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
            f"\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Message-ID: <{message.message_id}>\r\nSubject: Invoice\r\n\r\n--B--\r\n"
            ).encode()


def test_an_open_and_a_bounce_after_sent_reach_the_open_list(page, make_user, smtp,  # noqa: F811
                                                            run_worker, app):  # noqa: F811
    """The list keeps asking after "Sent": an open from a mail program outside the page,
    then a bounce delivered to the bounce receiver, each appear without a reload."""
    from app.dev.net import free_port
    from app.mail import tracking
    from app.mail.hits import flush_buffered_hits
    from app.mail.receiver import start_receiver

    user = make_user("billing")
    read = make_invoice(make_customer(emails=("ann@example.org",)))
    bounced = make_invoice(make_customer(emails=("gone@example.org",)))
    (opened_message,) = outbox.add_messages(
        recipients=[outbox.Recipient("ann@example.org")], subject="Invoice", body="Hello",
        invoice=read, attach_pdf=False)
    (bounced_message,) = outbox.add_messages(
        recipients=[outbox.Recipient("gone@example.org")], subject="Invoice", body="Hello",
        invoice=bounced, attach_pdf=False)
    db.session.commit()
    assert outbox.enqueue([opened_message.id, bounced_message.id])
    run_worker()
    browser_login(page, user.email)
    page.goto("/invoices/")
    for invoice in (read, bounced):
        page.wait_for_selector(f"#email-icon-{invoice.id}.status-sent")

    with app.test_request_context():
        pixel = tracking.open_url(opened_message)
    request = urllib.request.Request(pixel, headers={"User-Agent": THUNDERBIRD})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200
    flush_buffered_hits()
    run_worker()  # the events queue: the worker drains the hit into an "opened" event
    page.wait_for_selector(f"#email-icon-{read.id}.status-opened", timeout=15_000)

    port = free_port()
    receiver = start_receiver(app, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as relay:
            relay.sendmail("", [f"bounces+{bounced_message.verp_token}"
                                "@bounces.clientele.localhost"], _dsn_for(bounced_message))
    finally:
        receiver.stop()
    run_worker()  # the events queue: the stored bounce is parsed and applied
    page.wait_for_selector(f"#email-icon-{bounced.id}.status-rejected", timeout=15_000)
    assert page.url.endswith("/invoices/")
    assert page.console_errors == []
    screenshot(page, "invoices-live-updates")


# Chromium logs every 4xx answer; the dialog's refusals are 422 on purpose.
EXPECTED_422 = "the server responded with a status of 422"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _look_at_dialog(page, name: str, notice: str) -> None:
    """Screenshots at both sizes: the notice and Send on screen, nothing cut off sideways.

    The dialog is modal and scrolls inside itself, so the screenshots are of the screen.
    """
    dialog = page.locator('[data-testid="send-dialog"] article')
    for size, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        dialog.evaluate("article => { article.scrollTop = 0; }")
        for part in (dialog, page.locator(notice)):
            box = part.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (size, box)
            assert box["y"] >= 0
        assert dialog.evaluate("article => article.scrollWidth <= article.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"{name}-{size}", full_page=False)
        page.locator('[data-testid="send"]').scroll_into_view_if_needed()
        assert page.locator('[data-testid="send"]').is_visible()


def _open_dialog(page, invoice) -> None:
    page.goto(f"/invoices/{invoice.id}")
    page.click('[data-testid="email-invoice"]')
    page.locator('[data-testid="send-dialog"]').wait_for()


def test_second_send_is_refused_until_confirmed(page, make_user):
    user = make_user("billing")
    invoice = make_invoice(make_customer(emails=("ann@example.org",)), status="draft")
    browser_login(page, user.email)
    _open_dialog(page, invoice)
    assert page.locator('[data-testid="finalizes-draft"]').is_visible()
    page.click('[data-testid="send"]')
    page.locator('[data-testid="send-dialog"]').wait_for(state="detached")
    assert "on its way to 1 recipient" in page.locator("#notices").inner_text()

    _open_dialog(page, invoice)  # a second dialog: the invoice is finalized now
    page.click('[data-testid="send"]')
    refusal = page.locator('[data-testid="repeat-send"]')
    refusal.wait_for()
    assert "already sent to ann@example.org at" in refusal.inner_text()
    assert "send again?" in refusal.inner_text()
    assert page.locator('[data-testid="finalizes-draft"]').count() == 0
    _look_at_dialog(page, "email-dialog-repeat", '[data-testid="repeat-send"]')

    page.set_viewport_size(VIEWPORTS["desktop"])
    page.get_by_label("Yes, send it again").check()
    page.click('[data-testid="send"]')
    page.locator('[data-testid="send-dialog"]').wait_for(state="detached")
    batches = db.session.scalars(db.select(EmailMessage.batch).distinct()).all()
    assert len(batches) == 2
    assert [e for e in page.console_errors if EXPECTED_422 not in e] == []


def test_draft_with_nothing_to_pay_shows_why_it_cannot_be_sent(page, make_user):
    user = make_user("billing")
    invoice = make_invoice(make_customer(emails=("ann@example.org",)), status="draft",
                           total="0.00")
    browser_login(page, user.email)
    _open_dialog(page, invoice)
    page.click('[data-testid="send"]')
    page.locator('[data-testid="send-dialog"] [role="alert"]').wait_for()
    dialog = page.locator('[data-testid="send-dialog"]').inner_text()
    assert "The total must be more than zero" in dialog
    assert "Sending finalizes this draft" in dialog
    _look_at_dialog(page, "email-dialog-draft-error",
                    '[data-testid="send-dialog"] [role="alert"]')
    assert db.session.scalar(db.select(db.func.count(EmailMessage.id))) == 0
    assert [e for e in page.console_errors if EXPECTED_422 not in e] == []
