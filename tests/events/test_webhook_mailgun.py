"""Mailgun webhooks: fixtures follow Mailgun's published webhook payload examples."""

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.events.providers import mailgun
from app.events.webhooks import WebhookAuthError, WebhookPayloadError

SIGNING_KEY = "key-" + "5" * 32
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
EVENT_TIME = 1714564800.908181  # 2024-05-01T12:00:00.908181Z


class TokenLedger:
    """Stands in for the Redis SETNX the caller uses: True when seen before."""

    def __init__(self):
        self.seen: set[str] = set()

    def __call__(self, token: str) -> bool:
        if token in self.seen:
            return True
        self.seen.add(token)
        return False


def signature_block(timestamp: datetime = NOW, token: str | None = None, key: str = SIGNING_KEY) -> dict:
    ts = str(int(timestamp.timestamp()))
    token = token or secrets.token_hex(25)
    digest = hmac.new(key.encode(), (ts + token).encode(), hashlib.sha256).hexdigest()
    return {"timestamp": ts, "token": token, "signature": digest}


def event_data(event: str, **extra) -> dict:
    data = {
        "tags": ["my_tag_1", "my_tag_2"],
        "timestamp": EVENT_TIME,
        "envelope": {"transport": "smtp", "sender": "bob@sandbox.mailgun.org", "targets": "alice@example.com"},
        "recipient-domain": "example.com",
        "event": event,
        "campaigns": [],
        "user-variables": {"my_var_1": "Mailgun Variable #1", "my-var-2": "awesome"},
        "log-level": "info",
        "message": {
            "headers": {
                "to": "Alice <alice@example.com>",
                "message-id": "20130503182626.18666.16540@sandbox.mailgun.org",
                "from": "Bob <bob@sandbox.mailgun.org>",
                "subject": "Test webhook",
            },
            "attachments": [],
            "size": 111,
        },
        "recipient": "alice@example.com",
        "id": f"CPgfbmQMTCKtHW6uIWtuVe-{event}",
    }
    data.update(extra)
    return data


def body_for(data: dict, signature: dict | None = None) -> bytes:
    return json.dumps({"signature": signature or signature_block(), "event-data": data}).encode()


def parse(body: bytes, ledger=None, **kwargs):
    return mailgun.parse_webhook(body, signing_key=SIGNING_KEY, seen_token=ledger or TokenLedger(), now=NOW, **kwargs)


DELIVERED = event_data(
    "delivered",
    **{"delivery-status": {"tls": True, "mx-host": "smtp-in.example.com", "code": 250, "description": "",
                           "session-seconds": 0.43, "attempt-no": 1, "message": "OK", "certificate-verified": True}},
)
FAILED_PERMANENT = event_data(
    "failed", severity="permanent", reason="suppress-bounce",
    **{"delivery-status": {"attempt-no": 1, "message": "", "code": 605,
                           "description": "Not delivering to previously bounced address"}},
)
FAILED_TEMPORARY = event_data(
    "failed", severity="temporary", reason="generic",
    **{"delivery-status": {"attempt-no": 1, "code": 452, "enhanced-code": "4.2.2",
                           "message": "4.2.2 The email account that you tried to reach is over quota."}},
)
OPENED = event_data(
    "opened", ip="50.56.129.169",
    **{"client-info": {"client-name": "Chrome", "client-os": "Linux", "device-type": "desktop",
                       "client-type": "browser", "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0"}},
)
CLICKED = event_data("clicked", ip="50.56.129.169", url="https://example.com/invoice/42",
                     **{"client-info": {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0"}})


@pytest.mark.parametrize(
    ("data", "type_", "delivered"),
    [
        (event_data("accepted"), "sent", False),
        (DELIVERED, "sent", True),
        (FAILED_TEMPORARY, "delayed", False),
        (FAILED_PERMANENT, "rejected", False),
        (event_data("complained"), "spam", False),
        (OPENED, "opened", False),
        (CLICKED, "clicked", False),
    ],
)
def test_events_map_to_our_types(data, type_, delivered):
    [event] = parse(body_for(data))
    assert (event.type, event.delivered) == (type_, delivered)
    assert event.provider == "mailgun"
    assert event.provider_event_id == data["id"]
    assert event.recipient == "alice@example.com"
    assert event.message_id == "20130503182626.18666.16540@sandbox.mailgun.org"
    assert event.occurred_at == datetime(2024, 5, 1, 12, 0, 0, 908181, tzinfo=timezone.utc)
    assert event.raw == data


def test_failure_details_are_carried_over():
    [permanent] = parse(body_for(FAILED_PERMANENT))
    assert (permanent.code, permanent.diagnostic) == ("605", "Not delivering to previously bounced address")
    [temporary] = parse(body_for(FAILED_TEMPORARY))
    assert temporary.code == "4.2.2"
    assert temporary.diagnostic.startswith("4.2.2 The email account")


def test_open_and_click_details_are_carried_over():
    [opened] = parse(body_for(OPENED))
    assert opened.user_agent == "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0"
    assert opened.ip == "50.56.129.169"
    [clicked] = parse(body_for(CLICKED))
    assert clicked.url == "https://example.com/invoice/42"


def test_user_variable_message_id_wins():
    data = event_data("opened", **{"user-variables": {"clientele_message_id": "<inv-42@clientele.example>"}})
    [event] = parse(body_for(data))
    assert event.message_id == "inv-42@clientele.example"


@pytest.mark.parametrize("event", ["unsubscribed", "stored", "list_member_uploaded"])
def test_other_events_are_skipped(event):
    assert parse(body_for(event_data(event))) == []


def test_wrong_key_is_refused():
    with pytest.raises(WebhookAuthError, match="does not match"):
        parse(body_for(DELIVERED, signature_block(key="key-wrong")))


def test_signature_for_another_token_is_refused():
    signature = signature_block()
    signature["token"] = secrets.token_hex(25)
    with pytest.raises(WebhookAuthError):
        parse(body_for(DELIVERED, signature))


@pytest.mark.parametrize("age", [timedelta(minutes=11), timedelta(minutes=-11)])
def test_stale_timestamps_are_refused(age):
    with pytest.raises(WebhookAuthError, match="window"):
        parse(body_for(DELIVERED, signature_block(timestamp=NOW - age)))


def test_reused_token_is_refused():
    ledger = TokenLedger()
    body = body_for(DELIVERED)
    assert len(parse(body, ledger)) == 1
    with pytest.raises(WebhookAuthError, match="already used"):
        parse(body, ledger)


def test_a_forged_request_does_not_use_up_the_token():
    ledger = TokenLedger()
    good = signature_block()
    forged = dict(good, signature="0" * 64)
    with pytest.raises(WebhookAuthError):
        parse(body_for(DELIVERED, forged), ledger)
    assert parse(body_for(DELIVERED, good), ledger)  # the real request still goes through


@pytest.mark.parametrize(
    "signature",
    [None, "abc", {"timestamp": 1714564800, "token": "t", "signature": "s"}, {"token": "t", "signature": "s"}],
)
def test_missing_or_malformed_signature_is_refused(signature):
    with pytest.raises(WebhookAuthError):
        parse(json.dumps({"signature": signature, "event-data": DELIVERED}).encode())


@pytest.mark.parametrize(
    ("event_data_value", "message"),
    [
        (None, "event-data"),
        ({"timestamp": EVENT_TIME}, "no \"event\""),
        (dict(FAILED_PERMANENT, severity="sometimes"), "severity"),
        (dict(DELIVERED, timestamp="noon"), "timestamp"),
    ],
)
def test_malformed_event_data_says_what_is_wrong(event_data_value, message):
    body = json.dumps({"signature": signature_block(), "event-data": event_data_value}).encode()
    with pytest.raises(WebhookPayloadError, match=message):
        parse(body)


def test_non_json_body_is_a_payload_error():
    with pytest.raises(WebhookPayloadError):
        parse(b"timestamp=1&token=x&signature=y")


def test_empty_signing_key_is_a_configuration_error():
    with pytest.raises(ValueError):
        mailgun.parse_webhook(body_for(DELIVERED), signing_key="", seen_token=TokenLedger(), now=NOW)


# -- fuzzing -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
event_like = st.fixed_dictionaries(
    {},
    optional={
        "event": st.sampled_from(["accepted", "delivered", "failed", "rejected", "complained", "opened",
                                  "clicked", "unsubscribed"]) | json_values,
        "severity": st.sampled_from(["temporary", "permanent"]) | json_values,
        "timestamp": st.floats(allow_nan=False) | st.integers() | json_values,
        "id": json_values, "recipient": json_values, "ip": json_values, "url": json_values,
        "message": json_values, "delivery-status": json_values, "client-info": json_values,
        "user-variables": json_values,
    },
)


@settings(max_examples=300)
@given(data=event_like | json_values)
def test_arbitrary_signed_event_data_only_raises_webhook_errors(data):
    body = json.dumps({"signature": signature_block(), "event-data": data}).encode()
    try:
        events = parse(body)
    except (WebhookAuthError, WebhookPayloadError):
        return
    assert all(e.occurred_at.tzinfo is not None for e in events)


@given(body=st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_webhook_errors(body):
    with pytest.raises((WebhookAuthError, WebhookPayloadError)):
        parse(body)


# -- reasons: Mailgun's own reason and codes first, the server's words as fallback ---------------
# Shapes follow Mailgun's published "failed" event: severity, reason and delivery-status
# (code, description, message, bounce-code where given).
def _failed(severity: str, reason: str, **status) -> dict:
    return event_data("failed", severity=severity, reason=reason, **{"delivery-status": {
        "attempt-no": 1, "session-seconds": 0.1, "mx-host": "mx.example.com", **status}})


@pytest.mark.parametrize("data, type_, reason", [
    (_failed("permanent", "bounce", code=550, message="5.1.1 The email account that you "
             "tried to reach does not exist.", description=""), "rejected", "userunknown"),
    (_failed("permanent", "bounce", code=550, **{"bounce-code": "5.1.1"},
             message="Requested action not taken"), "rejected", "userunknown"),
    (_failed("temporary", "generic", code=452, message="4.2.2 The email account that you "
             "tried to reach is over quota."), "delayed", "mailboxfull"),
    (_failed("permanent", "suppress-bounce", code=605,
             description="Not delivering to previously bounced address", message=""),
     "rejected", "suppressed"),
    (_failed("permanent", "suppress-complaint", code=607,
             description="Not delivering to a user who marked your messages as spam"),
     "rejected", "suppressed"),
    (_failed("permanent", "old", code=0, description="Too old"), "rejected", "expired"),
    (_failed("temporary", "greylisted", code=451, message="4.7.1 Greylisted, try again"),
     "delayed", "ratelimited"),
    (_failed("permanent", "espblock", code=554, message="5.7.1 Client host blocked using "
             "zen.spamhaus.org"), "rejected", "blocked"),
    (_failed("permanent", "generic", code=554, message="5.7.1 [192.0.2.1] Message rejected "
             "due to DMARC policy"), "rejected", "authfailure"),
    (_failed("temporary", "generic", code=421, message="4.4.2 Connection timed out"),
     "delayed", "networkerror"),
])
def test_failures_carry_a_reason(data, type_, reason):
    [event] = parse(body_for(data))
    assert (event.type, event.reason) == (type_, reason)


def test_a_refusal_by_mailgun_itself_is_ours_to_fix():
    data = event_data("rejected", reject={
        "reason": "Sandbox subdomains are for test purposes only", "description": ""})
    [event] = parse(body_for(data))
    assert (event.type, event.reason) == ("rejected", "rejected")


def test_delivered_and_opened_carry_no_reason():
    for name in ("delivered", "opened", "complained"):
        [event] = parse(body_for(event_data(name)))
        assert event.reason == ""


# Mailgun's open and click bot detection (documentation: "Open and Click Bot Detection"):
# client-info.bot is "apple" (Apple Mail Privacy Protection), "gmail", "generic" or empty.
APPLE_OPEN = event_data("opened", ip="17.58.0.1", **{"client-info": {
    "client-name": "unknown", "client-type": "unknown", "user-agent": "Mozilla/5.0",
    "device-type": "unknown", "client-os": "unknown", "bot": "apple"}})


@pytest.mark.parametrize("bot, machine", [
    ("apple", "Apple Mail Privacy Protection"),
    ("gmail", "The mail service's own flag"),
    ("generic", "The mail service's own flag"),
    ("", ""),
])
def test_the_bot_field_of_an_open_marks_a_machine(bot, machine):
    data = json.loads(json.dumps(APPLE_OPEN))
    data["client-info"]["bot"] = bot
    [opened] = parse(body_for(data))
    assert opened.type == "opened"
    assert opened.machine == machine
    assert opened.machine_flag == (f"Mailgun client-info.bot: {bot}" if bot else "")


def test_a_click_flagged_generic_is_a_machine_and_an_open_without_the_field_is_not():
    click = event_data("clicked", url="https://example.com/pay", **{"client-info": {
        "user-agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/124.0", "bot": "generic"}})
    [clicked] = parse(body_for(click))
    assert clicked.machine == "The mail service's own flag"
    [opened] = parse(body_for(OPENED))  # Mailgun's own example: no "bot" field
    assert (opened.machine, opened.machine_flag) == ("", "")
