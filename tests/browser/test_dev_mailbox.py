"""The admin Dev mailbox in Chromium: an invoice email looks as its recipient sees it,
previewing and clicking around it never marks it Opened or Clicked, its PDF opens."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from app.dev.mailbox import read_message
from app.dev.mailsink import start_sink
from app.extensions import db, mail
from app.mail import outbox
from app.mail.tracking import open_url
from app.models import EmailMessage
from tests.browser.conftest import browser_login, screenshot
from tests.factories import make_customer, make_invoice


def _sent_through_the_sink(app, run_worker, sink_dir) -> EmailMessage:
    sink = start_sink(sink_dir)
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port,
                          MAIL_SINK_DIR=str(sink_dir))
        mail.init_app(app)
        invoice = make_invoice(make_customer(emails=("reader@example.org",)))
        (message,) = outbox.add_messages(
            recipients=[outbox.Recipient("reader@example.org")], subject="Invoice 7",
            body="Dear client,\n\nYour invoice: https://office.example/terms", invoice=invoice)
        db.session.commit()
        assert outbox.enqueue([message.id])
        run_worker()
        deadline = time.monotonic() + 5
        while not list(sink_dir.glob("*.eml")):
            assert time.monotonic() < deadline, "the sink filed nothing"
            time.sleep(0.05)
    finally:
        sink.stop()
    db.session.expire_all()
    message = db.session.get(EmailMessage, message.id)
    assert message.status == "sent"
    return message


def test_previewing_an_email_never_opens_it_and_its_pdf_opens(
        app, page, make_user, run_worker, tmp_path):
    message = _sent_through_the_sink(app, run_worker, tmp_path / "mailbox")
    caught = read_message(str(tmp_path / "mailbox"),
                          next((tmp_path / "mailbox").glob("*.eml")).name)
    # It does carry our tracking image and a tracked link, and the invoice's PDF.
    assert urlsplit(open_url(message)).path in caught.html and "/c/" in caught.html
    assert [c for _, c, _ in caught.attachments] == ["application/pdf"]
    requested: list[str] = []
    # Responses, not requests: Chromium announces a request the policy then refuses.
    page.context.on("response", lambda r: requested.append(r.url))
    admin = make_user("admin")
    browser_login(page, admin.email)

    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/admin/mailbox")
        page.get_by_role("link", name="Invoice 7").first.click()
        frame = page.frame_locator("iframe.mail-html")
        frame.locator("body").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"dev-mailbox-{width}")
        # Styled as sent: the email's own markup renders (its links among it).
        links = frame.locator("a")
        assert links.count() >= 1
        links.first.click()  # goes nowhere
        page.wait_for_timeout(300)

    tracking_prefix = urlsplit(open_url(message)).path.split("/o/")[0]
    tracking = [u for u in requested if urlsplit(u).path.startswith(tracking_prefix + "/")]
    assert tracking == [], tracking
    images = page.frame_locator("iframe.mail-html").locator("img")
    for i in range(images.count()):  # the tracking image was blocked, not loaded
        assert images.nth(i).evaluate("img => img.naturalWidth") == 0
    db.session.expire_all()
    message = db.session.get(EmailMessage, message.id)
    assert (message.status, message.human_opens, message.automated_opens, message.clicks) \
        == ("sent", 0, 0, 0)
    assert not message.events or all(e.type == "sent" for e in message.events)

    pdf_link = page.locator("a[href*='/attachments/']").first
    href = pdf_link.get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200, response.text()[:3000]
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    assert response.body()[:5] == b"%PDF-"
    # What the console reports is the tracking image refused by the preview's policy.
    assert page.console_errors and all(
        "/o/" in e and 'violates the following Content Security Policy directive: "img-src' in e
        for e in page.console_errors), page.console_errors
