"""SendGrid Event Webhook: ECDSA-signed JSON arrays of events.

SendGrid signs ``timestamp + raw body`` with ECDSA P-256/SHA-256 and sends the
base64 DER signature and the timestamp in two headers. The verification key is
shown in the SendGrid UI as base64 DER (SubjectPublicKeyInfo) without PEM
framing.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.events.automation import PROVIDER_FLAG
from app.events.provider_reasons import sendgrid_reason
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
    get_str,
    header,
    load_json,
    parse_epoch,
    parse_signed_timestamp,
)

PROVIDER = "sendgrid"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

# SendGrid "event" -> (our type, delivered). Anything not listed (unsubscribe,
# group_unsubscribe, group_resubscribe, ...) is skipped, not an error.
EVENT_MAP: dict[str, tuple[str, bool]] = {
    "processed": ("sent", False),
    "delivered": ("sent", True),
    "deferred": ("delayed", False),
    "bounce": ("rejected", False),  # "type" is "bounce" or "blocked": both are final
    "blocked": ("rejected", False),
    "dropped": ("rejected", False),
    "spamreport": ("spam", False),
    "open": ("opened", False),
    "click": ("clicked", False),
}


def load_public_key(public_key_b64: str) -> ec.EllipticCurvePublicKey:
    """The verification key from SendGrid's settings page; ValueError if it is not one."""
    try:
        der = base64.b64decode("".join(public_key_b64.split()), validate=True)
        key = serialization.load_der_public_key(der)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError("the SendGrid verification key is not base64 DER public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("the SendGrid verification key is not an ECDSA P-256 key")
    return key


def parse_webhook(
    body: bytes,
    headers: Mapping[str, str],
    public_key: str | ec.EllipticCurvePublicKey,
    *,
    now: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> list[ProviderEvent]:
    """Authenticate one Event Webhook request and map its events."""
    verify_request(body, headers, public_key, now=now, tolerance=tolerance)
    return events_from_body(body)


def verify_request(
    body: bytes,
    headers: Mapping[str, str],
    public_key: str | ec.EllipticCurvePublicKey,
    *,
    now: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    key = load_public_key(public_key) if isinstance(public_key, str) else public_key
    timestamp = (header(headers, TIMESTAMP_HEADER) or "").strip()
    signature_b64 = header(headers, SIGNATURE_HEADER)
    if not signature_b64:
        raise WebhookAuthError(f"the {SIGNATURE_HEADER} header is missing")
    signed_at = parse_signed_timestamp(timestamp, f"the {TIMESTAMP_HEADER} header")
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
        key.verify(signature, timestamp.encode("ascii") + body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise WebhookAuthError("the SendGrid signature does not match") from exc
    # Checked after the signature so that the timestamp itself is trustworthy.
    check_fresh(signed_at, now, tolerance, "the SendGrid signature timestamp")


def events_from_body(body: bytes) -> list[ProviderEvent]:
    """Map an (already authenticated) Event Webhook body."""
    batch = load_json(body, "the SendGrid webhook body")
    if not isinstance(batch, list):
        raise WebhookPayloadError("the SendGrid webhook body should be a JSON array of events")
    events = []
    for index, item in enumerate(batch):
        if not isinstance(item, dict):
            raise WebhookPayloadError(f"SendGrid event #{index + 1} is not a JSON object")
        event = _map_event(item, index)
        if event is not None:
            events.append(event)
    return events


def _map_event(item: dict[str, Any], index: int) -> ProviderEvent | None:
    name = get_str(item, "event")
    if name is None:
        raise WebhookPayloadError(f"SendGrid event #{index + 1} has no \"event\" field")
    if name not in EVENT_MAP:
        return None
    type_, delivered = EVENT_MAP[name]
    where = f"SendGrid event #{index + 1} ({name})"
    code = get_code(item, "status")
    diagnostic = get_str(item, "reason") or get_str(item, "response")
    failed = type_ in ("rejected", "delayed")
    # SendGrid marks opens it believes a machine made (Apple's privacy proxy prefetching,
    # mostly) with sg_machine_open: true.
    machine = type_ == "opened" and item.get("sg_machine_open") in (True, "true", "True")
    return ProviderEvent(
        provider=PROVIDER,
        provider_event_id=get_str(item, "sg_event_id") or canonical_hash(PROVIDER, item),
        type=type_,  # type: ignore[arg-type]
        delivered=delivered,
        recipient=get_str(item, "email"),
        message_id=clean_message_id(item.get(MESSAGE_ID_KEY)) or clean_message_id(item.get("smtp-id")),
        occurred_at=parse_epoch(item.get("timestamp"), f"the timestamp of {where}"),
        code=code,
        diagnostic=diagnostic,
        reason=sendgrid_reason(item, name, code, diagnostic) if failed else "",
        user_agent=get_str(item, "useragent"),
        ip=get_str(item, "ip"),
        url=get_str(item, "url"),
        machine=PROVIDER_FLAG if machine else "",
        machine_flag="SendGrid sg_machine_open: true" if machine else "",
        raw=item,
    )
