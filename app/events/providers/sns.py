"""Amazon SNS HTTP(S) deliveries: verifying the signed envelope.

SNS signs a canonical string built from named envelope fields with the RSA key
of a certificate it serves from ``SigningCertURL``; SignatureVersion 1 uses
SHA1, 2 uses SHA256. We only fetch certificates from an https URL on an
``sns.<region>.amazonaws.com`` host, as the AWS SDK verifiers do; the TLS
connection to that host is what vouches for the certificate, so the injected
``fetch_cert`` must verify TLS (and should cache by URL): the app's is
``app.mail.sns.fetch_certificate``, kept out of this package so it stays pure.

"Raw message delivery" must be off for the subscription: raw deliveries carry
no signature and are refused.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.events.webhooks import (
    WebhookAuthError,
    WebhookPayloadError,
    check_fresh,
    load_json,
    parse_iso,
)

SNS_HOST_RE = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")

# The fields that are signed, in the documented order, per message Type.
# "Subject" is signed only when the envelope has one.
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": _CONFIRMATION_FIELDS,
}
_OPTIONAL_FIELDS = frozenset({"Subject"})
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}

# A signed message stays valid forever, so an old one could be replayed (a bounce from
# last year marking an address invalid today). SNS keeps the Timestamp of the first try
# on its retries, and its delivery policies retry for an hour at most.
MAX_AGE = timedelta(hours=1)
# Amazon's clock and ours may disagree by a little, never by more.
MAX_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class SnsMessage:
    """A verified SNS envelope."""

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: datetime
    subscribe_url: str | None
    raw: dict[str, Any] = field(hash=False, repr=False)


def is_sns_url(url: Any, *, pem: bool) -> bool:
    """True for https URLs on an SNS host (and, with ``pem``, a .pem path)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "https" or parts.username is not None or parts.password is not None:
        return False
    if port not in (None, 443) or not SNS_HOST_RE.match(parts.hostname or ""):
        return False
    if pem:
        return parts.path.endswith(".pem") and not parts.query and not parts.fragment
    return True


def canonical_string(envelope: dict[str, Any]) -> str:
    """The text SNS signed: 'Name\\nvalue\\n' for each signed field present."""
    fields = SIGNED_FIELDS.get(envelope.get("Type"))  # type: ignore[arg-type]
    if fields is None:
        raise WebhookPayloadError("the SNS message Type is not one we handle")
    lines = []
    for name in fields:
        value = envelope.get(name)
        if value is None and name in _OPTIONAL_FIELDS:
            continue
        if not isinstance(value, str):
            raise WebhookAuthError(f"the SNS message has no text {name}, so it cannot be verified")
        lines.append(f"{name}\n{value}\n")
    return "".join(lines)


def verify_envelope(
    body: bytes,
    *,
    topic_arn: str,
    fetch_cert: Callable[[str], bytes],
    now: datetime | None = None,
    max_age: timedelta = MAX_AGE,
) -> SnsMessage:
    """Check an SNS POST body is a signed message for ``topic_arn`` and return it."""
    if not topic_arn:
        raise ValueError("the SNS topic ARN is not configured")
    envelope = load_json(body, "the SNS message body")
    if not isinstance(envelope, dict):
        raise WebhookPayloadError("the SNS message body should be a JSON object")
    if envelope.get("Type") not in SIGNED_FIELDS:
        raise WebhookPayloadError("the SNS message Type is missing or not one we handle")
    # Checked before any certificate is fetched: foreign topics cost us nothing.
    if envelope.get("TopicArn") != topic_arn:
        raise WebhookAuthError("the SNS message is for a different topic")
    _verify_signature(envelope, fetch_cert, now or datetime.now(timezone.utc))
    timestamp = parse_iso(envelope.get("Timestamp"), "the SNS Timestamp")
    check_fresh(timestamp, now, max_age, "the SNS message timestamp", ahead=MAX_SKEW)
    return SnsMessage(
        type=envelope["Type"],
        message_id=envelope["MessageId"],
        topic_arn=topic_arn,
        message=envelope["Message"],
        timestamp=timestamp,
        subscribe_url=envelope.get("SubscribeURL"),
        raw=envelope,
    )


def _verify_signature(envelope: dict[str, Any], fetch_cert: Callable[[str], bytes], now: datetime) -> None:
    hash_factory = _HASHES.get(envelope.get("SignatureVersion"))  # type: ignore[arg-type]
    if hash_factory is None:
        raise WebhookAuthError("the SNS SignatureVersion is missing or unsupported")
    cert_url = envelope.get("SigningCertURL")
    if not isinstance(cert_url, str) or not is_sns_url(cert_url, pem=True):
        raise WebhookAuthError("the SNS SigningCertURL is not an https .pem URL on an SNS host")
    signed_text = canonical_string(envelope)
    signature_b64 = envelope.get("Signature")
    if not isinstance(signature_b64, str):
        raise WebhookAuthError("the SNS message has no Signature")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookAuthError("the SNS Signature is not base64") from exc
    public_key = _certificate_key(fetch_cert(cert_url), now)
    try:
        # surrogatepass: a lone surrogate cannot have been signed; let it fail verification.
        signed = signed_text.encode("utf-8", "surrogatepass")
        public_key.verify(signature, signed, padding.PKCS1v15(), hash_factory())
    except InvalidSignature as exc:
        raise WebhookAuthError("the SNS signature does not match") from exc


def _certificate_key(pem: bytes, now: datetime) -> rsa.RSAPublicKey:
    try:
        cert = x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)
    except (ValueError, TypeError) as exc:
        raise WebhookAuthError("the SNS signing certificate could not be read") from exc
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise WebhookAuthError("the SNS signing certificate is not valid at this time")
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise WebhookAuthError("the SNS signing certificate does not hold an RSA key")
    return key
