"""Mailgun webhooks: one JSON event per request, signed inside the body.

The body is ``{"signature": {"timestamp", "token", "signature"}, "event-data": {...}}``
where ``signature`` is hex HMAC-SHA256(signing key, timestamp + token). A token
is single-use: the caller's ``seen_token`` (Redis SETNX with a TTL longer than
the tolerance window) tells us whether it was used before.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from app.events.automation import APPLE_MPP, PROVIDER_FLAG
from app.events.provider_reasons import mailgun_reason
from app.events.reasons import CLASSES, reason_from_category
from app.events.webhooks import (
    DEFAULT_TOLERANCE,
    MESSAGE_ID_KEY,
    ProviderEvent,
    WebhookAuthError,
    WebhookPayloadError,
    canonical_hash,
    check_fresh,
    clean_message_id,
    get_code,
    get_dict,
    get_str,
    load_json,
    parse_epoch,
    parse_signed_timestamp,
)

PROVIDER = "mailgun"

# "failed" is split by severity below; anything not listed (unsubscribed,
# stored, list events) is skipped, not an error.
EVENT_MAP: dict[str, tuple[str, bool]] = {
    "accepted": ("sent", False),
    "delivered": ("sent", True),
    "rejected": ("rejected", False),  # Mailgun refused to send it at all
    "complained": ("spam", False),
    "opened": ("opened", False),
    "clicked": ("clicked", False),
}
FAILED_BY_SEVERITY = {"temporary": "delayed", "permanent": "rejected"}


def parse_webhook(
    body: bytes,
    *,
    signing_key: str | bytes,
    seen_token: Callable[[str], bool],
    now: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> list[ProviderEvent]:
    """Authenticate one Mailgun webhook request and map its event (zero or one)."""
    payload = load_json(body, "the Mailgun webhook body")
    if not isinstance(payload, dict):
        raise WebhookPayloadError("the Mailgun webhook body should be a JSON object")
    verify_signature(payload.get("signature"), signing_key, seen_token, now=now, tolerance=tolerance)
    event_data = payload.get("event-data")
    if not isinstance(event_data, dict):
        raise WebhookPayloadError("the Mailgun webhook body has no \"event-data\" object")
    event = _map_event(event_data)
    return [] if event is None else [event]


def verify_signature(
    signature: Any,
    signing_key: str | bytes,
    seen_token: Callable[[str], bool],
    *,
    now: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    key = signing_key.encode("utf-8") if isinstance(signing_key, str) else signing_key
    if not key:
        raise ValueError("the Mailgun webhook signing key is not configured")
    if not isinstance(signature, dict):
        raise WebhookAuthError("the Mailgun webhook body has no \"signature\" object")
    timestamp, token, given = (signature.get(k) for k in ("timestamp", "token", "signature"))
    if not (isinstance(timestamp, str) and isinstance(token, str) and isinstance(given, str)) or not token:
        raise WebhookAuthError("the Mailgun signature needs text timestamp, token and signature")
    # surrogatepass: JSON may smuggle lone surrogates in; they must fail the
    # comparison, not crash the encoder.
    signed = (timestamp + token).encode("utf-8", "surrogatepass")
    expected = hmac.new(key, signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8", "surrogatepass")):
        raise WebhookAuthError("the Mailgun signature does not match")
    check_fresh(parse_signed_timestamp(timestamp, "the Mailgun signature timestamp"), now, tolerance,
                "the Mailgun signature timestamp")
    # Asked last: only a valid, fresh signature may use up a token.
    if seen_token(token):
        raise WebhookAuthError("this Mailgun webhook token was already used (a replayed request)")


def _map_event(data: dict[str, Any]) -> ProviderEvent | None:
    name = get_str(data, "event")
    if name is None:
        raise WebhookPayloadError("the Mailgun event-data has no \"event\" field")
    if name == "failed":
        severity = get_str(data, "severity")
        if severity not in FAILED_BY_SEVERITY:
            raise WebhookPayloadError("a Mailgun \"failed\" event needs severity temporary or permanent")
        type_, delivered = FAILED_BY_SEVERITY[severity], False
    elif name in EVENT_MAP:
        type_, delivered = EVENT_MAP[name]
    else:
        return None
    status = get_dict(data, "delivery-status")
    headers = get_dict(get_dict(data, "message"), "headers")
    variables = get_dict(data, "user-variables")
    reject = get_dict(data, "reject")  # a "rejected" event: Mailgun itself refused it
    reply = get_code(status, "code")
    code = get_code(status, "enhanced-code") or get_code(status, "bounce-code") or reply
    diagnostic = (get_str(status, "description") or get_str(status, "message")
                  or get_str(reject, "reason") or get_str(data, "reason"))
    text = " ".join(filter(None, (get_str(status, "description"), get_str(status, "message"),
                                  get_str(reject, "reason"), get_str(reject, "description"))))
    if name == "rejected":
        reason = reason_from_category("rejected", code, text, within=CLASSES)
    elif type_ in ("rejected", "delayed"):
        reason = mailgun_reason(get_str(data, "reason"), code, reply, text)
    else:
        reason = ""
    client = get_dict(data, "client-info")
    # Mailgun's bot detection: "apple" (Apple's privacy proxy), "gmail", "generic"; empty
    # when it saw none.
    bot = (get_str(client, "bot") or "").strip() if type_ in ("opened", "clicked") else ""
    return ProviderEvent(
        provider=PROVIDER,
        provider_event_id=get_str(data, "id") or canonical_hash(PROVIDER, data),
        type=type_,  # type: ignore[arg-type]
        delivered=delivered,
        recipient=get_str(data, "recipient"),
        message_id=clean_message_id(variables.get(MESSAGE_ID_KEY)) or clean_message_id(headers.get("message-id")),
        occurred_at=parse_epoch(data.get("timestamp"), f"the timestamp of the Mailgun {name} event"),
        code=code,
        diagnostic=diagnostic,
        reason=reason,
        user_agent=get_str(client, "user-agent"),
        ip=get_str(data, "ip"),
        url=get_str(data, "url"),
        machine=(APPLE_MPP if bot.lower() == "apple" else PROVIDER_FLAG) if bot else "",
        machine_flag=f"Mailgun client-info.bot: {bot}" if bot else "",
        raw=data,
    )
