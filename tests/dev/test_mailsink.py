from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

from app.dev.mailsink import start_sink


def _send(port: int, html: str | None = None) -> None:
    msg = EmailMessage()
    msg["From"] = "billing@example.com"
    msg["To"] = "client@example.org"
    msg["Subject"] = "Invoice 42"
    msg.set_content("Plain body")
    if html:
        msg.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(msg, from_addr="bounces+tok@example.com")


def _wait_for(directory: Path, count: int) -> list[Path]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        files = sorted(directory.glob("*.eml"))
        if len(files) >= count:
            return files
        time.sleep(0.05)
    raise AssertionError("sink did not file the message")


def test_sink_catches_messages_as_files(tmp_path):
    sink = start_sink(tmp_path)
    try:
        _send(sink.port)
    finally:
        sink.stop()
    (eml,) = _wait_for(tmp_path, 1)
    raw = eml.read_text()
    assert "X-Sink-Mail-From: bounces+tok@example.com" in raw
    assert "Subject: Invoice 42" in raw


def test_dev_mailbox_page_shows_caught_mail_to_admins_only(app, client, login_as, tmp_path):
    sink_dir = tmp_path / "mailbox"
    sink = start_sink(sink_dir)
    try:
        _send(sink.port, html="<p>Dear client <script>alert(1)</script></p>")
    finally:
        sink.stop()
    _wait_for(sink_dir, 1)
    app.config["MAIL_SINK_DIR"] = str(sink_dir)
    login_as("admin")
    listing = client.get("/admin/mailbox")
    assert listing.status_code == 200 and "Invoice 42" in listing.text
    name = next(sink_dir.glob("*.eml")).name
    message = client.get(f"/admin/mailbox/{name}")
    assert message.status_code == 200
    assert "sandbox" in message.text and "<script>alert" not in message.text
    assert client.get("/admin/mailbox/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_dev_mailbox_is_gone_without_the_sink(app, client, login_as):
    app.config["MAIL_SINK_DIR"] = None
    login_as("admin")
    assert client.get("/admin/mailbox").status_code == 404


def test_the_preview_links_go_nowhere_and_its_policy_fetches_nothing(app, client, login_as,
                                                                    tmp_path):
    from app.dev.mailbox import preview_html

    html = ('<meta http-equiv="Refresh" content="0; url=https://t.example/c/x">'
            '<p><a class="b" href="https://t.example/c/abc">Pay</a> '
            "<A HREF='https://t.example/c/def'>x</A> <area href=https://t.example/c/g></p>"
            '<img src="https://t.example/o/abc.gif">')
    shown = preview_html(html)
    assert "Refresh" not in shown and " href=\"https://" not in shown
    assert shown.count('href="#"') == 3 and 'data-href="https://t.example/c/abc"' in shown
    sink_dir = tmp_path / "mailbox"
    sink = start_sink(sink_dir)
    try:
        _send(sink.port, html=html)
    finally:
        sink.stop()
    (eml,) = _wait_for(sink_dir, 1)
    app.config["MAIL_SINK_DIR"] = str(sink_dir)
    login_as("admin")
    page = client.get(f"/admin/mailbox/{eml.name}")
    assert f'src="/admin/mailbox/{eml.name}/html"' in page.text and " sandbox " in page.text
    body = client.get(f"/admin/mailbox/{eml.name}/html")
    csp = body.headers["Content-Security-Policy"]
    assert "img-src data:" in csp and "default-src 'none'" in csp and "sandbox" in csp
    assert body.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert " href=\"https://" not in body.text and "data-href" in body.text
    assert client.get(f"/admin/mailbox/{eml.name}/attachments/1").status_code == 404
