"""Postmark webhooks: one JSON record per request, protected by HTTP basic auth.

Postmark does not sign webhooks; the webhook URL is configured with a username
and password (``https://user:pass@host/...``) which Postmark sends as a Basic
Authorization header. The record kind is in ``RecordType``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.events.provider_reasons import POSTMARK_TYPES, from_table
from app.events.webhooks import (
    MESSAGE_ID_KEY,
    ProviderEvent,
    WebhookAuthError,
    WebhookPayloadError,
    canonical_hash,
    clean_message_id,
    get_dict,
    get_list,
    get_str,
    header,
    load_json,
    parse_iso,
)

PROVIDER = "postmark"

# Bounce "Type" -> our type (its reason: app.events.provider_reasons). Types not listed
# (AutoResponder, Subscribe, Unsubscribe, AddressChange, ChallengeVerification,
# OpenRelayTest, InboundError, Unconfirmed) are not about delivering our email: skipped.
BOUNCE_TYPES: dict[str, str] = {
    "HardBounce": "rejected",
    "BadEmailAddress": "rejected",
    "Blocked": "rejected",
    "DMARCPolicy": "rejected",
    "ManuallyDeactivated": "rejected",
    "InactiveRecipient": "rejected",  # not sent: the address was deactivated earlier
    "ContentRelated": "rejected",
    "VirusNotification": "rejected",
    "SMTPApiError": "rejected",
    "TemplateRenderingFailed": "rejected",
    "Unknown": "rejected",
    "SoftBounce": "delayed",
    "Transient": "delayed",
    "DnsError": "delayed",
    # The receiving system classified it as spam (not a person's complaint,
    # but what users mean by "Marked Spam").
    "SpamNotification": "spam",
    "SpamComplaint": "spam",
}


def parse_webhook(body: bytes, headers: Mapping[str, str], *, username: str, password: str) -> list[ProviderEvent]:
    """Authenticate one Postmark webhook request and map its record (zero or one events)."""
    check_basic_auth(headers, username, password)
    record = load_json(body, "the Postmark webhook body")
    if not isinstance(record, dict):
        raise WebhookPayloadError("the Postmark webhook body should be a JSON object")
    event = _map_record(record)
    return [] if event is None else [event]


def check_basic_auth(headers: Mapping[str, str], username: str, password: str) -> None:
    if not username or not password:
        raise ValueError("the Postmark webhook username and password are not configured")
    given_user, given_password = _basic_credentials(header(headers, "Authorization"))
    # Both comparisons always run, so timing does not tell which part was wrong.
    user_ok = hmac.compare_digest(given_user, username.encode("utf-8"))
    password_ok = hmac.compare_digest(given_password, password.encode("utf-8"))
    if not (user_ok & password_ok):
        raise WebhookAuthError("the Postmark webhook credentials do not match")


def _basic_credentials(value: str | None) -> tuple[bytes, bytes]:
    if value is None:
        raise WebhookAuthError("the Authorization header is missing")
    scheme, _, encoded = value.strip().partition(" ")
    if scheme.lower() != "basic":
        raise WebhookAuthError("the Authorization header is not HTTP Basic")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookAuthError("the Basic credentials are not valid base64") from exc
    user, colon, password = decoded.partition(b":")
    if not colon:
        raise WebhookAuthError("the Basic credentials have no ':' separator")
    return user, password


def _map_record(record: dict[str, Any]) -> ProviderEvent | None:
    kind = get_str(record, "RecordType")
    if kind is None:
        raise WebhookPayloadError("the Postmark record has no RecordType")
    mapping = _RECORD_MAPPERS.get(kind)
    return None if mapping is None else mapping(record)


def _delivery(record: dict[str, Any]) -> ProviderEvent:
    return _event(record, "sent", parse_iso(record.get("DeliveredAt"), "DeliveredAt"),
                  recipient=get_str(record, "Recipient"), delivered=True,
                  diagnostic=get_str(record, "Details"))


def _bounce(record: dict[str, Any]) -> ProviderEvent | None:
    bounce_type = get_str(record, "Type")
    if record.get("RecordType") == "SpamComplaint":
        type_ = "spam"
    elif bounce_type is None:
        raise WebhookPayloadError("the Postmark bounce has no Type")
    elif bounce_type in BOUNCE_TYPES:
        type_ = BOUNCE_TYPES[bounce_type]
    else:
        return None
    details = get_str(record, "Details") or get_str(record, "Description")
    reason = from_table(POSTMARK_TYPES, bounce_type, None, details) if type_ != "spam" else ""
    return _event(record, type_, parse_iso(record.get("BouncedAt"), "BouncedAt"),
                  recipient=get_str(record, "Email"), diagnostic=details, reason=reason)


def _open(record: dict[str, Any]) -> ProviderEvent:
    return _event(record, "opened", parse_iso(record.get("ReceivedAt"), "ReceivedAt"),
                  recipient=get_str(record, "Recipient"), user_agent=get_str(record, "UserAgent"),
                  ip=get_str(get_dict(record, "Geo"), "IP"))


def _click(record: dict[str, Any]) -> ProviderEvent:
    return _event(record, "clicked", parse_iso(record.get("ReceivedAt"), "ReceivedAt"),
                  recipient=get_str(record, "Recipient"), user_agent=get_str(record, "UserAgent"),
                  ip=get_str(get_dict(record, "Geo"), "IP"), url=get_str(record, "OriginalLink"))


_RECORD_MAPPERS = {
    "Delivery": _delivery,
    "Bounce": _bounce,
    "SpamComplaint": _bounce,
    "Open": _open,
    "Click": _click,
}


def _event(record: dict[str, Any], type_: str, occurred_at: datetime, *, recipient: str | None,
           delivered: bool = False, diagnostic: str | None = None, user_agent: str | None = None,
           ip: str | None = None, url: str | None = None, reason: str = "") -> ProviderEvent:
    return ProviderEvent(
        provider=PROVIDER,
        provider_event_id=_event_id(record),
        type=type_,  # type: ignore[arg-type]
        delivered=delivered,
        recipient=recipient,
        message_id=_our_message_id(record),
        occurred_at=occurred_at,
        code=None,  # Postmark gives no SMTP code; the Type name is in raw
        diagnostic=diagnostic,
        reason=reason,
        user_agent=user_agent,
        ip=ip,
        url=url,
        raw=record,
    )


def _event_id(record: dict[str, Any]) -> str:
    # Bounce and spam complaint records have a numeric ID; deliveries, opens
    # and clicks have none, so a retried webhook is recognised by its content.
    record_id = record.get("ID")
    if isinstance(record_id, (int, str)) and not isinstance(record_id, bool) and str(record_id).strip():
        return f"{record['RecordType']}:{str(record_id).strip()}"
    return canonical_hash(PROVIDER, record)


def _our_message_id(record: dict[str, Any]) -> str | None:
    # "MessageID" is Postmark's own id (kept in raw); ours travels in Metadata,
    # or in the original headers when Postmark includes them.
    found = clean_message_id(get_dict(record, "Metadata").get(MESSAGE_ID_KEY))
    if found:
        return found
    for item in get_list(record, "Headers"):
        if isinstance(item, dict) and str(item.get("Name", "")).lower() == "message-id":
            return clean_message_id(item.get("Value"))
    return None
