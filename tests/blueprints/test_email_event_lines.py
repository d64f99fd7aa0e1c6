"""Every screen that lists an email's events shows the plain line, the machine opens apart,
and codes, server answers, IPs and user agents only inside a "Details" disclosure."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.events.automation import APPLE_MPP
from app.extensions import db
from app.mail import outbox
from app.mail.recorder import NewEvent, store_events
from app.models import EmailMessage
from app.models.base import utcnow
from tests.factories import make_customer, make_invoice

HX = {"HX-Request": "true"}
MAC_MAIL = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML)"
# What must never be in a line itself, only under Details.
HIDDEN = ("2.0.0 Ok: queued as 7F3A2B", "203.0.113.77", MAC_MAIL, "17.58.63.10",
          "550 5.1.1 mailbox unavailable: no such user", "5.1.1")
LINES = ("Handed to your mail server", "Opened", "Viewed the invoice online",
         "Rejected — the address does not exist",
         "Fetched by Apple Mail Privacy Protection (may not mean read)")


@pytest.fixture
def message(app) -> EmailMessage:
    invoice = make_invoice(make_customer(emails=("ann@example.org",)))
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("ann@example.org")],
                                     subject="Invoice", body="Hi", invoice=invoice)
    message.state, message.sent_at = "sent", utcnow() - timedelta(hours=3)
    db.session.flush()
    start = message.sent_at

    def at(minutes):
        return start + timedelta(minutes=minutes)

    store_events([
        NewEvent(message_id=message.id, type="sent", occurred_at=at(0), source="smtp",
                 dedupe_key="v-sent", code="250", diagnostic="2.0.0 Ok: queued as 7F3A2B"),
        NewEvent(message_id=message.id, type="opened", occurred_at=at(1), source="pixel",
                 dedupe_key="v-mpp", automated=True, user_agent="Mozilla/5.0",
                 ip="17.58.63.10", details={"automation_rule": APPLE_MPP}),
        NewEvent(message_id=message.id, type="opened", occurred_at=at(30), source="pixel",
                 dedupe_key="v-open", user_agent=MAC_MAIL, ip="203.0.113.77"),
        NewEvent(message_id=message.id, type="viewed", occurred_at=at(31),
                 source="client-view", dedupe_key="v-view", user_agent=MAC_MAIL,
                 ip="203.0.113.77"),
        NewEvent(message_id=message.id, type="rejected", occurred_at=at(60), source="dsn",
                 dedupe_key="v-bounce", code="5.1.1", reason="userunknown",
                 diagnostic="550 5.1.1 mailbox unavailable: no such user"),
    ])
    db.session.commit()
    return message


def _details(html: str) -> str:
    return "".join(re.findall(r"<details\b.*?</details>", html, flags=re.S))


def _outside_details(html: str) -> str:
    return re.sub(r"<details\b.*?</details>", "", html, flags=re.S)


def _assert_plain(html: str) -> None:
    shown = _outside_details(html)
    for line in LINES:
        assert line in shown
    for secret in HIDDEN:
        assert secret not in shown, secret
        assert secret in _details(html), secret
    assert "<summary>Details</summary>" in html
    for old in ("via smtp", "via pixel", " 250 ", "accepted by the receiving server"):
        assert old not in shown


def _machine_part(html: str, message_id: int) -> str:
    start = html.index(f'data-testid="machine-events-{message_id}"')
    return html[start:html.index("</ul>", start)]


def test_the_popup_shows_plain_lines_and_hides_codes_behind_details(client, login_as,
                                                                    message):
    login_as("viewer")
    popup = client.get(f"/invoices/{message.invoice_id}/emails/history", headers=HX)
    assert popup.status_code == 200
    _assert_plain(popup.text)
    # The proxy's fetch is listed apart, and the counts agree with Opened.
    assert "Fetched by Apple Mail Privacy Protection" in _machine_part(popup.text,
                                                                       message.id)
    assert "Opened" not in _outside_details(_machine_part(popup.text, message.id))
    assert "2 opens by a person · 1 machine open, not counted" in popup.text


def test_the_invoice_page_shows_the_same_lines(client, login_as, message):
    login_as("viewer")
    page = client.get(f"/invoices/{message.invoice_id}")
    assert page.status_code == 200
    _assert_plain(page.text)


def test_the_reports_history_shows_the_same_lines(client, login_as, message):
    login_as("admin")
    page = client.get(f"/reports/accounting/emails/{message.id}/history", headers=HX)
    assert page.status_code == 200
    _assert_plain(page.text)
    assert "2 opens by a person · 1 machine open, not counted" in page.text


def test_the_customer_timeline_shows_the_same_lines(client, login_as, message):
    login_as("admin")
    timeline = client.get(f"/customers/{message.customer_id}/timeline", headers=HX)
    assert timeline.status_code == 200
    _assert_plain(timeline.text)
    assert "not a person · not counted as an open" in timeline.text
    assert "Email accepted by the receiving server" not in timeline.text
