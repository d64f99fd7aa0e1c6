from datetime import datetime, timedelta, timezone

import pytest

from app.events.webhooks import (
    ProviderEvent,
    WebhookAuthError,
    WebhookPayloadError,
    canonical_hash,
    check_fresh,
    clean_message_id,
    header,
    load_json,
    parse_epoch,
    parse_iso,
    parse_signed_timestamp,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-11-05T16:33:54.9070259Z", datetime(2019, 11, 5, 16, 33, 54, 907025, tzinfo=timezone.utc)),
        ("2014-01-15T16:09:19.6421112-05:00", datetime(2014, 1, 15, 21, 9, 19, 642111, tzinfo=timezone.utc)),
        ("2016-01-27T14:59:38.237Z", datetime(2016, 1, 27, 14, 59, 38, 237000, tzinfo=timezone.utc)),
        ("2024-05-01T12:00:00+00:00", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    ],
)
def test_parse_iso_handles_provider_formats(text, expected):
    parsed = parse_iso(text, "t")
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [None, "", "yesterday", "2024-05-01T12:00:00", 5, "0001-01-01T00:00:00+01:00"])
def test_parse_iso_refuses_bad_values(value):
    with pytest.raises(WebhookPayloadError):
        parse_iso(value, "t")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1513299569, datetime(2017, 12, 15, 0, 59, 29, tzinfo=timezone.utc)),
        (1521472262.5, datetime(2018, 3, 19, 15, 11, 2, 500000, tzinfo=timezone.utc)),
        ("1513299569", datetime(2017, 12, 15, 0, 59, 29, tzinfo=timezone.utc)),
    ],
)
def test_parse_epoch(value, expected):
    assert parse_epoch(value, "t") == expected


@pytest.mark.parametrize("value", [None, True, "noon", float("nan"), float("inf"), 10**30, -(10**15), [1]])
def test_parse_epoch_refuses_bad_values(value):
    with pytest.raises(WebhookPayloadError):
        parse_epoch(value, "t")


@pytest.mark.parametrize("value", [None, "", "12a", "-5", "1" * 12])
def test_signed_timestamps_must_be_plain_seconds(value):
    with pytest.raises(WebhookAuthError):
        parse_signed_timestamp(value, "t")


def test_check_fresh_accepts_inside_window_only():
    now = datetime(2024, 5, 1, tzinfo=timezone.utc)
    check_fresh(now - timedelta(minutes=9), now, timedelta(minutes=10), "t")
    with pytest.raises(WebhookAuthError):
        check_fresh(now - timedelta(minutes=10, seconds=1), now, timedelta(minutes=10), "t")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("<a@b>", "a@b"), (" <a@b> ", "a@b"), ("a@b", "a@b"), ("<>", None), ("", None), (None, None), (5, None)],
)
def test_clean_message_id(value, expected):
    assert clean_message_id(value) == expected


def test_header_lookup_ignores_case():
    assert header({"X-Thing": "1"}, "x-thing") == "1"
    assert header({"X-Thing": "1"}, "X-Other") is None


def test_load_json_refuses_nan_and_deep_nesting():
    with pytest.raises(WebhookPayloadError):
        load_json(b"[NaN]", "body")
    with pytest.raises(WebhookPayloadError):
        load_json(b"[" * 100000 + b"]" * 100000, "body")


def test_canonical_hash_ignores_key_order_and_survives_lone_surrogates():
    assert canonical_hash({"a": 1, "b": 2}) == canonical_hash({"b": 2, "a": 1})
    assert canonical_hash({"a": 1}) != canonical_hash({"a": 2})
    assert len(canonical_hash({"x": "\ud800"})) == 64


def test_provider_events_are_hashable_and_compare_by_value():
    when = datetime(2024, 5, 1, tzinfo=timezone.utc)
    a = ProviderEvent("ses", "id-1", "sent", True, "a@b", None, when, raw={"x": 1})
    b = ProviderEvent("ses", "id-1", "sent", True, "a@b", None, when, raw={"x": 1})
    assert a == b and len({a, b}) == 1


def test_reasons_belong_to_failures_and_a_delay_proves_no_domain_gone():
    when = datetime(2024, 5, 1, tzinfo=timezone.utc)
    sent = ProviderEvent("ses", "id-2", "sent", True, "a@b", None, when, reason="userunknown")
    assert sent.reason == ""
    derived = ProviderEvent("ses", "id-3", "rejected", False, "a@b", None, when, code="5.1.1",
                            diagnostic="550 5.1.1 User unknown")
    assert derived.reason == "userunknown"
    old_name = ProviderEvent("ses", "id-4", "rejected", False, "a@b", None, when,
                             reason="mesgtoobig")
    assert old_name.reason == "emailtoolarge"
    delayed = ProviderEvent("postmark", "id-5", "delayed", False, "a@b", None, when,
                            reason="hostunknown")
    assert delayed.reason == "networkerror"
