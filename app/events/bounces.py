"""Classify inbound mail to our bounce address: DSN, complaint, auto-reply or other.

Pure functions: a worker, a CLI and the tests call `classify(raw)` directly.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from typing import Any

from app.events import bounce_rules as rules
from app.events import feedback
from app.events.autoreply import is_auto_generated, is_autoreply
from app.events.bounce_text import (
    explicit_failures,
    flufl_failures,
    is_verp_address,
    original_recipients,
    own_addresses,
    report_text,
    returns_original,
    text_recipients,
)
from app.events.dsn import (
    find_status, one_line, original_message_id, parse_delivery_status, report_time,
)
from app.events.feedback import Found
from app.events.mailparts import (
    MailParts,
    cap,
    collect,
    header,
    header_all,
    load,
    message_ids_in,
    report_type,
    strip_angle,
)
from app.events.reasons import as_temporary, canonical, class_of, reason_for

log = logging.getLogger(__name__)

_SEVERITY = {"spam": 3, "rejected": 2, "delayed": 1}
_VERP_RE = re.compile(r"(?i)(?<![\w.+-])bounces\+([A-Za-z0-9_-]+)@")
_VERP_HEADERS = ("delivered-to", "x-original-to", "to", "envelope-to", "x-envelope-to")
_SKIPPED_ACTIONS = ("delivered", "relayed", "expanded")
_FAILED = ("rejected", "delayed")
# Echoed headers of our own message: its subject is ours, not the server's reason.
_ECHOED_HEADER_RE = re.compile(
    r"(?im)^[ \t>]*(?:subject|betreff|objet|asunto|oggetto|assunto|onderwerp|temat|тема"
    r"|from|to|cc|date|sent|message-id)[ \t]*:.*$"
)


@dataclass(frozen=True)
class RecipientResult:
    address: str
    status: str
    code: str | None
    diagnostic: str | None
    # Why it failed (app.events.reasons), for every rejected or delayed recipient; derived
    # from the code and diagnostic when not given. A complaint ("spam") has none: it is a
    # person's verdict on our mail, not a delivery failure, and is handled as such.
    reason: str = ""

    def __post_init__(self) -> None:
        if self.status not in _FAILED:
            object.__setattr__(self, "reason", "")
        else:  # old names (mesgtoobig) under their current one
            reason = canonical(self.reason) if self.reason else reason_for(
                self.code, self.diagnostic, temporary=self.status == "delayed")
            if self.status == "delayed":
                reason = as_temporary(reason)
            object.__setattr__(self, "reason", reason)

    @property
    def failure_class(self) -> str:
        """Whose problem: address, mailbox, office, message or other; "" for a complaint."""
        return class_of(self.reason) if self.reason else ""


@dataclass(frozen=True)
class Classification:
    kind: str
    recipients: list[RecipientResult]
    # What the report names (the envelope, else its headers): what it says, not proof of
    # anything, since headers are the sender's to write (app.mail.inbound reads the envelope).
    verp_token: str | None
    original_message_id: str | None
    feedback_type: str | None = None  # of a feedback report (kind "arf"): "abuse", ...
    # A copy of our email came back (attached, its headers, or pasted below the notice):
    # without one, only a VERP envelope can tie the notice to an email of ours.
    has_original: bool = False
    # The VERP token our email was sent with, as the returned copy names it (its
    # Return-Path, a feedback report's Original-Mail-From): like its Message-ID, unguessable.
    returned_verp_token: str | None = None
    returned_stamp: str | None = None  # its X-Clientele-Message: ours only if its MAC checks
    error: str | None = None  # what could not be read (a mail bomb cut short, junk)
    reported_at: datetime | None = None  # when it happened, by the report (dsn.report_time)

    @property
    def is_complaint(self) -> bool:
        """A feedback report in which a recipient complained (named or redacted)."""
        return self.kind == "arf" and not feedback.is_no_complaint(self.feedback_type)

    def as_json(self, file: str) -> dict[str, Any]:
        shape = {
            "file": file,
            "kind": self.kind,
            "recipients": [
                {"address": r.address, "status": r.status, "code": r.code,
                 "diagnostic": r.diagnostic, "reason": r.reason, "class": r.failure_class}
                for r in self.recipients
            ],
        }
        if self.feedback_type:
            shape["feedback_type"] = self.feedback_type
        shape["has_original"] = self.has_original
        if self.error:
            shape["error"] = self.error
        return shape


def classify(raw: bytes, *, envelope_recipient: str | None = None) -> Classification:
    """What this inbound message tells us about our mail; never raises."""
    try:
        data = raw if isinstance(raw, bytes) else bytes(raw)
        return _classify(data, envelope_recipient)
    except Exception as exc:  # a worker must survive any mail the internet sends
        # One line: a traceback in the CLI's output or the worker's log helps nobody here.
        log.warning("could not classify inbound message: %s", type(exc).__name__)
        log.debug("could not classify inbound message", exc_info=True)
        return Classification("unknown", [], None, None,
                              error=f"could not read this message ({type(exc).__name__})")


def _classify(raw: bytes, envelope: str | None) -> Classification:
    data, cut = cap(raw)
    msg = load(data)
    parts = collect(msg)
    # A recipient the notice names as failed outranks the same address among our own.
    own = own_addresses(msg, parts, envelope) - explicit_failures(msg, parts)
    ses = feedback.ses_notification(parts.texts)
    kind, found = _detect(msg, parts, own, len(raw), ses)
    return Classification(
        kind=kind,
        # A complaint names its recipients explicitly; one may also be the mail's sender.
        recipients=_merge(found, set() if kind == "arf" else own),
        verp_token=_verp_token(msg, envelope),
        original_message_id=_original_id(msg, parts, kind, ses),
        feedback_type=feedback.feedback_type(msg, parts, ses) if kind == "arf" else None,
        has_original=returns_original(parts) or bool(ses and feedback.ses_message_id(ses)),
        returned_verp_token=_first_verp(feedback.returned_senders(parts)),
        returned_stamp=feedback.returned_stamp(parts),
        error=cut if cut or msg.keys() else "no mail headers found",
        reported_at=report_time(parts.dsn_texts, header(msg, "Date")),
    )


def _detect(
    msg: Message, parts: MailParts, own: set[str], size: int, ses: dict[str, Any] | None
) -> tuple[str, list[Found]]:
    # Structure first: a DSN that also says Auto-Submitted is still a DSN.
    if parts.feedback_texts or report_type(msg) == "feedback-report":
        return "arf", feedback.parse_arf(parts)
    if rules.forwarded_by_person(msg):
        # What failed was the person's own mail, and the report says nothing of ours.
        return "unknown", []
    if parts.dsn_texts and not (parts.dsn_embedded and rules.replied_by_person(msg)):
        return "dsn", _dsn_recipients(msg, parts, own, size)
    if ses is not None:
        kind = feedback.ses_kind(ses)
        return kind, feedback.parse_ses(ses) if kind != "unknown" else []
    if feedback.is_jmrp(msg, parts):
        return "arf", feedback.parse_jmrp(parts)
    if feedback.is_unsubscribe_request(msg):
        return "arf", []  # an opt-out, not a complaint (feedback.NOT_COMPLAINTS)

    report = report_text(parts)
    if rules.reports_success(msg, report):
        return "unknown", []  # "Delivery Status Notification (Success)": nothing failed
    if rules.warns_of_quota(msg) and not returns_original(parts):
        return "unknown", []  # our own mailbox filling up: nothing of ours failed
    signal = 0 if rules.replied_by_person(msg) else rules.bounce_signal(msg, report)
    if signal == 2 and (rules.sent_by_mailer(msg) or _hints_borne_out(msg, parts, report, size)):
        return "dsn", _text_bounce(msg, parts, own, size)
    autoreply = is_autoreply(msg)
    if signal == 1 and not _is_list_mail(msg) and _borne_out(msg, parts, report, size):
        found = _text_bounce(msg, parts, own, size)
        # Some mailers put auto-reply headers on every notice they send: they do not hide a
        # failure the notice reports in a mailer's words or codes.
        if found and (not autoreply or rules.reports_failure(report)):
            return "dsn", found
        if autoreply:
            return "autoreply", []
        if rules.names_mailer(msg):
            return "dsn", found
    elif autoreply:
        return "autoreply", []
    elif not header(msg, "in-reply-to") and any(flufl_failures(msg, size)):
        # An unfamiliar bounce that flufl.bounce still recognises.
        return "dsn", _text_bounce(msg, parts, own, size)
    if is_auto_generated(msg):
        return "autoreply", []
    return "unknown", []


def _borne_out(msg: Message, parts: MailParts, report: str, size: int) -> bool:
    """A lone hint (a mailer's From:, a failure subject or sentence) backed by what bounces
    carry and people's mail does not: the returned original, a failure flufl.bounce reads, or
    a mailer quoting a server's reply code. Customers and AP portals write "could not be
    delivered to ap@..." too, and the addresses they name are not failed recipients."""
    if returns_original(parts) or any(flufl_failures(msg, size)):
        return True
    return (
        rules.names_mailer(msg)
        and not rules.REPLY_SUBJECT_RE.match(header(msg, "subject"))
        and rules.context_codes(report) != (None, None)
    )


def _hints_borne_out(msg: Message, parts: MailParts, report: str, size: int) -> bool:
    """A failure subject and sentence from a sender that is no mailer ("Undeliverable" /
    "could not be delivered to" from a customer, a list, a newsletter) need backing too; a
    status code like 5.1.1 is enough outside list mail."""
    if _borne_out(msg, parts, report, size):
        return True
    return not _is_bulk(msg) and rules.context_codes(report)[0] is not None


def _is_bulk(msg: Message) -> bool:
    """Newsletters and list mail: their 'delivery failed' subjects are bait, not bounces."""
    precedence = header(msg, "precedence").lower()
    return precedence in ("bulk", "list", "junk") or bool(header(msg, "list-unsubscribe"))


def _is_list_mail(msg: Message) -> bool:
    """Bulk mail, unless a mailer daemon marked its own notice "Precedence: junk" or "bulk"
    (as some do, to keep auto-responders from answering it)."""
    if not _is_bulk(msg):
        return False
    return bool(header(msg, "list-unsubscribe")) or not rules.names_mailer(msg)


def _dsn_recipients(msg: Message, parts: MailParts, own: set[str], size: int) -> list[Found]:
    entries = [e for text in parts.dsn_texts for e in parse_delivery_status(text)]
    if not entries:
        # A report part we cannot read: the notice text usually says the same.
        return _text_bounce(msg, parts, own, size)
    report = report_text(parts)
    text_found = {f.address: f for f in text_recipients(msg, parts, own, size)}
    # One recipient: the notice's own words explain it even when they name nobody.
    lone = report if len(entries) == 1 else None
    leaning = rules.document_leaning(msg, report)
    found = []
    for entry in entries:
        action = entry.action or ""
        if action.startswith(_SKIPPED_ACTIONS):
            continue
        from_text = text_found.get(entry.address)
        code = entry.status or (from_text.code if from_text else None)
        diagnostic = entry.diagnostic or (from_text.diagnostic if from_text else None)
        status = _dsn_status(action, code, leaning, from_text, msg)
        if status:
            context = from_text.context if from_text else lone
            found.append(Found(entry.address, status, code, diagnostic, context=context))
    return found


def _dsn_status(
    action: str, code: str | None, leaning: str | None, from_text: Found | None, msg: Message
) -> str | None:
    if action.startswith("failed"):
        return "rejected"
    if action.startswith("delayed"):
        return "delayed"
    # No usable Action: the Status class decides, then the notice's wording.
    if code:
        return {"5": "rejected", "4": "delayed"}.get(code[0])
    if from_text:
        return from_text.status
    if leaning:
        return leaning
    return "delayed" if rules.subject_says_delay(msg) else "rejected"


def _text_bounce(msg: Message, parts: MailParts, own: set[str], size: int) -> list[Found]:
    found = text_recipients(msg, parts, own, size)
    if found:
        return found
    report = report_text(parts)
    leaning = rules.document_leaning(msg, report)
    status = leaning or ("delayed" if rules.subject_says_delay(msg) else "rejected")
    code = find_status(report)
    if code and not leaning:
        status = "delayed" if code.startswith("4") else "rejected"
    return [Found(a, status, code, None, context=report)
            for a in original_recipients(parts, own)]


def _merge(found: list[Found], own: set[str]) -> list[RecipientResult]:
    """One result per address, the most severe kept, in order of first mention."""
    best: dict[str, Found] = {}
    for item in found:
        address = item.address.strip().lower()
        # Free-text finders already drop postmaster@ and the like; a report field naming one
        # (Final-Recipient: postmaster@host) means that mailbox really was the recipient.
        if not address or address in own or is_verp_address(address):
            continue
        current = best.get(address)
        if current is None or _SEVERITY[item.status] > _SEVERITY[current.status]:
            best[address] = Found(address, item.status, item.code, item.diagnostic,
                                  item.reason, item.context)
        elif current.code is None and item.status == current.status:
            best[address] = Found(address, current.status, item.code,
                                  current.diagnostic or item.diagnostic,
                                  current.reason or item.reason,
                                  current.context or item.context)
    return [
        RecipientResult(a, f.status, f.code, one_line(f.diagnostic), _reason(f))
        for a, f in best.items()
    ]


def _reason(found: Found) -> str:
    if found.reason or found.status not in _FAILED:
        return found.reason
    context = _ECHOED_HEADER_RE.sub("", found.context) if found.context else None
    return reason_for(found.code, found.diagnostic, context=context,
                      temporary=found.status == "delayed")


def _verp_token(msg: Message, envelope: str | None) -> str | None:
    values = [envelope] if envelope else []
    for name in _VERP_HEADERS:
        values.extend(header_all(msg, name))
    return _first_verp(values)


def _first_verp(values: list[str]) -> str | None:
    for value in values:
        match = _VERP_RE.search(value or "")
        if match:
            return match.group(1)
    return None


def _original_id(
    msg: Message, parts: MailParts, kind: str, ses: dict[str, Any] | None
) -> str | None:
    for original in parts.originals:
        value = header(original, "message-id")
        if value:
            return strip_angle(value)
    for text in parts.dsn_texts:
        value = original_message_id(text)
        if value:
            return value
    if ses is not None:
        value = feedback.ses_message_id(ses)
        if value:
            return value
    own_id = strip_angle(header(msg, "message-id"))
    for text in parts.texts:
        for value in message_ids_in(text):
            if value != own_id:
                return value
    if kind == "autoreply":
        return strip_angle(header(msg, "in-reply-to"))
    return None
