"""Provider webhooks through the real routes: authenticated, mapped, stored once."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from app.events.automation import BARE_CLICK
from app.extensions import db
from app.mail import outbox
from app.models import CustomerEmail, EmailEvent, EmailMessage, InboundMessage
from app.models.base import utcnow
from tests.conftest import csrf_token
from tests.factories import make_customer, make_invoice


@pytest.fixture
def message(app):
    invoice = make_invoice(make_customer(emails=("wh@example.org",)))
    (msg,) = outbox.add_messages(recipients=[outbox.Recipient("wh@example.org")],
                                 subject="Invoice", body="Hi", invoice=invoice,
                                 attach_pdf=False)
    msg.state = msg.status = "sent"
    msg.sent_at = utcnow()
    db.session.commit()
    return msg


@pytest.fixture
def sendgrid_key(app):
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = base64.b64encode(der).decode()
    return key


def _sendgrid_post(client, key, events, *, tamper=False, age=0):
    body = json.dumps(events).encode()
    ts = str(int(time.time()) - age)
    signature = key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
    if tamper:
        body = body.replace(b"wh@", b"xx@")
    return client.post("/webhooks/sendgrid", data=body, content_type="application/json",
                       headers={"X-Twilio-Email-Event-Webhook-Signature":
                                base64.b64encode(signature).decode(),
                                "X-Twilio-Email-Event-Webhook-Timestamp": ts})


def _sg_event(message, event, event_id=None, **extra):
    return {"email": message.to_address, "timestamp": int(time.time()), "event": event,
            "sg_event_id": event_id or uuid.uuid4().hex,
            "clientele_message_id": message.message_id, **extra}


def test_sendgrid_bounce_rejects_and_marks_the_address(client, sendgrid_key, message):
    response = _sendgrid_post(client, sendgrid_key, [
        _sg_event(message, "bounce", type="bounce", status="5.1.1",
                  reason="550 5.1.1 user unknown")])
    assert response.status_code == 200 and response.get_json() == {"stored": 1, "unmatched": 0}
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "rejected"
    assert db.session.scalars(db.select(CustomerEmail)).one().state == "invalid"


def test_sendgrid_bad_signature_or_stale_timestamp_stores_nothing(client, sendgrid_key, message):
    events = [_sg_event(message, "spamreport")]
    assert _sendgrid_post(client, sendgrid_key, events, tamper=True).status_code == 401
    assert _sendgrid_post(client, sendgrid_key, events, age=3600).status_code == 401
    unsigned = client.post("/webhooks/sendgrid", data=b"[]", content_type="application/json")
    assert unsigned.status_code == 401
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 0


def test_unconfigured_provider_is_404(client):
    assert client.post("/webhooks/postmark", data=b"{}").status_code == 404


def test_mailgun_replayed_token_is_refused(app, client, message):
    app.config["MAILGUN_WEBHOOK_SIGNING_KEY"] = "mg-test-key"
    ts, token = str(int(time.time())), uuid.uuid4().hex
    signature = hmac.new(b"mg-test-key", (ts + token).encode(), hashlib.sha256).hexdigest()
    body = json.dumps({"signature": {"timestamp": ts, "token": token, "signature": signature},
                       "event-data": {"event": "opened", "id": "mg-1", "timestamp": time.time(),
                                      "recipient": message.to_address,
                                      "message": {"headers": {"message-id": message.message_id}},
                                      "client-info": {"user-agent": "Thunderbird"}}}).encode()
    first = client.post("/webhooks/mailgun", data=body, content_type="application/json")
    assert first.status_code == 200
    assert client.post("/webhooks/mailgun", data=body,
                       content_type="application/json").status_code == 401
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "opened"


def test_mailgun_retry_after_a_failure_to_store_is_accepted(app, client, message,
                                                            monkeypatch):
    """A 500 makes Mailgun retry with the same token: the retry must not be a replay."""
    from app.mail import provider_reports

    app.config.update(MAILGUN_WEBHOOK_SIGNING_KEY="mg-test-key", PROPAGATE_EXCEPTIONS=False)
    ts, token = str(int(time.time())), uuid.uuid4().hex
    signature = hmac.new(b"mg-test-key", (ts + token).encode(), hashlib.sha256).hexdigest()
    body = json.dumps({"signature": {"timestamp": ts, "token": token, "signature": signature},
                       "event-data": {"event": "opened", "id": "mg-2", "timestamp": time.time(),
                                      "recipient": message.to_address,
                                      "message": {"headers": {"message-id": message.message_id}},
                                      "client-info": {"user-agent": "Thunderbird"}}}).encode()
    real_apply = provider_reports.apply

    def database_down(events):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(provider_reports, "apply", database_down)
    assert client.post("/webhooks/mailgun", data=body,
                       content_type="application/json").status_code == 500
    monkeypatch.setattr(provider_reports, "apply", real_apply)
    assert client.post("/webhooks/mailgun", data=body,
                       content_type="application/json").status_code == 200
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "opened"
    # Once stored, the same token is a replay again.
    assert client.post("/webhooks/mailgun", data=body,
                       content_type="application/json").status_code == 401


def test_postmark_basic_auth(app, client, message):
    app.config.update(POSTMARK_WEBHOOK_USERNAME="pm", POSTMARK_WEBHOOK_PASSWORD="secret-pw")
    body = json.dumps({"RecordType": "SpamComplaint", "ID": 42, "Type": "SpamComplaint",
                       "Email": message.to_address, "BouncedAt": "2026-11-20T10:00:00Z",
                       "Metadata": {"clientele_message_id": message.message_id}}).encode()
    wrong = base64.b64encode(b"pm:nope").decode()
    assert client.post("/webhooks/postmark", data=body, content_type="application/json",
                       headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    right = base64.b64encode(b"pm:secret-pw").decode()
    ok = client.post("/webhooks/postmark", data=body, content_type="application/json",
                     headers={"Authorization": f"Basic {right}"})
    assert ok.status_code == 200
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "spam"
    assert db.session.scalars(db.select(CustomerEmail)).one().suppressed


def test_unmatched_provider_event_goes_to_review(client, sendgrid_key, message):
    event = _sg_event(message, "bounce", type="bounce")
    event["clientele_message_id"] = "nobody@example.net"
    event["email"] = "stranger@example.net"
    assert _sendgrid_post(client, sendgrid_key, [event]).get_json() == {
        "stored": 0, "unmatched": 1}
    assert db.session.scalars(db.select(InboundMessage)).one().state == "unmatched"


def _unmatched_sg_event(message):
    event = _sg_event(message, "bounce", event_id="unmatched-once", type="bounce")
    event["clientele_message_id"] = "nobody@example.net"
    event["email"] = "stranger@example.net"
    return event


def test_an_unmatched_event_replayed_fifty_one_times_is_reviewed_once(client, sendgrid_key,
                                                                      message):
    body = json.dumps([_unmatched_sg_event(message)]).encode()
    headers = _signed_sendgrid_headers(sendgrid_key, body)
    statuses = {client.post("/webhooks/sendgrid", data=body, headers=headers).status_code
                for _ in range(51)}
    assert statuses == {200}
    assert db.session.scalar(db.select(db.func.count(InboundMessage.id))) == 1


def test_concurrent_replays_of_an_unmatched_event_store_one_row(app, sendgrid_key, message):
    body = json.dumps([_unmatched_sg_event(message)]).encode()
    headers = _signed_sendgrid_headers(sendgrid_key, body)

    def deliver(_):
        with app.test_client() as c:
            return c.post("/webhooks/sendgrid", data=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(deliver, range(12)))
    assert statuses == [200] * 12
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(InboundMessage.id))) == 1


def test_a_provider_bounce_matched_by_address_only_waits_for_confirmation(
        client, sendgrid_key, message, login_as):
    # The provider did not echo our Message-ID: only the address names the customer.
    event = _sg_event(message, "bounce", event_id="by-address", type="bounce",
                      reason="550 5.1.1 user unknown")
    del event["clientele_message_id"]
    body = json.dumps([event]).encode()
    headers = _signed_sendgrid_headers(sendgrid_key, body)
    assert client.post("/webhooks/sendgrid", data=body, headers=headers).get_json() == {
        "stored": 0, "unmatched": 1}
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "sent"
    assert db.session.scalars(db.select(CustomerEmail)).one().state == "ok"
    held = db.session.scalars(db.select(InboundMessage)).one()
    assert (held.state, held.matched_message_id) == ("unconfirmed", message.id)

    login_as("admin")
    confirmed = client.post(f"/admin/bounces/{held.id}/confirm",
                            data={"csrf_token": csrf_token(client, "/admin/bounces")})
    assert confirmed.status_code == 303
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "rejected"
    assert db.session.scalars(db.select(CustomerEmail)).one().state == "invalid"
    # SendGrid posting it again changes nothing more.
    assert client.post("/webhooks/sendgrid", data=body, headers=headers).status_code == 200
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 1
    assert db.session.scalar(db.select(db.func.count(InboundMessage.id))) == 1


@pytest.mark.slow
def test_webhook_storm_stores_each_event_once(app, sendgrid_key, message):
    """The same 1,000 events delivered 5 times each, concurrently: 1,000 stored."""
    events = [_sg_event(message, "open", event_id=f"storm-{i}", useragent="Outlook")
              for i in range(1000)]
    batches = [events[i:i + 100] for i in range(0, 1000, 100)] * 5

    def deliver(batch):
        with app.test_client() as c:
            return _sendgrid_post(c, sendgrid_key, batch).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(deliver, batches))
    assert statuses == [200] * 50
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 1000
    assert db.session.get(EmailMessage, message.id).human_opens == 1000


def test_the_same_event_fifty_times_is_stored_once(client, sendgrid_key, message):
    event = _sg_event(message, "open", event_id="same-every-time", useragent="Outlook")
    statuses = {_sendgrid_post(client, sendgrid_key, [event]).status_code for _ in range(50)}
    assert statuses == {200}
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 1


def test_webhooks_keep_answering_while_redis_is_down(app, client, sendgrid_key, message):
    real = app.config["REDIS_URL"]
    app.extensions.pop("redis", None)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        response = _sendgrid_post(client, sendgrid_key, [_sg_event(message, "delivered")])
    finally:
        app.extensions.pop("redis", None)
        app.config["REDIS_URL"] = real
    assert response.status_code == 200  # SendGrid's path needs only the database
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 1


def _complaints():
    from app.models import AuditLog

    return db.session.scalars(db.select(AuditLog).filter_by(
        action="customer.spam_complaint")).all()


def test_the_same_spam_report_three_times_records_one_complaint(client, sendgrid_key, message):
    event = _sg_event(message, "spamreport", event_id="spam-once")
    for _ in range(3):
        assert _sendgrid_post(client, sendgrid_key, [event]).status_code == 200
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 1
    assert len(_complaints()) == 1


def test_a_second_spam_report_for_a_suppressed_address_changes_nothing(
        client, sendgrid_key, message):
    for event_id in ("spam-1", "spam-2"):
        event = _sg_event(message, "spamreport", event_id=event_id)
        assert _sendgrid_post(client, sendgrid_key, [event]).status_code == 200
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 2
    assert len(_complaints()) == 1
    assert db.session.scalars(db.select(CustomerEmail)).one().suppressed


def test_store_events_returns_only_messages_with_new_events(app, message):
    from app.mail.recorder import NewEvent, store_events

    def event(key):
        return NewEvent(message_id=message.id, type="opened", occurred_at=utcnow(),
                        source="pixel", dedupe_key=key)

    assert store_events([event("a")]) == {message.id}
    assert store_events([event("a")]) == set()
    assert store_events([event("a"), event("b")]) == {message.id}
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 2


SNS_TOPIC = "arn:aws:sns:us-west-2:123456789012:ses-events"


def _sns_post(client):
    """An SES notification as SNS posts it; it reaches the certificate fetch."""
    envelope = {
        "Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": SNS_TOPIC,
        "Message": json.dumps({"notificationType": "Delivery", "mail": {}}),
        "Timestamp": "2024-05-01T12:00:00.000Z", "SignatureVersion": "1",
        "Signature": base64.b64encode(b"\0" * 256).decode(),
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/"
                          "SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
    }
    return client.post("/webhooks/ses", data=json.dumps(envelope),
                       headers={"Content-Type": "text/plain; charset=UTF-8"})


@pytest.mark.parametrize("failure, status, says", [
    # No answer: SNS retries later, nothing is lost.
    ("unreachable", 503, "temporarily unavailable, retry later"),
    # Amazon has no such certificate: the message can't be verified.
    ("refused", 401, "the SNS signing certificate could not be fetched (HTTP 404)"),
])
def test_sns_certificate_fetch_failures_are_not_500(app, client, monkeypatch, failure, status,
                                                    says):
    import urllib.error

    from app.mail import sns

    def urlopen(url, timeout):
        # Amazon's servers are outside this machine: the two ways a fetch fails.
        if failure == "unreachable":
            raise urllib.error.URLError("Name or service not known")
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    app.config["SES_TOPIC_ARN"] = SNS_TOPIC
    monkeypatch.setattr(sns.urllib.request, "urlopen", urlopen)
    response = _sns_post(client)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json() == {"error": says}
    if status == 503:
        assert response.headers["Retry-After"] == "60"
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 0


SNS_CERT_URL = ("https://sns.us-west-2.amazonaws.com/"
                "SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem")


@pytest.fixture
def sns_post(app):
    """Posts SES notifications signed as SNS signs them (SignatureVersion 2).

    Amazon's certificate host is outside this machine: a local key and self-signed
    certificate stand in for it, served through SNS_CERT_FETCHER.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    app.config.update(SES_TOPIC_ARN=SNS_TOPIC, SNS_CERT_FETCHER=lambda url: pem)

    def post(client, notification: dict, *, published: datetime):
        envelope = {"Type": "Notification", "MessageId": str(uuid.uuid4()),
                    "TopicArn": SNS_TOPIC, "Message": json.dumps(notification),
                    "Timestamp": published.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "SignatureVersion": "2", "SigningCertURL": SNS_CERT_URL}
        # The string to sign, written out from the SNS documentation.
        signed = "".join(f"{name}\n{envelope[name]}\n" for name in
                         ("Message", "MessageId", "Timestamp", "TopicArn", "Type"))
        signature = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        envelope["Signature"] = base64.b64encode(signature).decode()
        return client.post("/webhooks/ses", data=json.dumps(envelope),
                           headers={"Content-Type": "text/plain; charset=UTF-8"})

    return post


def _ses_bounce(message) -> dict:
    at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"notificationType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                       "feedbackId": f"fb-{uuid.uuid4()}", "timestamp": at,
                       "bouncedRecipients": [{"emailAddress": message.to_address,
                                              "status": "5.1.1",
                                              "diagnosticCode": "smtp; 550 5.1.1 unknown"}]},
            "mail": {"timestamp": at, "messageId": "0100018f-ses", "source": "billing@x.example",
                     "destination": [message.to_address],
                     "headers": [{"name": "Message-ID", "value": f"<{message.message_id}>"}]}}


def test_ses_message_published_over_an_hour_ago_or_ahead_is_refused(client, sns_post, message):
    now = datetime.now(timezone.utc)
    for published in (now - timedelta(days=400), now - timedelta(hours=1, minutes=1),
                      now + timedelta(minutes=10)):
        response = sns_post(client, _ses_bounce(message), published=published)
        assert response.status_code == 401, (published, response.get_data(as_text=True))
        assert "SNS message timestamp" in response.get_json()["error"]
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 0
    assert db.session.scalar(db.select(db.func.count(InboundMessage.id))) == 0
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "sent"
    assert db.session.scalars(db.select(CustomerEmail)).one().state == "ok"
    # SNS retries a delivery for a while with the same Timestamp: inside the hour it counts.
    retried = sns_post(client, _ses_bounce(message), published=now - timedelta(minutes=50))
    assert retried.status_code == 200, retried.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(EmailMessage, message.id).status == "rejected"


def _signed_sendgrid_headers(key, body: bytes) -> dict:
    ts = str(int(time.time()))
    signature = key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": ts, "Content-Type": "application/json"}


def _padded_to(size: int, events: list) -> bytes:
    body = json.dumps(events).encode()
    return body[:-1] + b" " * (size - len(body)) + b"]"


def test_webhook_bodies_over_one_megabyte_are_refused_with_413(client, sendgrid_key, message):
    # Correctly signed, so only the size can be the reason.
    body = _padded_to(1024 * 1024 + 1, [_sg_event(message, "bounce", type="bounce")])
    headers = _signed_sendgrid_headers(sendgrid_key, body)
    declared = client.post("/webhooks/sendgrid", data=body, headers=headers)
    assert declared.status_code == 413
    assert declared.get_json() == {"error": "webhook bodies are limited to 1 MB"}
    # Chunked, without a Content-Length: the read stops at the limit.
    # (gunicorn, like any server that reads chunked bodies, sets wsgi.input_terminated.)
    chunked = client.post("/webhooks/sendgrid", input_stream=io.BytesIO(body),
                          headers={**headers, "Transfer-Encoding": "chunked"},
                          environ_base={"wsgi.input_terminated": True})
    assert chunked.status_code == 413
    assert chunked.get_json() == {"error": "webhook bodies are limited to 1 MB"}
    assert db.session.scalar(db.select(db.func.count(EmailEvent.id))) == 0
    assert db.session.scalar(db.select(db.func.count(InboundMessage.id))) == 0
    # 1 MB exactly is read as usual.
    body = _padded_to(1024 * 1024, [_sg_event(message, "bounce", type="bounce")])
    assert client.post("/webhooks/sendgrid", data=body,
                       headers=_signed_sendgrid_headers(sendgrid_key, body)).status_code == 200


def _mailgun_post(app, client, data):
    app.config["MAILGUN_WEBHOOK_SIGNING_KEY"] = "mg-test-key"
    ts, token = str(int(time.time())), uuid.uuid4().hex
    signature = hmac.new(b"mg-test-key", (ts + token).encode(), hashlib.sha256).hexdigest()
    body = json.dumps({"signature": {"timestamp": ts, "token": token, "signature": signature},
                       "event-data": data}).encode()
    return client.post("/webhooks/mailgun", data=body, content_type="application/json")


def _sent_an_hour_ago(message):
    # Out of the "click right after delivery" window, so only the rule under test decides.
    message.sent_at = utcnow() - timedelta(hours=1)
    db.session.commit()


def _stored(message):
    db.session.expire_all()
    stored = db.session.get(EmailMessage, message.id)
    return stored, stored.events[-1]


def test_a_mailgun_open_flagged_apple_is_a_machine_open_and_no_open(app, client, message):
    response = _mailgun_post(app, client, {
        "event": "opened", "id": "mg-apple-1", "timestamp": time.time(),
        "recipient": message.to_address, "ip": "17.58.0.1",
        "message": {"headers": {"message-id": message.message_id}},
        "client-info": {"client-name": "unknown", "client-type": "unknown",
                        "user-agent": "Mozilla/5.0", "device-type": "unknown",
                        "client-os": "unknown", "bot": "apple"}})
    assert response.status_code == 200
    stored, event = _stored(message)
    assert (stored.status, stored.human_opens, stored.automated_opens) == ("sent", 0, 1)
    assert event.automated
    assert event.details["automation_rule"] == "Apple Mail Privacy Protection"
    assert event.details["provider_flag"] == "Mailgun client-info.bot: apple"


def test_a_mailgun_open_by_a_mail_program_without_the_flag_is_an_open(app, client, message):
    _mailgun_post(app, client, {
        "event": "opened", "id": "mg-person-1", "timestamp": time.time(),
        "recipient": message.to_address, "ip": "50.56.129.169",
        "message": {"headers": {"message-id": message.message_id}},
        "client-info": {"user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
                                      "Microsoft Outlook 16.0", "bot": ""}})
    stored, event = _stored(message)
    assert (stored.status, stored.human_opens, stored.automated_opens) == ("opened", 1, 0)
    assert not event.automated


def test_a_sendgrid_machine_open_never_makes_the_email_opened(client, sendgrid_key, message):
    response = _sendgrid_post(client, sendgrid_key, [_sg_event(
        message, "open", sg_machine_open=True, useragent="Mozilla/5.0", ip="17.58.0.1")])
    assert response.status_code == 200
    stored, event = _stored(message)
    assert (stored.status, stored.human_opens, stored.automated_opens) == ("sent", 0, 1)
    assert event.details["provider_flag"] == "SendGrid sg_machine_open: true"


def test_a_sendgrid_open_not_flagged_by_a_desktop_client_is_an_open(client, sendgrid_key,
                                                                    message):
    _sendgrid_post(client, sendgrid_key, [_sg_event(
        message, "open", sg_machine_open=False, ip="203.0.113.9",
        useragent="Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
                  "(KHTML, like Gecko)")])
    stored, _ = _stored(message)
    assert (stored.status, stored.human_opens) == ("opened", 1)


def test_a_provider_click_by_a_bare_mozilla_is_a_scanner_not_a_person(client, sendgrid_key,
                                                                     message):
    _sent_an_hour_ago(message)
    _sendgrid_post(client, sendgrid_key, [_sg_event(
        message, "click", useragent="Mozilla/5.0", ip="203.0.113.9",
        url="https://example.com/pay")])
    stored, event = _stored(message)
    assert (stored.status, stored.clicks, stored.human_opens) == ("sent", 0, 0)
    assert event.automated and event.details["automation_rule"] == BARE_CLICK
    _sendgrid_post(client, sendgrid_key, [_sg_event(
        message, "click", url="https://example.com/pay", ip="203.0.113.9",
        useragent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/124.0 Safari/537.36")])
    stored, event = _stored(message)
    # A person's click: Opened, and counted as an open though no image was loaded.
    assert (stored.status, stored.clicks, stored.human_opens) == ("opened", 1, 1)
    assert not event.automated
