"""When a delivery report says its failure happened (dsn.report_time)."""
from __future__ import annotations

from datetime import datetime, timezone

from app.events.bounces import classify
from app.events.dsn import report_time

PER_MESSAGE = "Reporting-MTA: dns; mx.example.org\nArrival-Date: Thu, 3 Dec 2026 08:00:00 +0100\n"
BLOCK = "Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\n"
DATE = "Sat, 5 Dec 2026 09:30:00 +0100"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_the_latest_last_attempt_date_of_its_recipients_comes_first():
    text = (PER_MESSAGE + "\n" + BLOCK + "Last-Attempt-Date: Fri, 4 Dec 2026 10:00:00 +0000\n"
            "\nFinal-Recipient: rfc822; b@example.org\nAction: failed\nStatus: 5.1.1\n"
            "Last-Attempt-Date: Fri, 4 Dec 2026 12:00:05 +0200\n")
    assert report_time([text], DATE) == utc(2026, 12, 4, 10, 0, 5)


def test_without_an_attempt_date_the_reports_date_then_its_arrival_date():
    text = PER_MESSAGE + "\n" + BLOCK
    assert report_time([text], DATE) == utc(2026, 12, 5, 8, 30)
    assert report_time([text], None) == utc(2026, 12, 3, 7, 0)
    assert report_time([text], "not a date") == utc(2026, 12, 3, 7, 0)
    assert report_time([BLOCK], "31 Foo 2026 99:99") is None


def test_classify_carries_the_reports_time():
    raw = (f"From: MAILER-DAEMON@mx.example.org\nTo: bounces@example.com\nDate: {DATE}\n"
           "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
           "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
           "--B\nContent-Type: text/plain\n\nNot delivered.\n\n"
           "--B\nContent-Type: message/delivery-status\n\n" + PER_MESSAGE + "\n" + BLOCK
           + "Last-Attempt-Date: Fri, 4 Dec 2026 10:00:00 +0000\n\n--B--\n").encode()
    result = classify(raw)
    assert result.kind == "dsn" and result.recipients
    assert result.reported_at == utc(2026, 12, 4, 10)
