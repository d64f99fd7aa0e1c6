"""Amazon SES through SNS: envelopes and notifications follow AWS's published examples,
signed here with a locally generated RSA key and self-signed certificate."""

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.events.providers import ses
from app.events.providers.sns import is_sns_url
from app.events.webhooks import WebhookAuthError, WebhookPayloadError

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
TOPIC = "arn:aws:sns:us-west-2:123456789012:ses-events"
CERT_URL = "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
OUR_ID = "inv-42.7f3a@clientele.example"


def make_cert(key, *, not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=365)) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def fetch_cert(key):
    pem = make_cert(key)
    fetched = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        assert url == CERT_URL
        return pem

    fetch.fetched = fetched
    return fetch


def string_to_sign(envelope: dict) -> bytes:
    # Written out from the AWS documentation, independently of the code under test.
    if envelope["Type"] == "Notification":
        names = ["Message", "MessageId"] + (["Subject"] if "Subject" in envelope else []) + ["Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{n}\n{envelope[n]}\n" for n in names).encode()


def sign(key, envelope: dict, version: str = "1") -> dict:
    envelope = dict(envelope, SignatureVersion=version, SigningCertURL=envelope.get("SigningCertURL", CERT_URL))
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(string_to_sign(envelope), padding.PKCS1v15(), digest)
    envelope["Signature"] = base64.b64encode(signature).decode()
    return envelope


def notification(message: dict | str, **extra) -> dict:
    envelope = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": "2024-05-01T11:59:30.655Z",
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
    }
    envelope.update(extra)
    return envelope


SUBSCRIPTION = {
    "Type": "SubscriptionConfirmation",
    "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
    "TopicArn": TOPIC,
    "Message": f"You have chosen to subscribe to the topic {TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
    "SubscribeURL": f"https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37",
    "Timestamp": "2024-05-01T11:59:04.751Z",
}

MAIL = {
    "timestamp": "2024-05-01T11:58:00.000Z",
    "source": "office@clientele.example",
    "sourceArn": "arn:aws:ses:us-west-2:123456789012:identity/clientele.example",
    "sendingAccountId": "123456789012",
    "messageId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
    "destination": ["jane@example.com", "mary@example.com"],
    "headersTruncated": False,
    "headers": [
        {"name": "From", "value": "Office <office@clientele.example>"},
        {"name": "To", "value": "jane@example.com, mary@example.com"},
        {"name": "Message-ID", "value": f"<{OUR_ID}>"},
        {"name": "Subject", "value": "Invoice 42"},
    ],
    "commonHeaders": {"from": ["Office <office@clientele.example>"], "messageId": f"<{OUR_ID}>", "subject": "Invoice 42"},
}
BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent", "bounceSubType": "General", "reportingMTA": "dns; email.example.com",
        "bouncedRecipients": [
            {"emailAddress": "jane@example.com", "status": "5.1.1", "action": "failed",
             "diagnosticCode": "smtp; 550 5.1.1 <jane@example.com>... User"},
            {"emailAddress": "mary@example.com", "status": "5.1.1", "action": "failed",
             "diagnosticCode": "smtp; 550 5.1.1 <mary@example.com>... User"},
        ],
        "timestamp": "2024-05-01T11:59:38.237Z",
        "feedbackId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000",
        "remoteMtaIp": "127.0.2.0",
    },
    "mail": MAIL,
}
COMPLAINT = {
    "notificationType": "Complaint",
    "complaint": {
        "userAgent": "AnyCompany Feedback Loop (V0.01)", "complainedRecipients": [{"emailAddress": "jane@example.com"}],
        "complaintFeedbackType": "abuse", "arrivalDate": "2024-05-01T11:59:00.000Z",
        "timestamp": "2024-05-01T11:59:40.000Z",
        "feedbackId": "000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000",
    },
    "mail": MAIL,
}
DELIVERY = {
    "notificationType": "Delivery",
    "delivery": {
        "timestamp": "2024-05-01T11:58:01.000Z", "processingTimeMillis": 546,
        "recipients": ["jane@example.com", "mary@example.com"],
        "smtpResponse": "250 ok:  Message 64111812 accepted", "reportingMTA": "a8-70.smtp-out.amazonses.com",
        "remoteMtaIp": "127.0.2.0",
    },
    "mail": MAIL,
}
DELAY = {
    "eventType": "DeliveryDelay",
    "deliveryDelay": {
        "timestamp": "2024-05-01T11:59:00.000Z", "delayType": "TransientCommunicationFailure",
        "expirationTime": "2024-05-01T23:59:00.000Z",
        "delayedRecipients": [{"emailAddress": "mary@example.com", "status": "4.4.1",
                               "diagnosticCode": "smtp; 421 4.4.1 Unable to connect"}],
    },
    "mail": MAIL,
}
ONE_RECIPIENT_MAIL = dict(MAIL, destination=["jane@example.com"])
OPEN = {"eventType": "Open", "mail": ONE_RECIPIENT_MAIL,
        "open": {"ipAddress": "192.0.2.1", "timestamp": "2024-05-01T11:59:50.000Z",
                 "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)"}}
CLICK = {"eventType": "Click", "mail": MAIL,
         "click": {"ipAddress": "192.0.2.1", "link": "https://clientele.example/pay/42", "linkTags": {},
                   "timestamp": "2024-05-01T11:59:55.000Z", "userAgent": "Mozilla/5.0 (Windows NT 10.0)"}}


def parse(key, fetch_cert, envelope, *, version="1", signed=True, **kwargs):
    body = json.dumps(sign(key, envelope, version) if signed else envelope).encode()
    return ses.parse_webhook(body, topic_arn=TOPIC, fetch_cert=fetch_cert, now=NOW, **kwargs)


@pytest.mark.parametrize("version", ["1", "2"])
def test_bounce_gives_one_rejection_per_recipient(key, fetch_cert, version):
    result = parse(key, fetch_cert, notification(BOUNCE), version=version)
    assert result.subscribe_url is None
    assert [(e.type, e.recipient, e.code) for e in result.events] == [
        ("rejected", "jane@example.com", "5.1.1"),
        ("rejected", "mary@example.com", "5.1.1"),
    ]
    jane = result.events[0]
    assert jane.provider == "ses"
    assert jane.message_id == OUR_ID
    assert jane.occurred_at == datetime(2024, 5, 1, 11, 59, 38, 237000, tzinfo=timezone.utc)
    assert jane.diagnostic == "smtp; 550 5.1.1 <jane@example.com>... User"
    assert jane.provider_event_id == "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000:jane@example.com"
    assert jane.raw == BOUNCE


@pytest.mark.parametrize(("bounce_type", "expected"), [("Transient", "delayed"), ("Undetermined", "rejected")])
def test_other_bounce_types(key, fetch_cert, bounce_type, expected):
    message = dict(BOUNCE, bounce=dict(BOUNCE["bounce"], bounceType=bounce_type))
    assert {e.type for e in parse(key, fetch_cert, notification(message)).events} == {expected}


def test_complaint_is_spam(key, fetch_cert):
    [event] = parse(key, fetch_cert, notification(COMPLAINT)).events
    assert (event.type, event.recipient, event.diagnostic) == ("spam", "jane@example.com", "abuse")


@pytest.mark.parametrize("feedback_type", ["not-spam", "auth-failure", "virus"])
def test_a_report_that_is_no_complaint_gives_no_event(key, fetch_cert, feedback_type):
    message = dict(COMPLAINT, complaint=dict(COMPLAINT["complaint"], complaintFeedbackType=feedback_type))
    assert parse(key, fetch_cert, notification(message)).events == ()


def test_suppression_list_complaint_is_a_rejection(key, fetch_cert):
    message = dict(COMPLAINT, complaint=dict(COMPLAINT["complaint"], complaintSubType="OnAccountSuppressionList"))
    [event] = parse(key, fetch_cert, notification(message)).events
    assert event.type == "rejected"


def test_delivery_is_sent_and_delivered_per_recipient(key, fetch_cert):
    events = parse(key, fetch_cert, notification(DELIVERY)).events
    assert [(e.type, e.delivered, e.recipient) for e in events] == [
        ("sent", True, "jane@example.com"), ("sent", True, "mary@example.com")]
    assert events[0].diagnostic.startswith("250 ok")
    assert events[0].provider_event_id != events[1].provider_event_id


def test_delivery_delay_is_delayed(key, fetch_cert):
    [event] = parse(key, fetch_cert, notification(DELAY)).events
    assert (event.type, event.recipient, event.code) == ("delayed", "mary@example.com", "4.4.1")


def test_open_with_one_recipient(key, fetch_cert):
    [event] = parse(key, fetch_cert, notification(OPEN)).events
    assert (event.type, event.recipient, event.ip) == ("opened", "jane@example.com", "192.0.2.1")
    assert event.user_agent.startswith("Mozilla/5.0 (iPhone")


def test_click_with_several_recipients_names_none(key, fetch_cert):
    [event] = parse(key, fetch_cert, notification(CLICK)).events
    assert (event.type, event.recipient, event.url) == ("clicked", None, "https://clientele.example/pay/42")


def test_send_event_is_sent_not_delivered(key, fetch_cert):
    events = parse(key, fetch_cert, notification({"eventType": "Send", "mail": MAIL, "send": {}})).events
    assert [(e.type, e.delivered) for e in events] == [("sent", False), ("sent", False)]


def test_subject_is_part_of_the_signature(key, fetch_cert):
    result = parse(key, fetch_cert, notification(DELIVERY, Subject="Amazon SES Email Event Notification"))
    assert len(result.events) == 2
    tampered = sign(key, notification(DELIVERY, Subject="original"))
    tampered["Subject"] = "changed"
    with pytest.raises(WebhookAuthError):
        ses.parse_webhook(json.dumps(tampered).encode(), topic_arn=TOPIC, fetch_cert=fetch_cert, now=NOW)


def test_unknown_event_types_are_skipped(key, fetch_cert):
    assert parse(key, fetch_cert, notification({"eventType": "Subscription", "mail": MAIL})).events == ()


def test_subscription_confirmation_asks_the_caller_to_confirm(key, fetch_cert):
    result = parse(key, fetch_cert, SUBSCRIPTION)
    assert result.events == ()
    assert result.subscribe_url == SUBSCRIPTION["SubscribeURL"]


def test_subscription_confirmation_to_a_foreign_host_is_refused(key, fetch_cert):
    envelope = dict(SUBSCRIPTION, SubscribeURL="https://evil.example/?Action=ConfirmSubscription")
    with pytest.raises(WebhookAuthError, match="SubscribeURL"):
        parse(key, fetch_cert, envelope)


def test_unsubscribe_confirmation_does_nothing(key, fetch_cert):
    result = parse(key, fetch_cert, dict(SUBSCRIPTION, Type="UnsubscribeConfirmation"))
    assert result == ses.SesResult()


def test_tampered_message_is_refused(key, fetch_cert):
    envelope = sign(key, notification(DELIVERY))
    envelope["Message"] = envelope["Message"].replace("Delivery", "Bounce", 1)
    with pytest.raises(WebhookAuthError, match="does not match"):
        ses.parse_webhook(json.dumps(envelope).encode(), topic_arn=TOPIC, fetch_cert=fetch_cert, now=NOW)


def test_signature_version_is_bound_to_the_hash(key, fetch_cert):
    envelope = sign(key, notification(DELIVERY), version="1")
    envelope["SignatureVersion"] = "2"
    with pytest.raises(WebhookAuthError):
        ses.parse_webhook(json.dumps(envelope).encode(), topic_arn=TOPIC, fetch_cert=fetch_cert, now=NOW)


def test_signature_by_another_key_is_refused(fetch_cert):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(WebhookAuthError):
        parse(other, fetch_cert, notification(DELIVERY))


def test_wrong_topic_is_refused_before_fetching_a_certificate(key):
    fetched = []
    envelope = notification(DELIVERY, TopicArn="arn:aws:sns:us-west-2:999999999999:someone-else")
    with pytest.raises(WebhookAuthError, match="different topic"):
        parse(key, fetched.append, envelope)
    assert fetched == []


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-west-2.amazonaws.com/cert.pem",
        "https://sns.us-west-2.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.us-west-2.amazonaws.com/cert.pem",
        "https://sns.us-west-2.amazonaws.com@evil.example/cert.pem",
        "https://user@sns.us-west-2.amazonaws.com/cert.pem",
        "https://sns.us-west-2.amazonaws.com:8443/cert.pem",
        "https://sns.us-west-2.amazonaws.com/cert.txt",
        "https://s3.amazonaws.com/cert.pem",
        "https://sns.us_west.amazonaws.com/cert.pem",
    ],
)
def test_certificate_urls_off_sns_are_refused_without_fetching(key, url):
    fetched = []
    with pytest.raises(WebhookAuthError, match="SigningCertURL"):
        parse(key, fetched.append, notification(DELIVERY, SigningCertURL=url))
    assert fetched == []


@pytest.mark.parametrize(
    "url",
    ["https://sns.us-west-2.amazonaws.com/x.pem", "https://sns.cn-north-1.amazonaws.com.cn/x.pem",
     "https://SNS.us-west-2.amazonaws.com:443/x.pem"],
)
def test_sns_certificate_urls_are_accepted(url):
    assert is_sns_url(url, pem=True)


def test_expired_certificate_is_refused(key):
    pem = make_cert(key, not_before=NOW - timedelta(days=30), not_after=NOW - timedelta(days=1))
    with pytest.raises(WebhookAuthError, match="not valid"):
        parse(key, lambda url: pem, notification(DELIVERY))


def test_non_rsa_certificate_is_refused():
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = make_cert(ec_key)
    envelope = dict(notification(DELIVERY), SignatureVersion="1", SigningCertURL=CERT_URL, Signature="AAAA")
    with pytest.raises(WebhookAuthError, match="RSA"):
        ses.parse_webhook(json.dumps(envelope).encode(), topic_arn=TOPIC, fetch_cert=lambda url: pem, now=NOW)


def test_unreadable_certificate_is_refused(key):
    with pytest.raises(WebhookAuthError, match="certificate"):
        parse(key, lambda url: b"<html>not a cert</html>", notification(DELIVERY))


@pytest.mark.parametrize("field", ["Signature", "SignatureVersion", "MessageId", "Timestamp"])
def test_envelopes_missing_signed_fields_are_refused(key, fetch_cert, field):
    envelope = sign(key, notification(DELIVERY))
    del envelope[field]
    with pytest.raises(WebhookAuthError):
        ses.parse_webhook(json.dumps(envelope).encode(), topic_arn=TOPIC, fetch_cert=fetch_cert, now=NOW)


def test_raw_message_delivery_is_refused(fetch_cert):
    # With raw delivery on, SNS posts the SES JSON itself, unsigned.
    with pytest.raises(WebhookPayloadError, match="Type"):
        ses.parse_webhook(json.dumps(BOUNCE).encode(), topic_arn=TOPIC, fetch_cert=fetch_cert, now=NOW)


def test_optional_max_age(key, fetch_cert):
    assert parse(key, fetch_cert, notification(DELIVERY), max_age=timedelta(minutes=5)).events
    with pytest.raises(WebhookAuthError, match="window"):
        parse(key, fetch_cert, notification(DELIVERY, Timestamp="2024-05-01T10:00:00.000Z"),
              max_age=timedelta(minutes=5))


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("Hello world!", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"mail": MAIL}), "eventType or notificationType"),
        (json.dumps({"notificationType": "Bounce", "mail": MAIL}), "\"bounce\" object"),
        (json.dumps(dict(BOUNCE, bounce=dict(BOUNCE["bounce"], bouncedRecipients=[]))), "bouncedRecipients"),
        (json.dumps(dict(DELIVERY, delivery=dict(DELIVERY["delivery"], timestamp="soon"))), "timestamp"),
    ],
)
def test_malformed_notifications_say_what_is_wrong(key, fetch_cert, message, error):
    with pytest.raises(WebhookPayloadError, match=error):
        parse(key, fetch_cert, notification(message))


# -- fuzzing -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
iso_times = st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat()) | json_values
addresses = st.lists(st.emails() | json_values, max_size=3)
recipient_objects = st.lists(st.fixed_dictionaries({}, optional={"emailAddress": st.emails() | json_values,
                                                                  "status": json_values}), max_size=3)
section = st.fixed_dictionaries({}, optional={
    "timestamp": iso_times, "bounceType": st.sampled_from(["Permanent", "Transient", "Undetermined"]) | json_values,
    "bouncedRecipients": recipient_objects, "complainedRecipients": recipient_objects,
    "delayedRecipients": recipient_objects, "recipients": addresses, "feedbackId": json_values,
    "complaintSubType": json_values, "link": json_values, "userAgent": json_values,
})
notification_like = st.fixed_dictionaries({}, optional={
    "eventType": st.sampled_from(["Bounce", "Complaint", "Delivery", "DeliveryDelay", "Send", "Reject",
                                  "Rendering Failure", "Open", "Click", "Subscription"]) | json_values,
    "notificationType": st.sampled_from(["Bounce", "Complaint", "Delivery"]) | json_values,
    "mail": st.fixed_dictionaries({}, optional={"timestamp": iso_times, "destination": addresses,
                                                 "headers": json_values, "commonHeaders": json_values}) | json_values,
    "bounce": section, "complaint": section, "delivery": section, "deliveryDelay": section,
    "open": section, "click": section, "reject": section, "failure": section,
})


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(message=notification_like.map(json.dumps) | st.text(max_size=50))
def test_any_signed_message_only_raises_webhook_errors(key, fetch_cert, message):
    try:
        result = parse(key, fetch_cert, notification(message))
    except (WebhookAuthError, WebhookPayloadError):
        return
    assert all(e.occurred_at.tzinfo is not None for e in result.events)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(body=st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_webhook_errors(fetch_cert, body):
    with pytest.raises((WebhookAuthError, WebhookPayloadError)):
        ses.parse_webhook(body, topic_arn=TOPIC, fetch_cert=fetch_cert, now=NOW)


# -- reasons: SES's bounceType/bounceSubType and delayType first, the diagnostic as fallback -------
def _bounce(bounce_type: str, sub_type: str, status: str, diagnostic: str | None) -> dict:
    recipient = {"emailAddress": "jane@example.com", "status": status, "action": "failed"}
    if diagnostic:
        recipient["diagnosticCode"] = diagnostic
    return dict(BOUNCE, bounce=dict(BOUNCE["bounce"], bounceType=bounce_type,
                                    bounceSubType=sub_type, bouncedRecipients=[recipient]))


@pytest.mark.parametrize("bounce_type, sub_type, status, diagnostic, reason", [
    ("Permanent", "General", "5.1.1", "smtp; 550 5.1.1 user unknown", "userunknown"),
    ("Permanent", "General", "5.7.1", "smtp; 554 5.7.1 Service unavailable; Client host "
     "[192.0.2.9] blocked using zen.spamhaus.org", "blocked"),
    ("Permanent", "NoEmail", "5.1.1", None, "userunknown"),
    ("Permanent", "Suppressed", "5.1.1", "Amazon SES has suppressed sending to this address "
     "because it has a recent history of bouncing as an invalid address.", "suppressed"),
    ("Permanent", "OnAccountSuppressionList", "5.1.1", "Amazon SES did not send the message "
     "to this address because it is on the suppression list for your account.", "suppressed"),
    ("Transient", "General", "4.4.7", "smtp; 421 4.4.7 Delivery time expired", "expired"),
    ("Transient", "MailboxFull", "5.2.2", "smtp; 552 5.2.2 Mailbox full", "mailboxfull"),
    ("Transient", "MessageTooLarge", "5.3.4", "smtp; 552 5.3.4 Message too big", "emailtoolarge"),
    ("Transient", "ContentRejected", "5.7.1", "smtp; 554 5.7.1 Message rejected as spam",
     "spamdetected"),
    ("Transient", "ContentRejected", "5.6.0", None, "contenterror"),
    ("Transient", "AttachmentRejected", "5.7.1", "smtp; 554 5.7.1 attachment not allowed",
     "contenterror"),
    ("Undetermined", "Undetermined", "5.0.0", None, "undefined"),
    ("Undetermined", "Undetermined", "5.0.0", "smtp; 550 Mailbox unavailable", "userunknown"),
])
def test_bounce_subtypes_carry_a_reason(key, fetch_cert, bounce_type, sub_type, status,
                                        diagnostic, reason):
    [event] = parse(key, fetch_cert, notification(_bounce(bounce_type, sub_type, status,
                                                          diagnostic))).events
    assert event.reason == reason


@pytest.mark.parametrize("delay_type, diagnostic, reason", [
    ("TransientCommunicationFailure", "smtp; 421 4.4.1 Unable to connect", "networkerror"),
    ("MailboxFull", "smtp; 452 4.2.2 Mailbox full", "mailboxfull"),
    ("IPFailure", "smtp; 421 4.7.0 [192.0.2.9] blocked using zen.spamhaus.org", "blocked"),
    ("SpamDetected", None, "spamdetected"),
    ("SendingDeferral", None, "ratelimited"),
    ("InternalFailure", None, "systemerror"),
    ("General", "smtp; 450 4.7.1 Greylisted, please try again", "ratelimited"),
])
def test_delay_types_carry_a_reason(key, fetch_cert, delay_type, diagnostic, reason):
    recipient = {"emailAddress": "mary@example.com", "status": "4.0.0"}
    if diagnostic:
        recipient["diagnosticCode"] = diagnostic
    message = dict(DELAY, deliveryDelay=dict(DELAY["deliveryDelay"], delayType=delay_type,
                                             delayedRecipients=[recipient]))
    [event] = parse(key, fetch_cert, notification(message)).events
    assert (event.type, event.reason) == ("delayed", reason)


def test_reject_suppressed_complaint_and_rendering_failure_carry_reasons(key, fetch_cert):
    reject = {"eventType": "Reject", "mail": ONE_RECIPIENT_MAIL, "reject": {"reason": "Bad content"}}
    render = {"eventType": "Rendering Failure", "mail": ONE_RECIPIENT_MAIL,
              "failure": {"templateName": "Invoice", "errorMessage": "Attribute 'total' is not present"}}
    suppressed = dict(COMPLAINT, complaint=dict(COMPLAINT["complaint"],
                                                complaintSubType="OnAccountSuppressionList"))
    assert parse(key, fetch_cert, notification(reject)).events[0].reason == "virusdetected"
    assert parse(key, fetch_cert, notification(render)).events[0].reason == "contenterror"
    assert parse(key, fetch_cert, notification(suppressed)).events[0].reason == "suppressed"
    assert parse(key, fetch_cert, notification(COMPLAINT)).events[0].reason == ""
