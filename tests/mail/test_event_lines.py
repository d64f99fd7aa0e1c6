"""Every stored event reads as one plain line; codes, answers, addresses and user agents
only under Details."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.events.automation import APPLE_MPP, BARE_CLICK, PROVIDER_FLAG
from app.extensions import db
from app.mail import outbox
from app.mail.event_lines import counts_text, event_line, split_machine
from app.mail.smtp import Outcome
from app.models import EmailEvent, EmailMessage
from tests.factories import make_customer, make_invoice

AT = datetime(2026, 12, 5, 13, 50, tzinfo=timezone.utc)
BEFORE = AT - timedelta(hours=1)


def _event(type_: str, source: str, **values) -> EmailEvent:
    fields = {"occurred_at": AT, "automated": False, "delivered": False, "code": "",
              "diagnostic": "", "user_agent": "", "ip": "", "url": "", "details": {},
              "reason": "", "failure_class": ""}
    return EmailEvent(type=type_, source=source, **{**fields, **values})


WORDING = [
    # Our relay took it: never "accepted by the receiving server".
    (_event("sent", "smtp", code="250", diagnostic="2.0.0 Ok: queued as 4F1"),
     "Handed to your mail server"),
    (_event("sent", "webhook:mailgun"), "Handed to your mail server"),
    (_event("sent", "dsn", delivered=True, code="2.0.0"), "Delivered"),
    (_event("sent", "webhook:sendgrid", delivered=True, diagnostic="250 OK"), "Delivered"),
    (_event("sent", "retry window", diagnostic="No failure report in the 5 days"),
     "Sent — no failure was reported in the 5 days after the delay"),
    (_event("opened", "pixel", user_agent="Microsoft Outlook 16.0", ip="203.0.113.7"),
     "Opened"),
    (_event("viewed", "client-view", user_agent="Mozilla/5.0 (X11) Firefox/128.0"),
     "Viewed the invoice online"),
    (_event("clicked", "click", url="https://example.com/pay"), "Clicked a link"),
    (_event("rejected", "dsn", code="5.1.1", reason="userunknown", failure_class="address",
            diagnostic="550 5.1.1 <x@example.org>: Recipient address rejected"),
     "Rejected — the address does not exist"),
    (_event("rejected", "webhook:sendgrid", code="5.2.2", reason="mailboxfull",
            failure_class="mailbox"), "Rejected — the mailbox is full"),
    (_event("rejected", "smtp", code="451", reason="expired", failure_class="other",
            details={"attempt": 5, "gave_up": True, "tries": 5, "over_seconds": 7300}),
     "Gave up after 5 tries over 2 hours — the email was not delivered"),
    (_event("delayed", "dsn", code="4.2.2", reason="mailboxfull", failure_class="mailbox"),
     "Delayed — the receiving server is retrying"),
    (_event("delayed", "webhook:sendgrid", diagnostic="400 try again later"),
     "Delayed — the receiving server is retrying"),
    (_event("delayed", "smtp", code="451", details={
        "attempt": 1, "retry_at": (AT + timedelta(minutes=15)).isoformat()}),
     "Delayed — we will try again at 14:05"),
    (_event("delayed", "smtp", code="451", details={
        "attempt": 3, "retry_at": (AT + timedelta(hours=12)).isoformat()}),
     "Delayed — we will try again at 6 Dec 2026, 01:50"),
    (_event("delayed", "smtp", code="451", details={"attempt": 1}),
     "Delayed — we will try again later"),
    (_event("spam", "arf"), "Marked as spam by the recipient"),
    (_event("opened", "pixel", automated=True, user_agent="Mozilla/5.0", ip="17.58.0.1",
            details={"automation_rule": APPLE_MPP}),
     "Fetched by Apple Mail Privacy Protection (may not mean read)"),
    (_event("opened", "webhook:sendgrid", automated=True, details={
        "automation_rule": PROVIDER_FLAG, "provider_flag": "SendGrid sg_machine_open: true"}),
     "Fetched automatically, not by a person (may not mean read)"),
    (_event("clicked", "click", automated=True, user_agent="Mozilla/5.0",
            details={"automation_rule": BARE_CLICK}), "Checked by a link scanner"),
    (_event("clicked", "click", automated=True, user_agent="Proofpoint URL Defense",
            details={"automation_rule": "Security link scanner"}), "Checked by a link scanner"),
]


@pytest.mark.parametrize("event, text", WORDING, ids=[t for _, t in WORDING])
def test_each_event_reads_as_a_plain_line(app, event, text):
    line = event_line(event, now=AT)
    assert line.text == text
    # Codes, answers, addresses, user agents and links never in the line, all in Details.
    shown = dict(line.details)
    for value in (event.code, event.diagnostic, event.user_agent, event.ip, event.url):
        if value:
            assert value not in line.text
            assert value in shown.values()


def test_our_own_retry_once_past_says_we_tried_again(app):
    event = _event("delayed", "smtp", details={"retry_at": (AT + timedelta(minutes=15))
                                                .isoformat()})
    assert event_line(event, now=AT + timedelta(hours=1)).text == \
        "Delayed — we tried again at 14:05"


def test_our_retry_time_is_on_the_office_clock(app):
    from app import settings

    settings.update({"office.time_zone": "Europe/Berlin"})
    soon = _event("delayed", "smtp", details={"retry_at": (AT + timedelta(minutes=15))
                                               .isoformat()})
    assert event_line(soon, now=AT).text == "Delayed — we will try again at 15:05"
    # 13:50 UTC is 14:50 in Berlin; 23:30 UTC is 00:30 there, the next day.
    tonight = _event("delayed", "smtp", details={"retry_at": datetime(
        2026, 12, 5, 23, 30, tzinfo=timezone.utc).isoformat()})
    assert event_line(tonight, now=AT).text == \
        "Delayed — we will try again at 6 Dec 2026, 00:30"


def test_a_remote_delay_gives_its_reason_apart_and_an_unknown_one_not_at_all():
    full = event_line(_event("delayed", "dsn", reason="mailboxfull"), now=AT)
    assert full.why == "the mailbox is full"
    assert event_line(_event("delayed", "dsn", reason="undefined"), now=AT).why == ""


def test_machine_lines_are_marked_and_listed_apart():
    person = _event("opened", "pixel")
    proxy = _event("opened", "pixel", automated=True, details={"automation_rule": APPLE_MPP})
    scanner = _event("clicked", "click", automated=True)
    handed = _event("sent", "smtp")
    assert [event_line(e).machine for e in (person, proxy, scanner, handed)] == \
        [False, True, True, False]
    assert split_machine([handed, proxy, person, scanner]) == ([handed, person],
                                                                [proxy, scanner])


def test_details_say_who_reported_it_and_why_a_machine():
    event = _event("opened", "webhook:mailgun", automated=True, details={
        "automation_rule": APPLE_MPP, "provider_flag": "Mailgun client-info.bot: apple"})
    details = dict(event_line(event).details)
    assert details["Reported by"] == "Mailgun (the mail service's report)"
    assert details["Why we think a machine did it"] == APPLE_MPP
    assert details["The mail service's flag"] == "Mailgun client-info.bot: apple"


@pytest.mark.parametrize("opens, clicks, machines, text", [
    (0, 0, 0, ""),
    (1, 0, 0, "1 open by a person"),
    (2, 1, 0, "2 opens by a person, 1 click"),
    (1, 0, 3, "1 open by a person · 3 machine opens, not counted"),
    (0, 0, 1, "No opens by a person yet · 1 machine open, not counted"),
])
def test_counts_read_plainly(opens, clicks, machines, text):
    message = EmailMessage(human_opens=opens, clicks=clicks, automated_opens=machines)
    assert counts_text(message) == text


def test_a_4xx_from_our_relay_stores_when_we_try_again(app):
    invoice = make_invoice(make_customer())
    (message,) = outbox.add_messages(recipients=[outbox.Recipient("slow@example.org")],
                                     subject="Invoice", body="Hi", invoice=invoice,
                                     attach_pdf=False)
    db.session.commit()
    outbox.claim_many([message.id])
    db.session.refresh(message)
    outbox.record_outcomes([(message, Outcome("delayed", 451, "4.3.0 Try again later",
                                              at=BEFORE))])
    db.session.expire_all()
    stored = db.session.get(EmailMessage, message.id)
    (event,) = stored.events
    assert stored.next_attempt_at is not None
    assert datetime.fromisoformat(event.details["retry_at"]) == stored.next_attempt_at
    when = stored.next_attempt_at.astimezone(timezone.utc).strftime("%H:%M")  # office: UTC
    assert event_line(event, now=BEFORE).text == f"Delayed — we will try again at {when}"
    assert "4.3.0 Try again later" in dict(event_line(event).details).values()
