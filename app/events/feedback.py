"""Spam complaints (ARF, Microsoft JMRP) and Amazon SES notifications mailed to us."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from app.events.dsn import clean_diagnostic, find_status
from app.events.mailparts import MailParts, addresses_in, header, normalise_address, strip_angle
from app.events.provider_reasons import SES_BOUNCE_SUBTYPES, from_table


@dataclass
class Found:
    """One recipient a detector is sure about, before de-duplication."""

    address: str
    status: str
    code: str | None
    diagnostic: str | None
    reason: str = ""  # when the source names one (a provider's category); else derived
    context: str | None = field(default=None, repr=False)  # the notice's words around it


_FIELD_RE = re.compile(r"(?im)^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_COMPLAINT_SUBJECT_RE = re.compile(
    r"(?i)^\s*(complaint about message from|abuse report|email feedback report|"
    r"\[?spam report\]?|feedback loop report|fbl report)"
)


def _report_fields(text: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for match in _FIELD_RE.finditer(text):
        fields.setdefault(match.group(1).lower(), []).append(match.group(2).strip())
    return fields


# Feedback loops may hide the complainant (RFC 6590): "redacted@", a run of x or *, or a
# hash of the local part. Such an address is nobody's; our own email names the recipient.
_REDACTED_LOCAL_RE = re.compile(
    r"(?i)^(?:.*(?:redacted|anonymi[sz]ed).*|x{3,}|[*#.]{3,}|[0-9a-f]{16,}"
    r"|(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{32,})$")


def is_redacted(address: str) -> bool:
    """An address a feedback report wrote in place of the complainant's."""
    return bool(_REDACTED_LOCAL_RE.match(address.rpartition("@")[0]))


def _original_recipients(parts: MailParts) -> list[str]:
    out: list[str] = []
    for original in parts.originals:
        for name in ("x-hmxmroriginalrecipient", "to", "delivered-to", "x-original-to"):
            found = [a for a in addresses_in(header(original, name)) if not is_redacted(a)]
            if found:
                out.extend(a for a in found if a not in out)
                break
    return out


# Feedback reports that are not a complaint by the recipient (RFC 5965, 6430, 6591): they
# must not mark the email "spam" nor suppress the address.
NOT_COMPLAINTS = {
    "auth-failure": "an authentication-failure (DMARC/DKIM/SPF) report",
    "not-spam": "the recipient marked the email as not spam",
    "virus": "a virus report",
    # Invoice emails offer no List-Unsubscribe, so such a request is misdirected or forged.
    "opt-out": "an unsubscribe request (invoice emails offer no unsubscribe link)",
}


def is_no_complaint(feedback_type: str | None) -> bool:
    """A feedback type (any case) that NOT_COMPLAINTS lists."""
    return (feedback_type or "").strip().lower() in NOT_COMPLAINTS


def _arf_fields(parts: MailParts) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for text in parts.feedback_texts:
        for name, values in _report_fields(text).items():
            fields.setdefault(name, []).extend(values)
    return fields


def _arf_type(parts: MailParts) -> str | None:
    return ((_arf_fields(parts).get("feedback-type") or [""])[0].lower().strip() or None)


def feedback_type(msg: Message, parts: MailParts, ses: dict[str, Any] | None) -> str | None:
    """What a feedback report is ("abuse", "not-spam", "opt-out", ...), lower-cased: the
    ARF Feedback-Type, the ISP's type that SES passes on, or an unsubscribe request."""
    if parts.feedback_texts:
        return _arf_type(parts)
    if ses is not None:
        return _ses_feedback_type(ses)
    return "opt-out" if is_unsubscribe_request(msg) else None


def parse_arf(parts: MailParts) -> list[Found]:
    """Complained-about recipients of an RFC 5965 feedback report (none if no complaint)."""
    kind = _arf_type(parts)
    if is_no_complaint(kind):
        return []
    fields = _arf_fields(parts)
    recipients = [
        a for v in fields.get("original-rcpt-to", []) + fields.get("removal-recipient", [])
        if (a := normalise_address(v)) and not is_redacted(a)
    ]
    if not recipients:
        recipients = _original_recipients(parts)
    return [Found(a, "spam", None, kind) for a in dict.fromkeys(recipients)]


def returned_senders(parts: MailParts) -> list[str]:
    """The envelope sender our email had, as a report returns it: a feedback report's
    Original-Mail-From (RFC 5965), the returned copy's Return-Path."""
    values = list(_arf_fields(parts).get("original-mail-from", []))
    for original in parts.originals:
        values.append(header(original, "return-path"))
    return values


def returned_stamp(parts: MailParts) -> str | None:
    """The X-Clientele-Message header of the returned copy: our signed mark (app.mail.build)."""
    for original in parts.originals:
        value = header(original, "x-clientele-message").strip()
        if value:
            return value[:500]
    return None


def is_jmrp(msg: Message, parts: MailParts) -> bool:
    """Microsoft-style complaint: the original attached as message/rfc822, no ARF part."""
    if any(header(o, "x-hmxmroriginalrecipient") for o in parts.originals):
        return True
    subject = header(msg, "subject")
    return bool(_COMPLAINT_SUBJECT_RE.match(subject)) and bool(parts.originals)


def parse_jmrp(parts: MailParts) -> list[Found]:
    return [Found(a, "spam", None, "abuse") for a in _original_recipients(parts)]


def is_unsubscribe_request(msg: Message) -> bool:
    """Apple Mail's "unsubscribe" button: a mail to a List-Unsubscribe mailto address."""
    return header(msg, "x-apple-unsubscribe").strip().lower() == "true"


# ---- Amazon SES -----------------------------------------------------------------------


def ses_notification(texts: list[str]) -> dict[str, Any] | None:
    """The SES notification object in a mailed body, unwrapping an SNS envelope."""
    for text in texts:
        if "notificationType" not in text and "eventType" not in text:
            continue
        data = _json_object(text)
        if isinstance(data, dict) and isinstance(data.get("Message"), str):
            data = _json_object(data["Message"])
        if isinstance(data, dict) and (data.get("notificationType") or data.get("eventType")):
            return data
    return None


def _json_object(text: str) -> Any:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    candidate = text[start : end + 1]
    # SNS e-mail endpoints may wrap long JSON lines; a newline is never inside a JSON string.
    for attempt in (candidate, candidate.replace("\n", ""), candidate.replace("!\n ", "")):
        try:
            return json.loads(attempt)
        except (ValueError, RecursionError):
            continue
    return None


def ses_kind(data: dict[str, Any]) -> str:
    kind = str(data.get("notificationType") or data.get("eventType") or "").lower()
    return {"bounce": "dsn", "complaint": "arf"}.get(kind, "unknown")


def parse_ses(data: dict[str, Any]) -> list[Found]:
    kind = ses_kind(data)
    if kind == "dsn":
        return _ses_bounce(data.get("bounce") or {})
    if kind == "arf":
        feedback = _ses_feedback_type(data)
        if is_no_complaint(feedback):
            return []
        complaint = data.get("complaint")
        entries = complaint.get("complainedRecipients", []) if isinstance(complaint, dict) else []
        return [
            Found(a, "spam", None, feedback)
            for e in entries if isinstance(e, dict)
            if (a := normalise_address(str(e.get("emailAddress", ""))))
        ]
    return []


def _ses_feedback_type(data: dict[str, Any]) -> str | None:
    """The ISP's Feedback-Type that an SES complaint passes on, lower-cased."""
    complaint = data.get("complaint")
    value = complaint.get("complaintFeedbackType") if isinstance(complaint, dict) else None
    return str(value or "").strip().lower() or None


def _ses_bounce(bounce: Any) -> list[Found]:
    if not isinstance(bounce, dict):
        return []
    bounce_type = str(bounce.get("bounceType", "")).lower()
    sub_type = str(bounce.get("bounceSubType") or "")
    found = []
    for entry in bounce.get("bouncedRecipients") or []:
        if not isinstance(entry, dict):
            continue
        address = normalise_address(str(entry.get("emailAddress", "")))
        if not address:
            continue
        diagnostic = clean_diagnostic(str(entry.get("diagnosticCode") or "")) or None
        code = find_status(str(entry.get("status") or "")) or find_status(diagnostic)
        if bounce_type == "permanent":
            status = "rejected"
        elif bounce_type == "transient":
            status = "delayed"
        else:
            status = "delayed" if (code or "").startswith("4") else "rejected"
        reason = from_table(SES_BOUNCE_SUBTYPES, sub_type, code, diagnostic)
        found.append(Found(address, status, code, diagnostic, reason))
    return found


def ses_message_id(data: dict[str, Any]) -> str | None:
    mail = data.get("mail")
    if not isinstance(mail, dict):
        return None
    common = mail.get("commonHeaders")
    if isinstance(common, dict) and common.get("messageId"):
        return strip_angle(str(common["messageId"]))
    for item in mail.get("headers") or []:
        if isinstance(item, dict) and str(item.get("name", "")).lower() == "message-id":
            return strip_angle(str(item.get("value", "")))
    return None
