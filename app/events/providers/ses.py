"""Amazon SES notifications and event publishing, delivered through SNS.

The SNS envelope is verified in ``sns``; here the SES JSON inside ``Message``
is mapped. Both SES formats are accepted: identity notifications
(``notificationType``: Bounce, Complaint, Delivery) and configuration-set
event publishing (``eventType``: also Send, Reject, Open, Click,
DeliveryDelay, Rendering Failure). Events with several recipients give one
event per recipient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.events.feedback import is_no_complaint
from app.events.provider_reasons import SES_BOUNCE_SUBTYPES, SES_DELAY_TYPES, from_table
from app.events.providers.sns import MAX_AGE, SnsMessage, is_sns_url, verify_envelope
from app.events.webhooks import (
    ProviderEvent,
    WebhookAuthError,
    WebhookPayloadError,
    canonical_hash,
    clean_message_id,
    get_dict,
    get_list,
    get_str,
    load_json,
    parse_iso,
)

PROVIDER = "ses"

BOUNCE_TYPES = {"Permanent": "rejected", "Transient": "delayed", "Undetermined": "rejected"}


@dataclass(frozen=True)
class SesResult:
    events: tuple[ProviderEvent, ...] = ()
    # Set for a SubscriptionConfirmation: the caller should GET this URL (it
    # has been checked to be https on an SNS host) to start receiving events.
    subscribe_url: str | None = None


def parse_webhook(
    body: bytes,
    *,
    topic_arn: str,
    fetch_cert: Callable[[str], bytes],
    now: datetime | None = None,
    max_age: timedelta = MAX_AGE,
) -> SesResult:
    """Verify one SNS POST for ``topic_arn`` and map the SES events in it."""
    envelope = verify_envelope(body, topic_arn=topic_arn, fetch_cert=fetch_cert, now=now, max_age=max_age)
    if envelope.type == "SubscriptionConfirmation":
        if not is_sns_url(envelope.subscribe_url, pem=False):
            raise WebhookAuthError("the SNS SubscribeURL is not an https URL on an SNS host")
        return SesResult(subscribe_url=envelope.subscribe_url)
    if envelope.type != "Notification":
        return SesResult()  # UnsubscribeConfirmation: nothing to do, and never resubscribe
    return SesResult(events=tuple(events_from_notification(envelope)))


def events_from_notification(envelope: SnsMessage) -> list[ProviderEvent]:
    notification = load_json(envelope.message.encode("utf-8", "surrogatepass"), "the SES notification")
    if not isinstance(notification, dict):
        raise WebhookPayloadError("the SES notification should be a JSON object")
    kind = get_str(notification, "eventType") or get_str(notification, "notificationType")
    if kind is None:
        raise WebhookPayloadError("the SES notification has no eventType or notificationType")
    mapper = _MAPPERS.get(kind)
    if mapper is None:
        return []  # Subscription, AmazonSnsSubscriptionSucceeded, ...
    mail = get_dict(notification, "mail")
    base = _Base(notification, _our_message_id(mail), kind)
    return mapper(notification, mail, base)


@dataclass(frozen=True)
class _Base:
    notification: dict[str, Any]
    message_id: str | None
    kind: str

    def event(self, type_: str, recipient: str | None, occurred_at: datetime, *, event_id: str | None = None,
              delivered: bool = False, code: str | None = None, diagnostic: str | None = None,
              user_agent: str | None = None, ip: str | None = None, url: str | None = None,
              reason: str = "") -> ProviderEvent:
        return ProviderEvent(
            provider=PROVIDER,
            # SES has no event id; feedbackId (bounces, complaints) is per
            # notification, so the recipient completes it.
            provider_event_id=event_id or canonical_hash(PROVIDER, self.notification, recipient),
            type=type_,  # type: ignore[arg-type]
            delivered=delivered,
            recipient=recipient,
            message_id=self.message_id,
            occurred_at=occurred_at,
            code=code,
            diagnostic=diagnostic,
            reason=reason,
            user_agent=user_agent,
            ip=ip,
            url=url,
            raw=self.notification,
        )


def _bounce(notification: dict[str, Any], mail: dict[str, Any], base: _Base) -> list[ProviderEvent]:
    bounce = _section(notification, "bounce", base.kind)
    bounce_type = get_str(bounce, "bounceType")
    if bounce_type not in BOUNCE_TYPES:
        raise WebhookPayloadError("the SES bounce has no known bounceType")
    occurred_at = parse_iso(bounce.get("timestamp"), "the SES bounce timestamp")
    feedback_id = get_str(bounce, "feedbackId")
    events = []
    sub_type = get_str(bounce, "bounceSubType")
    for recipient in _recipient_objects(bounce, "bouncedRecipients", base.kind):
        address = get_str(recipient, "emailAddress")
        code, said = get_str(recipient, "status"), get_str(recipient, "diagnosticCode")
        events.append(base.event(
            BOUNCE_TYPES[bounce_type], address, occurred_at,
            event_id=f"{feedback_id}:{address}" if feedback_id else None,
            code=code,
            diagnostic=said or sub_type,
            reason=from_table(SES_BOUNCE_SUBTYPES, sub_type, code, said),
        ))
    return events


def _complaint(notification: dict[str, Any], mail: dict[str, Any], base: _Base) -> list[ProviderEvent]:
    complaint = _section(notification, "complaint", base.kind)
    occurred_at = parse_iso(complaint.get("timestamp"), "the SES complaint timestamp")
    feedback_id = get_str(complaint, "feedbackId")
    if is_no_complaint(get_str(complaint, "complaintFeedbackType")):
        return []  # the ISP's report is no complaint (e.g. "not-spam", "auth-failure")
    # SES reports "complaints" for addresses it refused to send to because they
    # complained before: the email was not sent, so that is a rejection.
    suppressed = complaint.get("complaintSubType") == "OnAccountSuppressionList"
    events = []
    for recipient in _recipient_objects(complaint, "complainedRecipients", base.kind):
        address = get_str(recipient, "emailAddress")
        events.append(base.event(
            "rejected" if suppressed else "spam", address, occurred_at,
            event_id=f"{feedback_id}:{address}" if feedback_id else None,
            diagnostic=get_str(complaint, "complaintFeedbackType") or get_str(complaint, "complaintSubType"),
            reason="suppressed" if suppressed else "",
        ))
    return events


def _delivery(notification: dict[str, Any], mail: dict[str, Any], base: _Base) -> list[ProviderEvent]:
    delivery = _section(notification, "delivery", base.kind)
    occurred_at = parse_iso(delivery.get("timestamp"), "the SES delivery timestamp")
    return [
        base.event("sent", address, occurred_at, delivered=True, diagnostic=get_str(delivery, "smtpResponse"))
        for address in _addresses(get_list(delivery, "recipients"), "delivery recipients")
    ]


def _delivery_delay(notification: dict[str, Any], mail: dict[str, Any], base: _Base) -> list[ProviderEvent]:
    delay = _section(notification, "deliveryDelay", base.kind)
    occurred_at = parse_iso(delay.get("timestamp"), "the SES delivery delay timestamp")
    delay_type = get_str(delay, "delayType")
    return [
        base.event("delayed", get_str(recipient, "emailAddress"), occurred_at,
                   code=get_str(recipient, "status"),
                   diagnostic=get_str(recipient, "diagnosticCode") or delay_type,
                   reason=from_table(SES_DELAY_TYPES, delay_type, get_str(recipient, "status"),
                                     get_str(recipient, "diagnosticCode")))
        for recipient in _recipient_objects(delay, "delayedRecipients", base.kind)
    ]


def _per_destination(type_: str, section_name: str | None,
                     reason: str = "") -> Callable[..., list[ProviderEvent]]:
    """Send, Reject, Rendering Failure: one event per address the email was for."""

    def mapper(notification: dict[str, Any], mail: dict[str, Any], base: _Base) -> list[ProviderEvent]:
        occurred_at = parse_iso(mail.get("timestamp"), f"the SES {base.kind} mail timestamp")
        section = get_dict(notification, section_name) if section_name else {}
        diagnostic = get_str(section, "reason") or get_str(section, "errorMessage")
        return [
            base.event(type_, address, occurred_at, diagnostic=diagnostic, reason=reason)
            for address in _addresses(get_list(mail, "destination"), "mail destination")
        ]

    return mapper


def _engagement(type_: str, section_name: str) -> Callable[..., list[ProviderEvent]]:
    """Open and Click: SES does not say which recipient, unless there was only one."""

    def mapper(notification: dict[str, Any], mail: dict[str, Any], base: _Base) -> list[ProviderEvent]:
        section = _section(notification, section_name, base.kind)
        occurred_at = parse_iso(section.get("timestamp"), f"the SES {base.kind} timestamp")
        destinations = _addresses(get_list(mail, "destination"), "mail destination")
        return [base.event(
            type_, destinations[0] if len(destinations) == 1 else None, occurred_at,
            user_agent=get_str(section, "userAgent"), ip=get_str(section, "ipAddress"),
            url=get_str(section, "link"),
        )]

    return mapper


_MAPPERS: dict[str, Callable[[dict[str, Any], dict[str, Any], _Base], list[ProviderEvent]]] = {
    "Bounce": _bounce,
    "Complaint": _complaint,
    "Delivery": _delivery,
    "DeliveryDelay": _delivery_delay,
    "Send": _per_destination("sent", None),
    # SES rejects an email it finds a virus in; a template that fails to render is ours.
    "Reject": _per_destination("rejected", "reject", "virusdetected"),
    "Rendering Failure": _per_destination("rejected", "failure", "contenterror"),
    "Open": _engagement("opened", "open"),
    "Click": _engagement("clicked", "click"),
}


def _section(notification: dict[str, Any], name: str, kind: str) -> dict[str, Any]:
    section = notification.get(name)
    if not isinstance(section, dict):
        raise WebhookPayloadError(f"the SES {kind} notification has no \"{name}\" object")
    return section


def _recipient_objects(section: dict[str, Any], name: str, kind: str) -> list[dict[str, Any]]:
    recipients = [r for r in get_list(section, name) if isinstance(r, dict) and get_str(r, "emailAddress")]
    if not recipients:
        raise WebhookPayloadError(f"the SES {kind} notification lists no {name}")
    return recipients


def _addresses(values: list[Any], what: str) -> list[str]:
    addresses = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not addresses:
        raise WebhookPayloadError(f"the SES notification has no {what}")
    return addresses


def _our_message_id(mail: dict[str, Any]) -> str | None:
    # SES replaces the Message-ID when sending; the headers we submitted,
    # including ours, are echoed in mail.headers (when headers are enabled).
    for item in get_list(mail, "headers"):
        if isinstance(item, dict) and str(item.get("name", "")).lower() == "message-id":
            found = clean_message_id(item.get("value"))
            if found:
                return found
    return clean_message_id(get_dict(mail, "commonHeaders").get("messageId"))
