"""Bounce mail end to end: stored first, parsed, matched, applied to the customer file."""
from __future__ import annotations

import re
import smtplib
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.mail import inbound, outbox
from app.models import Customer, CustomerEmail, EmailMessage, InboundMessage
from app.models.base import utcnow
from tests.support.bounce_mail import dsn, sent_email

SAMPLES = Path(__file__).parent.parent / "events" / "samples"




def _dsn(message, action="failed", status="5.1.1") -> bytes:
    return dsn(message, status, f"550 {status} <{message.to_address}>: user unknown", action)


def test_hard_bounce_by_verp_rejects_and_flags_the_customer(app):
    customer, message = sent_email("gone@example.org")
    inbound_id = inbound.store(_dsn(message), via="pipe")
    assert inbound.process(inbound_id) == "processed"
    db.session.expire_all()
    message = db.session.get(EmailMessage, message.id)
    assert message.status == "rejected"
    event = message.events[-1]
    assert (event.type, event.source, event.code) == ("rejected", "dsn", "5.1.1")
    assert "user unknown" in event.diagnostic
    assert db.session.scalars(db.select(CustomerEmail)).one().state == "invalid"
    assert db.session.get(Customer, customer.id).needs_review


def test_processing_twice_stores_once(app):
    _, message = sent_email("twice@example.org")
    raw = _dsn(message)
    first, second = inbound.store(raw, via="pipe"), inbound.store(raw, via="pipe")
    inbound.process(first)
    inbound.process(first)
    inbound.process(second)
    db.session.expire_all()
    assert len(db.session.get(EmailMessage, message.id).events) == 1


def test_the_same_report_relayed_once_more_is_one_event(app):
    _, message = sent_email("relayed@example.org")
    raw = _dsn(message)
    relayed = (b"Received: from relay2.example.net (relay2.example.net [192.0.2.7])\r\n"
               b"\tby mx.clientele.example with ESMTPS id 4F2B1; Sat, 5 Dec 2026 03:10:00 +0000\r\n"
               b"Return-Path: <>\r\nDelivered-To: bounces@clientele.example\r\n" + raw)
    for copy in (raw, relayed, relayed.replace(b"\r\n", b"\n")):
        assert inbound.process(inbound.store(copy, via="pipe")) == "processed"
    db.session.expire_all()
    assert [e.type for e in db.session.get(EmailMessage, message.id).events] == ["rejected"]
    digests = set(db.session.scalars(db.select(InboundMessage.sha256)))
    assert digests == {inbound.report_digest(raw)}
    # A report that says something else is another event, trace fields or not.
    other = _dsn(message, "delayed", "4.4.1")
    assert inbound.report_digest(other) != inbound.report_digest(raw)
    assert inbound.report_digest(raw.replace(b"user unknown", b"mailbox unknown")) \
        != inbound.report_digest(raw)
    assert inbound.report_digest(raw.replace(b"Subject: Undelivered", b"Subject: Returned")) \
        != inbound.report_digest(raw)
    inbound.process(inbound.store(other, via="pipe"))
    db.session.expire_all()
    assert [e.type for e in db.session.get(EmailMessage, message.id).events] \
        == ["rejected", "delayed"]


def test_a_bounce_stored_before_its_smtp_outcome_keeps_the_order_things_happened(app):
    from datetime import timedelta
    from email.utils import format_datetime

    from app.mail.smtp import Outcome

    _, message = sent_email("early@example.org")
    message.state = message.status = "queued"
    db.session.commit()
    now = utcnow().replace(microsecond=0)
    assert outbox.claim_many([message.id], at=now - timedelta(seconds=60)) == [message.id]
    # The relay said 250 at -59 s; the remote refused at -50 s and its report was stored
    # while this worker was still sending the rest of its group.
    failed_at = now - timedelta(seconds=50)
    raw = _dsn(message).replace(
        b"Action: failed", b"Last-Attempt-Date: " + format_datetime(failed_at).encode()
        + b"\r\nAction: failed")
    assert inbound.process(inbound.store(raw, via="pipe")) == "processed"
    db.session.expire_all()
    message = db.session.get(EmailMessage, message.id)
    outbox.record_outcomes([(message, Outcome("sent", 250, "2.0.0 Ok: queued",
                                              at=now - timedelta(seconds=59)))])
    db.session.expire_all()
    message = db.session.get(EmailMessage, message.id)
    assert [(e.type, e.source) for e in message.events] == [("sent", "smtp"),
                                                            ("rejected", "dsn")]
    assert message.events[1].occurred_at.replace(tzinfo=None) == failed_at.replace(tzinfo=None)
    assert message.status == "rejected"


def test_a_report_dated_in_the_future_or_before_we_sent_is_kept_between(app):
    from datetime import timedelta
    from email.utils import format_datetime

    for shift, expect in ((timedelta(days=3), "received"), (-timedelta(days=3), "attempt")):
        _, message = sent_email(f"skew{shift.days}@example.org")
        message.last_attempt_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        raw = _dsn(message).replace(
            b"Action: failed", b"Last-Attempt-Date: "
            + format_datetime(utcnow() + shift).encode() + b"\r\nAction: failed")
        inbound_id = inbound.store(raw, via="pipe")
        inbound.process(inbound_id)
        db.session.expire_all()
        message = db.session.get(EmailMessage, message.id)
        bound = (db.session.get(InboundMessage, inbound_id).received_at if expect == "received"
                 else message.last_attempt_at)
        assert message.events[-1].occurred_at.replace(tzinfo=None) \
            == bound.replace(tzinfo=None)


def test_delayed_dsn_then_delivery_is_delayed_until_opened(app):
    _, message = sent_email("slow@example.org")
    inbound.process(inbound.store(_dsn(message, "delayed", "4.4.1"), via="pipe"))
    db.session.expire_all()
    message = db.session.get(EmailMessage, message.id)
    assert message.status == "delayed"
    # Mailbox-level soft failures never mark the address invalid.
    assert db.session.scalars(db.select(CustomerEmail)).one().state == "ok"


def test_auto_reply_is_ignored_and_garbage_goes_to_review(app):
    reply = (SAMPLES / "autoreply_english_ooo.eml").read_bytes() \
        if (SAMPLES / "autoreply_english_ooo.eml").exists() \
        else next(SAMPLES.glob("autoreply_*.eml")).read_bytes()
    assert inbound.process(inbound.store(reply, via="pipe")) == "ignored"
    garbage = inbound.store(b"\x00\xff not a mail at all", via="pipe")
    assert inbound.process(garbage) == "unparsed"
    assert db.session.get(InboundMessage, garbage).raw == b"\x00\xff not a mail at all"


def test_match_by_message_id_when_verp_is_lost(app):
    _, message = sent_email("mid@example.org")
    raw = _dsn(message).replace(f"bounces+{message.verp_token}".encode(), b"billing")
    inbound.process(inbound.store(raw, via="pipe"))
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "rejected"


def test_unmatched_bounce_lands_in_review(app):
    _, message = sent_email("known@example.org")
    raw = _dsn(message).replace(f"bounces+{message.verp_token}".encode(), b"billing") \
        .replace(message.message_id.encode(), b"someone-else@example.net") \
        .replace(b"known@example.org", b"stranger@example.net")
    assert inbound.process(inbound.store(raw, via="pipe")) == "unmatched"


def test_smtp_receiver_stores_bounces_for_our_domain_only(app):
    from app.dev.net import free_port
    from app.mail.receiver import start_receiver

    _, message = sent_email("rcv@example.org")
    port = free_port()
    controller = start_receiver(app, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            try:
                smtp.sendmail("", ["someone@other.example"], b"Subject: x\r\n\r\nx")
                refused = False
            except smtplib.SMTPRecipientsRefused:
                refused = True
            smtp.sendmail("", [f"bounces+{message.verp_token}@bounces.clientele.localhost"],
                          _dsn(message))
    finally:
        controller.stop()
    assert refused
    deadline = time.monotonic() + 5
    while not db.session.scalar(db.select(db.func.count(InboundMessage.id))):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stored = db.session.scalars(db.select(InboundMessage)).one()
    assert stored.via == "smtp" and stored.envelope_to.startswith("bounces+")
    assert inbound.process(stored.id) == "processed"


def test_smtp_receiver_answers_451_when_storing_fails(app, monkeypatch, caplog):
    from sqlalchemy.exc import OperationalError

    from app.dev.net import free_port
    from app.mail.receiver import start_receiver

    _, message = sent_email("rcv451@example.org")

    def failing_store(raw, **kwargs):
        raise OperationalError("INSERT INTO inbound_messages", {}, Exception("db is gone"))

    monkeypatch.setattr(inbound, "store", failing_store)
    port = free_port()
    controller = start_receiver(app, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                smtp.sendmail("", [f"bounces+{message.verp_token}@bounces.clientele.localhost"],
                              _dsn(message))
    finally:
        controller.stop()
    assert refused.value.smtp_code == 451  # temporary: the sender keeps the bounce and retries
    assert b"db is gone" not in refused.value.smtp_error
    assert b"OperationalError" not in refused.value.smtp_error
    assert "could not store a bounce" in caplog.text
    assert db.session.scalar(db.select(db.func.count(InboundMessage.id))) == 0


def test_inbound_mail_over_the_cap_is_refused_by_smtp_and_the_pipe_and_cut_by_imap(
        app, monkeypatch):
    from app.dev.net import free_port
    from app.mail import receiver

    monkeypatch.setattr(inbound, "MAX_MESSAGE_BYTES", 20_000)
    _, message = sent_email("big@example.org")
    big = _dsn(message) + b"\r\n" + b"x" * 30_000 + b"\r\n"
    port = free_port()
    controller = receiver.start_receiver(app, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            with pytest.raises(smtplib.SMTPException) as refused:
                smtp.sendmail("", [f"bounces+{message.verp_token}@bounces.clientele.localhost"],
                              big)
    finally:
        controller.stop()
    assert "552" in str(refused.value)
    piped = app.test_cli_runner().invoke(args=["bounces", "ingest"], input=big)
    assert piped.exit_code != 0 and "refused" in piped.output
    assert db.session.scalar(db.select(db.func.count(InboundMessage.id))) == 0
    monkeypatch.setattr(receiver.imaplib, "IMAP4_SSL", _FakeImap([big]))
    assert receiver.poll_imap(_imap_config(app)) == 1
    stored = db.session.scalars(db.select(InboundMessage)).one()
    assert stored.raw == big[:20_000]
    assert inbound.process(stored.id) == "processed"  # the head holds the report


def test_cli_ingest_and_classify(app, tmp_path):
    _, message = sent_email("cli@example.org")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bounces", "ingest"], input=_dsn(message))
    assert result.exit_code == 0 and "stored inbound message" in result.output
    path = tmp_path / "b.eml"
    path.write_bytes(_dsn(message))
    out = runner.invoke(args=["events", "classify", str(path)])
    import json

    line = json.loads(out.output.strip())
    assert line == {"file": str(path), "kind": "dsn", "recipients": [{
        "address": "cli@example.org", "status": "rejected", "code": "5.1.1",
        "diagnostic": line["recipients"][0]["diagnostic"],
        "reason": "userunknown", "class": "address"}], "has_original": True}
    empty = runner.invoke(args=["bounces", "ingest"], input=b"")
    assert empty.exit_code != 0 and "no message" in empty.output


class _FakeImap:
    """A stand-in for the provider's IMAP server (outside this machine) that keeps flags.

    It follows RFC 3501: FETCH of BODY[] or RFC822 sets \\Seen, BODY.PEEK[] does not.
    """

    def __init__(self, messages: list[bytes]):
        self.messages = {str(n).encode(): raw for n, raw in enumerate(messages, 1)}
        self.seen: set[bytes] = set()
        self.commands: list[tuple] = []

    def __call__(self, host, port, timeout=None):
        return self

    def login(self, user, password):
        self.commands.append(("login", user))

    def select(self, folder):
        self.commands.append(("select", folder))
        return "OK", [str(len(self.messages)).encode()]

    def search(self, charset, criterion):
        self.commands.append(("search", criterion))
        assert criterion == "UNSEEN"
        return "OK", [b" ".join(n for n in self.messages if n not in self.seen)]

    def fetch(self, number, parts):
        self.commands.append(("fetch", number, parts))
        if "PEEK" not in parts:
            self.seen.add(number)
        raw = self.messages[number]
        if partial := re.search(r"<(\d+)\.(\d+)>", parts):  # RFC 3501 6.4.5: <start.count>
            start, count = int(partial[1]), int(partial[2])
            raw = raw[start:start + count]
        return "OK", [(number + b" (BODY[] {%d}" % len(raw), raw), b")"]

    def store(self, number, command, flags):
        self.commands.append(("store", number, command, flags))
        assert (command, flags) == ("+FLAGS", "\\Seen")
        self.seen.add(number)
        return "OK", [number + b" (FLAGS (\\Seen))"]

    def logout(self):
        self.commands.append(("logout",))


def _imap_config(app) -> dict:
    return {**app.config, "BOUNCE_IMAP_HOST": "imap.example.net", "BOUNCE_IMAP_PORT": 993,
            "BOUNCE_IMAP_USERNAME": "bounces", "BOUNCE_IMAP_PASSWORD": "secret"}


def test_imap_bounce_whose_store_fails_is_fetched_again(app, monkeypatch):
    from app.mail import receiver

    _, message = sent_email("imap@example.org")
    server = _FakeImap([_dsn(message)])
    monkeypatch.setattr(receiver.imaplib, "IMAP4_SSL", server)
    real_store = inbound.store

    def failing_store(raw, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(inbound, "store", failing_store)
    with pytest.raises(RuntimeError):
        receiver.poll_imap(_imap_config(app))
    assert server.seen == set()  # not marked seen: the next poll fetches it again
    assert ("logout",) in server.commands

    monkeypatch.setattr(inbound, "store", real_store)
    assert receiver.poll_imap(_imap_config(app)) == 1
    assert server.seen == {b"1"}
    fetches = [c for c in server.commands if c[0] == "fetch"]
    # A partial fetch: never more than the inbound cap, whatever the message's size.
    assert fetches and all(c[2] == f"(BODY.PEEK[]<0.{inbound.MAX_MESSAGE_BYTES}>)"
                           for c in fetches)
    stored = db.session.scalars(db.select(InboundMessage)).one()
    assert stored.via == "imap" and stored.raw == _dsn(message)
    assert receiver.poll_imap(_imap_config(app)) == 0  # seen now: not stored twice


def test_imap_marks_seen_only_after_the_store_committed(app, monkeypatch):
    from app.mail import receiver

    _, message = sent_email("imap2@example.org")
    server = _FakeImap([_dsn(message)])
    monkeypatch.setattr(receiver.imaplib, "IMAP4_SSL", server)
    real_store = inbound.store
    order = []

    def recording_store(raw, **kwargs):
        inbound_id = real_store(raw, **kwargs)
        order.append(("committed", inbound_id, server.seen.copy()))
        return inbound_id

    monkeypatch.setattr(inbound, "store", recording_store)
    assert receiver.poll_imap(_imap_config(app)) == 1
    (committed,) = order
    assert committed[2] == set()  # still unseen when the row was committed
    assert server.seen == {b"1"}
    assert server.commands[-2] == ("store", b"1", "+FLAGS", "\\Seen")


def _feedback_report(message, feedback_type: str, *, recipient: bool = True) -> bytes:
    rcpt = f"Original-Rcpt-To: {message.to_address}\n" if recipient else ""
    to = f"To: {message.to_address}\n" if recipient else ""
    return f"""From: feedback@isp.example
To: abuse@office.example
Subject: Feedback report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

A report about a message from your domain.

--F
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: ExampleFBL/1.0
Version: 1
{rcpt}
--F
Content-Type: text/rfc822-headers

From: billing@office.example
{to}Subject: Invoice
Message-ID: <{message.message_id}>

--F--
""".replace("\n", "\r\n").encode()


def test_a_complaint_marks_spam_and_suppresses_the_address(app):
    customer, message = sent_email("annoyed@example.org")
    assert inbound.process(inbound.store(_feedback_report(message, "abuse"), via="pipe")) \
        == "processed"
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "spam"
    assert db.session.scalars(db.select(CustomerEmail)).one().suppressed


def test_a_complaint_with_the_recipient_redacted_is_matched_by_message_id(app):
    _, message = sent_email("redacted@example.org")
    raw = _feedback_report(message, "abuse", recipient=False)
    assert inbound.process(inbound.store(raw, via="pipe")) == "processed"
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "spam"
    assert db.session.scalars(db.select(CustomerEmail)).one().suppressed


@pytest.mark.parametrize("feedback_type", ["auth-failure", "not-spam", "virus"])
def test_a_feedback_report_that_is_no_complaint_changes_nothing(app, feedback_type):
    _, message = sent_email(f"{feedback_type}@example.org")
    inbound_id = inbound.store(_feedback_report(message, feedback_type), via="pipe")
    assert inbound.process(inbound_id) == "ignored"
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "sent"
    assert not db.session.scalars(db.select(CustomerEmail)).one().suppressed
    assert "not a complaint" in db.session.get(InboundMessage, inbound_id).summary


def _ses_complaint_mail(message, feedback_type: str) -> bytes:
    raw = (SAMPLES / "ses_complaint.eml").read_bytes()
    # SES echoes the Message-ID we sent with: what ties the notification to our email.
    return (raw.replace(b"sescmp", message.verp_token.encode())
            .replace(b"invoice-ses-3@office.example", message.message_id.encode())
            .replace(b"angry@client-ses.example", message.to_address.encode())
            .replace(b'"complaintFeedbackType":"abuse"',
                     f'"complaintFeedbackType":"{feedback_type}"'.encode()))


def test_an_ses_complaint_by_mail_marks_spam_unless_its_report_is_no_complaint(app):
    _, complained = sent_email("angry@example.org")
    assert inbound.process(inbound.store(_ses_complaint_mail(complained, "abuse"),
                                         via="pipe")) == "processed"
    db.session.expire_all()
    assert db.session.get(EmailMessage, complained.id).status == "spam"
    _, fine = sent_email("fine@example.org")
    assert inbound.process(inbound.store(_ses_complaint_mail(fine, "not-spam"),
                                         via="pipe")) == "ignored"
    db.session.expire_all()
    assert db.session.get(EmailMessage, fine.id).status == "sent"
    assert not db.session.scalar(db.select(CustomerEmail).where(
        CustomerEmail.address == "fine@example.org")).suppressed


def test_an_unsubscribe_request_changes_nothing(app):
    _, message = sent_email("done.with.invoices@icloud.example")
    raw = (SAMPLES / "apple_mail_unsubscribe.eml").read_bytes()
    inbound_id = inbound.store(raw, via="pipe")
    assert inbound.process(inbound_id) == "ignored"
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "sent"
    assert not db.session.scalars(db.select(CustomerEmail)).one().suppressed
    assert "unsubscribe" in db.session.get(InboundMessage, inbound_id).summary


# -- reports that are not proven to be about our email ----------------------------------
# Anyone can send mail to BOUNCE_DOMAIN. Only the VERP token of the envelope recipient or
# our own Message-ID ties a report to an email we sent; a report naming just an address
# waits for a person (Admin → Bounce review).

def _forged(raw: bytes, message) -> bytes:
    """The same report made by hand elsewhere: no VERP address, not our Message-ID."""
    return (raw.replace(f"bounces+{message.verp_token}".encode(), b"billing")
            .replace(message.message_id.encode(), b"4f1c2a@forger.example"))


def _untouched(message, customer) -> None:
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "sent"
    assert not db.session.get(EmailMessage, message.id).events
    email = db.session.scalars(db.select(CustomerEmail)).one()
    assert (email.state, email.suppressed) == ("ok", False)
    customer = db.session.get(Customer, customer.id)
    assert customer.marketing_consent and not customer.needs_review


def test_a_hand_made_bounce_naming_a_customer_waits_for_confirmation(app):
    customer, message = sent_email("victim@example.org")
    db.session.get(Customer, customer.id).marketing_consent = True
    db.session.commit()
    inbound_id = inbound.store(_forged(_dsn(message), message), via="smtp",
                               envelope_to="anything@bounces.clientele.localhost")
    assert inbound.process(inbound_id) == "unconfirmed"
    _untouched(message, customer)
    stored = db.session.get(InboundMessage, inbound_id)
    assert stored.matched_message_id == message.id  # the email it would be about
    assert "victim@example.org" in stored.summary


def test_a_hand_made_complaint_naming_a_customer_withdraws_nothing(app):
    customer, message = sent_email("liked@example.org")
    db.session.get(Customer, customer.id).marketing_consent = True
    db.session.commit()
    raw = _feedback_report(message, "abuse").replace(message.message_id.encode(),
                                                     b"4f1c2a@forger.example")
    assert inbound.process(inbound.store(raw, via="imap")) == "unconfirmed"
    _untouched(message, customer)


def test_a_verp_address_in_the_headers_is_not_the_envelope(app):
    customer, message = sent_email("headers@example.org")
    db.session.get(Customer, customer.id).marketing_consent = True
    db.session.commit()
    # The body names our VERP address in To:, but the mail was sent to another address.
    raw = _dsn(message).replace(message.message_id.encode(), b"4f1c2a@forger.example")
    assert f"To: bounces+{message.verp_token}@".encode() in raw
    held = inbound.store(raw, via="smtp", envelope_to="bounces+x1y2z3@bounces.clientele.localhost")
    assert inbound.process(held) == "unconfirmed"
    assert inbound.process(inbound.store(raw, via="pipe")) == "unconfirmed"
    _untouched(message, customer)
    # Delivered to the VERP address itself, the same report is proof.
    proven = inbound.store(raw, via="smtp",
                           envelope_to=f"bounces+{message.verp_token}@bounces.clientele.localhost")
    assert inbound.process(proven) == "processed"
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "rejected"


def test_a_message_id_is_proof_only_when_we_sent_it(app):
    customer, message = sent_email("mid-proof@example.org")
    db.session.get(Customer, customer.id).marketing_consent = True
    db.session.commit()
    # Shaped like ours, at our domain, but no email of ours has it.
    stranger_id = "0" * 32 + "@bounces.clientele.localhost"
    raw = _forged(_dsn(message), message).replace(b"4f1c2a@forger.example",
                                                  stranger_id.encode())
    assert inbound.process(inbound.store(raw, via="pipe")) == "unconfirmed"
    _untouched(message, customer)


# -- complaints naming the complainant only in the returned copy, or not at all ----------

def _loop_report(message, *, rcpt: str, returned_to: str, message_id: str | None = None,
                 return_path: str | None = None) -> bytes:
    """A feedback loop's report (RFC 5965) as providers send it to our abuse address."""
    fields = f"Original-Rcpt-To: {rcpt}\n" if rcpt else ""
    sender = f"Return-Path: <{return_path}>\n" if return_path else ""
    return f"""From: fbl@isp.example
To: abuse@office.example
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="L"

--L
Content-Type: text/plain

A subscriber marked the attached message as spam.

--L
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/2.0
Version: 1
{fields}
--L
Content-Type: message/rfc822

{sender}From: billing@office.example
To: {returned_to}
Subject: Invoice
Message-ID: <{message_id or message.message_id}>

Hi
--L--
""".replace("\n", "\r\n").encode()


def _complaint_event(message):
    db.session.expire_all()
    message = db.session.get(EmailMessage, message.id)
    assert message.status == "spam"
    (event,) = message.events
    return event


def test_a_complaint_reads_the_complainant_from_our_email_not_from_the_report(app):
    _, message = sent_email("real.customer@example.org")
    # Forwarded on to another mailbox, which complained: the report names that one.
    raw = _loop_report(message, rcpt="", returned_to="forwarded.box@isp.example")
    inbound_id = inbound.store(raw, via="imap")
    assert inbound.process(inbound_id) == "processed"
    assert _complaint_event(message).details["address"] == "real.customer@example.org"
    assert db.session.scalars(db.select(CustomerEmail)).one().suppressed
    assert "forwarded.box" not in db.session.get(InboundMessage, inbound_id).summary


@pytest.mark.parametrize("redacted", ["redacted@isp.example", "xxxxxxxx@isp.example",
                                      "5d41402abc4b2a76b9719d911017c592@isp.example"])
def test_a_redacted_complaint_is_matched_by_the_returned_verp_when_the_id_was_replaced(
        app, redacted):
    _, message = sent_email("hidden@example.org")
    # A relay rewrote our Message-ID; the returned Return-Path still carries our token.
    raw = _loop_report(message, rcpt=redacted, returned_to=redacted,
                       message_id="0100018e-rewritten@relay.example",
                       return_path=f"bounces+{message.verp_token}@bounces.clientele.localhost")
    assert inbound.process(inbound.store(raw, via="imap")) == "processed"
    assert _complaint_event(message).details["address"] == "hidden@example.org"


def test_a_redacted_complaint_about_no_email_of_ours_changes_nothing(app):
    customer, message = sent_email("nobody.knows@example.org")
    db.session.get(Customer, customer.id).marketing_consent = True
    db.session.commit()
    raw = _loop_report(message, rcpt="redacted@isp.example", returned_to="redacted@isp.example",
                       message_id="4f1c2a@forger.example",
                       return_path="bounces+notatoken0000@bounces.clientele.localhost")
    inbound_id = inbound.store(raw, via="imap")
    assert inbound.process(inbound_id) == "unmatched"
    assert db.session.get(InboundMessage, inbound_id).summary.startswith(
        "complaint with the recipient redacted")
    _untouched(message, customer)


def test_a_returned_verp_is_no_proof_for_a_bounce(app):
    customer, message = sent_email("rp-bounce@example.org")
    db.session.get(Customer, customer.id).marketing_consent = True
    db.session.commit()
    # Only complaints come back to an address that is not the VERP one; a bounce's
    # returned headers carry no more weight than before.
    raw = _forged(_dsn(message), message).replace(
        b"Message-ID:", f"Return-Path: <bounces+{message.verp_token}@x>\r\nMessage-ID:".encode())
    assert inbound.process(inbound.store(raw, via="pipe")) == "unconfirmed"
    _untouched(message, customer)


# -- notices that return no copy of our email --------------------------------------------

def _bare_notice(message, to: str) -> bytes:
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: {to}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied

This is the mail system at host mx.example.org.

<{message.to_address}>: host mx.example.org said: 550 5.1.1 <{message.to_address}>:
    Recipient address rejected: User unknown (in reply to RCPT TO command)
""".replace("\n", "\r\n").encode()


def test_a_notice_without_the_original_waits_for_a_person(app):
    customer, message = sent_email("no-copy@example.org")
    db.session.get(Customer, customer.id).marketing_consent = True
    db.session.commit()
    inbound_id = inbound.store(_bare_notice(message, "billing@office.example"), via="imap")
    assert inbound.process(inbound_id) == "unconfirmed"
    stored = db.session.get(InboundMessage, inbound_id)
    assert stored.has_original is False and stored.matched_message_id == message.id
    assert "no-copy@example.org: rejected (5.1.1)" in stored.summary
    _untouched(message, customer)
    # With the original returned, the same kind of notice is counted apart.
    other = inbound.store(_forged(_dsn(message), message), via="imap")
    assert inbound.process(other) == "unconfirmed"
    assert db.session.get(InboundMessage, other).has_original is True


def test_a_notice_without_the_original_sent_to_our_verp_address_is_applied(app):
    _, message = sent_email("no-copy-verp@example.org")
    verp = f"bounces+{message.verp_token}@bounces.clientele.localhost"
    inbound_id = inbound.store(_bare_notice(message, verp), via="smtp", envelope_to=verp)
    assert inbound.process(inbound_id) == "processed"
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "rejected"
    assert db.session.get(InboundMessage, inbound_id).has_original is False


def _returned_headers_of(message, *, stamp_from=None) -> str:
    """The header block of the email as we built it, as a relay forwarded it: Message-ID
    and Return-Path replaced, the recipient redacted."""
    from email import message_from_bytes

    from app.mail.build import build

    sent = message_from_bytes(build(message))
    stamp = sent["X-Clientele-Message"] if stamp_from is None else stamp_from
    return (f"Return-Path: <0100018e@amazonses.example>\nFrom: {sent['From']}\n"
            f"To: redacted@isp.example\nSubject: {sent['Subject']}\n"
            f"Message-ID: <0100018e-relay@email.amazonses.example>\n"
            f"X-Clientele-Message: {stamp}\n")


def _report_with_headers(headers: str) -> bytes:
    return f"""From: fbl@isp.example
To: abuse@office.example
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="S"

--S
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/2.0
Version: 1

--S
Content-Type: text/rfc822-headers

{headers}
--S--
""".replace("\n", "\r\n").encode()


def test_a_complaint_is_matched_by_our_signed_header_when_a_relay_replaced_the_rest(app):
    _, message = sent_email("stamped@example.org")
    raw = _report_with_headers(_returned_headers_of(message))
    assert message.message_id.encode() not in raw and message.verp_token.encode() not in raw
    assert inbound.process(inbound.store(raw, via="imap")) == "processed"
    assert _complaint_event(message).details["address"] == "stamped@example.org"


def test_a_tampered_or_foreign_header_proves_nothing(app):
    from app.mail.tracking import STAMP, make_token

    customer, message = sent_email("stamp-victim@example.org")
    _, other = sent_email("stamp-other@example.org")
    db.session.get(Customer, customer.id).marketing_consent = True
    db.session.commit()
    genuine = _returned_headers_of(message).split("X-Clientele-Message: ")[1].strip()
    forged = [
        str(message.id),  # the old, unsigned header
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),  # MAC broken
        make_token(STAMP, message.id, other.verp_token),  # signed, but another email's token
    ]
    for stamp in forged:
        raw = _report_with_headers(_returned_headers_of(message, stamp_from=stamp))
        assert inbound.process(inbound.store(raw, via="imap")) == "unmatched", stamp
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "sent"
    assert not db.session.get(EmailMessage, message.id).events
    assert not db.session.scalar(db.select(CustomerEmail).where(
        CustomerEmail.address == "stamp-victim@example.org")).suppressed
