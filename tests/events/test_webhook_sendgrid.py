"""SendGrid Event Webhook: fixtures follow SendGrid's published sample events."""

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.events.providers import sendgrid
from app.events.webhooks import WebhookAuthError, WebhookPayloadError

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
SMTP_ID = "<14c5d75ce93.dfd.64b469@ismtpd-555>"


@pytest.fixture(scope="module")
def private_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def public_key_b64(private_key):
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def signed_headers(private_key, body: bytes, timestamp: datetime = NOW) -> dict:
    ts = str(int(timestamp.timestamp()))
    signature = private_key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": ts,
    }


def sample(event: str, **extra) -> dict:
    base = {
        "email": "example@test.com",
        "timestamp": 1513299569,
        "smtp-id": SMTP_ID,
        "event": event,
        "category": "cat facts",
        "sg_event_id": f"sg-{event}-id",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
    }
    base.update(extra)
    return base


SAMPLE_BATCH = [
    sample("processed"),
    sample("deferred", response="400 try again later", attempt="5"),
    sample("delivered", response="250 OK"),
    sample("open", useragent="Mozilla/4.0 (compatible; MSIE 6.1; Windows XP)", ip="255.255.255.255"),
    sample("click", useragent="Mozilla/5.0", ip="255.255.255.255", url="http://www.sendgrid.com/"),
    sample("bounce", reason="500 unknown recipient", status="5.0.0", type="bounce"),
    sample("bounce", reason="550 blocked by policy", status="5.7.1", type="blocked", sg_event_id="sg-blocked-id"),
    sample("dropped", reason="Bounced Address", status="5.0.0"),
    sample("spamreport"),
    sample("unsubscribe"),
    sample("group_unsubscribe", asm_group_id=10),
]


def parse(private_key, public_key_b64, batch, **kwargs):
    body = json.dumps(batch).encode()
    return sendgrid.parse_webhook(body, signed_headers(private_key, body), public_key_b64, now=NOW, **kwargs)


def test_sample_batch_maps_every_delivery_event(private_key, public_key_b64):
    events = parse(private_key, public_key_b64, SAMPLE_BATCH)
    assert [(e.type, e.delivered) for e in events] == [
        ("sent", False),
        ("delayed", False),
        ("sent", True),
        ("opened", False),
        ("clicked", False),
        ("rejected", False),
        ("rejected", False),
        ("rejected", False),
        ("spam", False),
    ]
    first = events[0]
    assert first.provider == "sendgrid"
    assert first.provider_event_id == "sg-processed-id"
    assert first.recipient == "example@test.com"
    assert first.message_id == "14c5d75ce93.dfd.64b469@ismtpd-555"
    assert first.occurred_at == datetime(2017, 12, 15, 0, 59, 29, tzinfo=timezone.utc)
    assert first.raw == SAMPLE_BATCH[0]


def test_fields_are_carried_over(private_key, public_key_b64):
    events = {e.provider_event_id: e for e in parse(private_key, public_key_b64, SAMPLE_BATCH)}
    assert events["sg-deferred-id"].diagnostic == "400 try again later"
    assert events["sg-open-id"].user_agent.startswith("Mozilla/4.0")
    assert events["sg-open-id"].ip == "255.255.255.255"
    assert events["sg-click-id"].url == "http://www.sendgrid.com/"
    assert (events["sg-bounce-id"].code, events["sg-bounce-id"].diagnostic) == ("5.0.0", "500 unknown recipient")
    assert events["sg-dropped-id"].diagnostic == "Bounced Address"


def test_custom_arg_message_id_wins_over_smtp_id(private_key, public_key_b64):
    event = sample("open", clientele_message_id="<inv-42.abc@clientele.example>")
    del event["smtp-id"]  # opens do not carry smtp-id
    [parsed] = parse(private_key, public_key_b64, [event])
    assert parsed.message_id == "inv-42.abc@clientele.example"


def test_event_without_id_gets_a_stable_content_hash(private_key, public_key_b64):
    event = sample("delivered")
    del event["sg_event_id"]
    [a] = parse(private_key, public_key_b64, [event])
    [b] = parse(private_key, public_key_b64, [dict(reversed(list(event.items())))])
    assert a.provider_event_id == b.provider_event_id
    assert len(a.provider_event_id) == 64
    [c] = parse(private_key, public_key_b64, [dict(event, timestamp=1513299570)])
    assert c.provider_event_id != a.provider_event_id


def test_header_names_are_case_insensitive(private_key, public_key_b64):
    body = json.dumps([sample("processed")]).encode()
    headers = {k.lower(): v for k, v in signed_headers(private_key, body).items()}
    assert len(sendgrid.parse_webhook(body, headers, public_key_b64, now=NOW)) == 1


def test_tampered_body_is_refused(private_key, public_key_b64):
    body = json.dumps([sample("processed")]).encode()
    headers = signed_headers(private_key, body)
    with pytest.raises(WebhookAuthError):
        sendgrid.parse_webhook(body.replace(b"processed", b"delivered"), headers, public_key_b64, now=NOW)


def test_signature_from_another_key_is_refused(public_key_b64):
    other = ec.generate_private_key(ec.SECP256R1())
    body = json.dumps([sample("processed")]).encode()
    with pytest.raises(WebhookAuthError):
        sendgrid.parse_webhook(body, signed_headers(other, body), public_key_b64, now=NOW)


def test_changed_timestamp_header_breaks_the_signature(private_key, public_key_b64):
    body = json.dumps([sample("processed")]).encode()
    headers = signed_headers(private_key, body)
    headers["X-Twilio-Email-Event-Webhook-Timestamp"] = str(int(NOW.timestamp()) + 1)
    with pytest.raises(WebhookAuthError):
        sendgrid.parse_webhook(body, headers, public_key_b64, now=NOW)


@pytest.mark.parametrize("missing", ["X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"])
def test_missing_headers_are_refused(private_key, public_key_b64, missing):
    body = json.dumps([sample("processed")]).encode()
    headers = signed_headers(private_key, body)
    del headers[missing]
    with pytest.raises(WebhookAuthError):
        sendgrid.parse_webhook(body, headers, public_key_b64, now=NOW)


def test_garbage_signature_is_refused(private_key, public_key_b64):
    body = b"[]"
    headers = signed_headers(private_key, body)
    headers["X-Twilio-Email-Event-Webhook-Signature"] = "not base64!!"
    with pytest.raises(WebhookAuthError):
        sendgrid.parse_webhook(body, headers, public_key_b64, now=NOW)


@pytest.mark.parametrize("age", [timedelta(minutes=11), timedelta(minutes=-11)])
def test_stale_or_future_timestamps_are_refused(private_key, public_key_b64, age):
    body = json.dumps([sample("processed")]).encode()
    headers = signed_headers(private_key, body, timestamp=NOW - age)
    with pytest.raises(WebhookAuthError, match="window"):
        sendgrid.parse_webhook(body, headers, public_key_b64, now=NOW)


def test_timestamp_window_is_configurable(private_key, public_key_b64):
    body = json.dumps([sample("processed")]).encode()
    headers = signed_headers(private_key, body, timestamp=NOW - timedelta(minutes=9))
    assert sendgrid.parse_webhook(body, headers, public_key_b64, now=NOW)
    with pytest.raises(WebhookAuthError):
        sendgrid.parse_webhook(body, headers, public_key_b64, now=NOW, tolerance=timedelta(minutes=5))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"event": "processed"}', "JSON array"),
        (b"[1]", "not a JSON object"),
        (b'[{"email": "a@b.c"}]', "no \"event\""),
        (b'[{"event": "delivered", "timestamp": "yesterday"}]', "timestamp"),
        (b'[{"event": "delivered", "timestamp": NaN}]', "not valid JSON"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(private_key, public_key_b64, body, message):
    with pytest.raises(WebhookPayloadError, match=message):
        sendgrid.parse_webhook(body, signed_headers(private_key, body), public_key_b64, now=NOW)


def test_bad_configured_key_is_a_configuration_error(private_key):
    body = b"[]"
    with pytest.raises(ValueError):
        sendgrid.parse_webhook(body, signed_headers(private_key, body), "not a key", now=NOW)
    rsa_like = base64.b64encode(b"\x30\x03\x02\x01\x00").decode()
    with pytest.raises(ValueError):
        sendgrid.load_public_key(rsa_like)


# -- fuzzing: any signed body gives events or one of our two errors -------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "event": st.sampled_from(sorted(sendgrid.EVENT_MAP) + ["unsubscribe"]) | json_values,
        "timestamp": st.integers() | st.floats() | json_values,
        "email": json_values, "smtp-id": json_values, "sg_event_id": json_values,
        "status": json_values, "reason": json_values, "response": json_values,
        "useragent": json_values, "ip": json_values, "url": json_values, "clientele_message_id": json_values,
    },
)


def _only_our_errors(private_key, public_key_b64, body: bytes):
    try:
        events = sendgrid.parse_webhook(body, signed_headers(private_key, body), public_key_b64, now=NOW)
    except (WebhookAuthError, WebhookPayloadError):
        return
    for event in events:
        assert event.occurred_at.tzinfo is not None
        assert event.type in {"sent", "delayed", "rejected", "spam", "opened", "clicked"}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(body=st.binary(max_size=300))
def test_arbitrary_signed_bytes_only_raise_webhook_errors(private_key, public_key_b64, body):
    _only_our_errors(private_key, public_key_b64, body)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(batch=st.lists(event_like | json_values, max_size=4))
def test_arbitrary_signed_json_only_raises_webhook_errors(private_key, public_key_b64, batch):
    body = json.dumps(batch, allow_nan=True).encode()
    _only_our_errors(private_key, public_key_b64, body)


# -- reasons: SendGrid's bounce classification first, the server's words as fallback -------------
# Shapes follow SendGrid's Event Webhook reference ("bounce" with type, status, reason and
# bounce_classification; "dropped" with its reason; "deferred" with response).
@pytest.mark.parametrize("event, reason", [
    (sample("bounce", type="bounce", status="5.1.1", bounce_classification="Invalid Address",
            reason="550 5.1.1 The email account that you tried to reach does not exist."),
     "userunknown"),
    (sample("bounce", type="bounce", status="5.2.2", bounce_classification="Mailbox Unavailable",
            reason="552 5.2.2 The email account that you tried to reach is over quota."),
     "mailboxfull"),
    (sample("bounce", type="bounce", status="5.0.0", bounce_classification="Mailbox Unavailable",
            reason="550 Requested action not taken"), "suspend"),
    # The classification wins over words that point at another party.
    (sample("bounce", type="bounce", status="5.0.0", bounce_classification="Invalid Address",
            reason="550 Message rejected"), "userunknown"),
    (sample("bounce", type="blocked", status="5.7.1", bounce_classification="Reputation",
            reason="554 5.7.1 Service unavailable; Client host [167.89.0.1] blocked using "
                   "zen.spamhaus.org"), "blocked"),
    (sample("bounce", type="blocked", status="4.7.0", bounce_classification="Reputation",
            reason="421 4.7.0 Try again later"), "badreputation"),
    (sample("bounce", type="bounce", status="5.7.1", bounce_classification="Content",
            reason="554 5.7.1 Message rejected as spam"), "spamdetected"),
    (sample("bounce", type="bounce", status="5.3.4", bounce_classification="Content",
            reason="552 5.3.4 Message size exceeds fixed limit"), "emailtoolarge"),
    (sample("bounce", type="blocked", status="4.7.28",
            bounce_classification="Frequency or Volume Too High",
            reason="421 4.7.28 Our system has detected an unusual rate of unsolicited mail"),
     "ratelimited"),
    (sample("bounce", type="bounce", status="5.7.26", bounce_classification="Technical Failure",
            reason="550 5.7.26 Unauthenticated email from office.example is not accepted due "
                   "to domain's DMARC policy"), "authfailure"),
    (sample("bounce", type="bounce", status="5.0.0", bounce_classification="Unclassified",
            reason="500 unknown recipient"), "userunknown"),
    (sample("bounce", type="blocked", status="5.0.0", reason="550 Message refused"), "blocked"),
    (sample("bounce", type="bounce", status="5.1.1", reason="550 5.1.1 User unknown"),
     "userunknown"),
    (sample("dropped", reason="Bounced Address", status="5.0.0"), "suppressed"),
    (sample("dropped", reason="Unsubscribed Address", status="5.0.0"), "suppressed"),
    (sample("dropped", reason="Spam Reporting Address", status="5.0.0"), "suppressed"),
    (sample("dropped", reason="Invalid", status="5.0.0"), "userunknown"),
    (sample("dropped", reason="Spam Content (if spam checker app enabled)", status="5.0.0"),
     "spamdetected"),
    (sample("deferred", response="452 4.2.2 Mailbox full", attempt="3"), "mailboxfull"),
    (sample("deferred", response="421 4.7.0 Too many connections, try again later",
            attempt="1"), "ratelimited"),
])
def test_failures_carry_a_reason(event, reason):
    [mapped] = sendgrid.events_from_body(json.dumps([event]).encode())
    assert mapped.reason == reason


def test_only_failures_carry_a_reason():
    events = sendgrid.events_from_body(json.dumps(SAMPLE_BATCH).encode())
    assert {e.type: e.reason for e in events if e.type not in ("rejected", "delayed")} == {
        "sent": "", "opened": "", "clicked": "", "spam": ""}


# SendGrid's open events carry sg_machine_open: true when SendGrid judged the open a
# machine's (Apple's privacy proxy prefetching the image, mostly); false otherwise.
@pytest.mark.parametrize("flag, machine", [(True, True), (False, False), (None, False)])
def test_sg_machine_open_marks_a_machine_open(private_key, public_key_b64, flag, machine):
    extra = {} if flag is None else {"sg_machine_open": flag}
    [opened] = parse(private_key, public_key_b64, [sample(
        "open", useragent="Mozilla/5.0", ip="17.58.0.1", **extra)])
    assert opened.type == "opened"
    assert opened.machine == ("The mail service's own flag" if machine else "")
    assert opened.machine_flag == ("SendGrid sg_machine_open: true" if machine else "")
