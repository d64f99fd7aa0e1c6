"""Postmark webhooks: fixtures follow Postmark's published webhook examples."""

import base64
import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.events.providers import postmark
from app.events.webhooks import WebhookAuthError, WebhookPayloadError

USER, PASSWORD = "clientele-hooks", "s3cret:with:colons"
POSTMARK_ID = "883953f4-6105-42a2-a16a-77a8eac79483"
OUR_ID = "inv-42.7f3a@clientele.example"
METADATA = {"clientele_message_id": f"<{OUR_ID}>", "invoice": "42"}


def auth(user: str = USER, password: str = PASSWORD) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def parse(record, headers=None):
    body = record if isinstance(record, bytes) else json.dumps(record).encode()
    return postmark.parse_webhook(body, headers if headers is not None else auth(), username=USER, password=PASSWORD)


def bounce(type_: str, type_code: int, **extra) -> dict:
    record = {
        "RecordType": "Bounce", "MessageStream": "outbound", "ID": 4323372036854775807,
        "Type": type_, "TypeCode": type_code, "Name": "Hard bounce", "Tag": "Test",
        "MessageID": POSTMARK_ID, "Metadata": METADATA, "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "Test bounce details", "Email": "john@example.com", "From": "sender@example.com",
        "BouncedAt": "2019-11-05T16:33:54.9070259Z", "DumpAvailable": True, "Inactive": True,
        "CanActivate": True, "Subject": "Test subject", "Content": "<Full dump of bounce>",
    }
    record.update(extra)
    return record


DELIVERY = {
    "MessageID": POSTMARK_ID, "Recipient": "john@example.com", "DeliveredAt": "2019-11-05T16:33:54.9070259Z",
    "Details": "Test delivery webhook details", "Tag": "welcome-email", "ServerID": 23,
    "Metadata": METADATA, "RecordType": "Delivery", "MessageStream": "outbound",
}
SPAM_COMPLAINT = bounce("SpamComplaint", 512, RecordType="SpamComplaint", ID=42, Details="Test spam complaint details")
OPEN = {
    "RecordType": "Open", "MessageStream": "outbound", "FirstOpen": True,
    "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
    "OS": {"Name": "OS X 10.7 Lion", "Company": "Apple Computer, Inc.", "Family": "OS X 10"},
    "Platform": "WebMail",
    "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5) AppleWebKit/537.36 Chrome/35.0.1916.153 Safari/537.36",
    "ReadSeconds": 5, "Geo": {"CountryISOCode": "RS", "Country": "Serbia", "IP": "188.2.95.4"},
    "MessageID": POSTMARK_ID, "Metadata": METADATA, "ReceivedAt": "2019-11-05T16:33:54.9070259Z",
    "Tag": "welcome-email", "Recipient": "john@example.com",
}
CLICK = {
    "RecordType": "Click", "MessageStream": "outbound", "ClickLocation": "HTML",
    "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
    "Platform": "Desktop", "UserAgent": "Mozilla/5.0 (Macintosh) Chrome/35.0.1916.153",
    "OriginalLink": "https://example.com", "Geo": {"IP": "188.2.95.4"},
    "MessageID": POSTMARK_ID, "Metadata": METADATA, "ReceivedAt": "2017-10-25T15:21:11.0000000Z",
    "Tag": "welcome-email", "Recipient": "john@example.com",
}
POSTMARK_TIME = datetime(2019, 11, 5, 16, 33, 54, 907025, tzinfo=timezone.utc)


def test_delivery_is_sent_and_delivered():
    [event] = parse(DELIVERY)
    assert (event.type, event.delivered) == ("sent", True)
    assert event.provider == "postmark"
    assert event.recipient == "john@example.com"
    assert event.message_id == OUR_ID  # ours from Metadata, not Postmark's MessageID
    assert event.occurred_at == POSTMARK_TIME
    assert event.diagnostic == "Test delivery webhook details"
    assert event.raw["MessageID"] == POSTMARK_ID


@pytest.mark.parametrize(
    ("type_", "code", "expected"),
    [("HardBounce", 1, "rejected"), ("BadEmailAddress", 100000, "rejected"), ("Blocked", 100001, "rejected"),
     ("SoftBounce", 4096, "delayed"), ("Transient", 2, "delayed"), ("DnsError", 256, "delayed"),
     ("SpamNotification", 512, "spam")],
)
def test_bounce_types_map_to_our_types(type_, code, expected):
    [event] = parse(bounce(type_, code))
    assert event.type == expected
    assert event.provider_event_id == "Bounce:4323372036854775807"
    assert event.recipient == "john@example.com"
    assert event.diagnostic == "Test bounce details"
    assert event.occurred_at == POSTMARK_TIME


@pytest.mark.parametrize("type_", ["AutoResponder", "Unsubscribe", "AddressChange", "ChallengeVerification"])
def test_bounces_that_are_not_about_delivery_are_skipped(type_):
    assert parse(bounce(type_, 64)) == []


def test_spam_complaint():
    [event] = parse(SPAM_COMPLAINT)
    assert event.type == "spam"
    assert event.provider_event_id == "SpamComplaint:42"


def test_open_carries_agent_and_ip():
    [event] = parse(OPEN)
    assert event.type == "opened"
    assert event.user_agent.startswith("Mozilla/5.0 (Macintosh")
    assert event.ip == "188.2.95.4"
    assert event.occurred_at == POSTMARK_TIME


def test_click_carries_the_original_link():
    [event] = parse(CLICK)
    assert (event.type, event.url) == ("clicked", "https://example.com")
    assert event.occurred_at == datetime(2017, 10, 25, 15, 21, 11, tzinfo=timezone.utc)


def test_records_without_id_get_a_content_hash_that_dedupes_retries():
    [first] = parse(OPEN)
    [again] = parse(dict(reversed(list(OPEN.items()))))
    [other] = parse(dict(OPEN, ReceivedAt="2019-11-05T16:40:00Z"))
    assert first.provider_event_id == again.provider_event_id != other.provider_event_id


def test_message_id_from_original_headers_when_no_metadata():
    record = dict(bounce("HardBounce", 1), Metadata={},
                  Headers=[{"Name": "Subject", "Value": "x"}, {"Name": "Message-ID", "Value": f"<{OUR_ID}>"}])
    [event] = parse(record)
    assert event.message_id == OUR_ID


def test_no_message_id_when_postmark_echoes_none():
    [event] = parse(dict(DELIVERY, Metadata={}))
    assert event.message_id is None


def test_subscription_change_is_skipped():
    assert parse({"RecordType": "SubscriptionChange", "Recipient": "john@example.com"}) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth(password="wrong"),
        auth(user="someone-else"),
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    ],
)
def test_wrong_or_missing_credentials_are_refused(headers):
    with pytest.raises(WebhookAuthError):
        parse(DELIVERY, headers)


def test_lowercase_authorization_header_and_scheme_work():
    value = auth()["Authorization"].replace("Basic", "basic")
    assert parse(DELIVERY, {"authorization": value})


def test_unconfigured_credentials_are_a_configuration_error():
    with pytest.raises(ValueError):
        postmark.parse_webhook(json.dumps(DELIVERY).encode(), auth("", ""), username="", password="")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"nope", "not valid JSON"),
        (b"[]", "JSON object"),
        (json.dumps({"Recipient": "a@b.c"}).encode(), "RecordType"),
        (json.dumps(dict(DELIVERY, DeliveredAt="2019-11-05 sometime")).encode(), "DeliveredAt"),
        (json.dumps(dict(DELIVERY, DeliveredAt="2019-11-05T16:33:54")).encode(), "time zone"),
        (json.dumps(bounce("HardBounce", 1, Type=None)).encode(), "Type"),
    ],
)
def test_malformed_records_say_what_is_wrong(body, message):
    with pytest.raises(WebhookPayloadError, match=message):
        parse(body)


# -- fuzzing -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
timestamps = st.datetimes(timezones=st.timezones() | st.just(timezone.utc)).map(lambda d: d.isoformat()) | json_values
record_like = st.fixed_dictionaries(
    {},
    optional={
        "RecordType": st.sampled_from(["Delivery", "Bounce", "SpamComplaint", "Open", "Click", "Other"]) | json_values,
        "Type": st.sampled_from(sorted(postmark.BOUNCE_TYPES) + ["AutoResponder"]) | json_values,
        "ID": json_values, "DeliveredAt": timestamps, "BouncedAt": timestamps, "ReceivedAt": timestamps,
        "Recipient": json_values, "Email": json_values, "Metadata": json_values, "Headers": json_values,
        "Geo": json_values, "UserAgent": json_values, "OriginalLink": json_values,
    },
)


@settings(max_examples=300)
@given(record=record_like | json_values)
def test_arbitrary_authenticated_json_only_raises_payload_errors(record):
    try:
        events = parse(json.dumps(record).encode())
    except WebhookPayloadError:
        return
    assert all(e.occurred_at.tzinfo is not None for e in events)


@given(body=st.binary(max_size=300))
def test_arbitrary_authenticated_bytes_only_raise_payload_errors(body):
    try:
        parse(body)
    except WebhookPayloadError:
        pass


# -- reasons: Postmark's bounce Type first, its Details as fallback -------------------------------
@pytest.mark.parametrize("type_, code, details, reason", [
    ("HardBounce", 1, "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
     "userunknown"),
    ("HardBounce", 1, "smtp;550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain",
     "hostunknown"),
    # The category wins over words that name another party.
    ("HardBounce", 1, "smtp;550 Message refused by policy", "userunknown"),
    ("SoftBounce", 4096, "smtp;452 4.2.2 The email account that you tried to reach is over "
     "quota.", "mailboxfull"),
    ("SoftBounce", 4096, "smtp;550 5.2.1 The email account that you tried to reach is disabled.",
     "suspend"),
    ("Transient", 2, "smtp;421 4.4.2 Connection timed out", "networkerror"),
    ("DnsError", 256, "DNS lookup failed", "networkerror"),
    ("Blocked", 100000, "smtp;554 5.7.1 Service unavailable; Client host [50.31.156.6] blocked "
     "using zen.spamhaus.org", "blocked"),
    ("Blocked", 100000, "Test bounce details", "blocked"),
    ("DMARCPolicy", 100009, "smtp;550 5.7.1 Unauthenticated email is not accepted",
     "authfailure"),
    ("BadEmailAddress", 100000, "Invalid email address", "userunknown"),
    ("ManuallyDeactivated", 8192, "Deactivated by the account holder", "suppressed"),
    ("InactiveRecipient", 406, "The address was deactivated after a hard bounce", "suppressed"),
    ("VirusNotification", 16384, "Virus found", "virusdetected"),
    ("ContentRelated", 100000, "smtp;554 5.7.1 Message rejected as spam", "spamdetected"),
    ("SMTPApiError", 100006, "SMTP API error", "mailererror"),
    ("TemplateRenderingFailed", 100010, "Template rendering failed", "contenterror"),
    ("Unknown", 2048, "smtp;552 5.3.4 Message size exceeds fixed limit", "emailtoolarge"),
])
def test_bounce_types_carry_a_reason(type_, code, details, reason):
    [event] = parse(bounce(type_, code, Details=details))
    assert event.type in ("rejected", "delayed")
    assert event.reason == reason


def test_spam_notifications_and_complaints_carry_no_reason():
    assert parse(bounce("SpamNotification", 512))[0].reason == ""
    assert parse(SPAM_COMPLAINT)[0].reason == ""
