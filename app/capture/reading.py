"""What a captured message says: its subject, people, date, text, attachments, and every
address it is about (pure Python, no app).

"About" is the header fields (From, Sender, Reply-To, To, Cc), the header block of a
forwarded or quoted message in the text ("From: Ana <ana@example.com>", in the languages
mail programs write it), and the header fields of a message attached whole
(message/rfc822). An address merely written in a sentence or a signature is not: mail
mentioning a customer is not mail with them.

Mail is whatever the sender's program made: every part is read on its own, and a part
that cannot be read is left out, never the message.
"""
from __future__ import annotations

import email
import email.errors
import email.header
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message

from app.events.mailparts import cap, decode_bytes, html_to_text, part_text

MAX_BODY_CHARS = 200_000
_ADDRESS = re.compile(r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# The header lines of a forwarded or quoted message, as Gmail, Outlook, Apple Mail and
# Thunderbird write them, in English, German, French, Spanish, Dutch and Italian; the
# line may be quoted ("> ") and bold ("*From:*").
_QUOTED_FIELD = re.compile(
    r"^[>\s]*\**(from|to|cc|sender|reply-to|von|an|kopie|de|à|a|para|van|aan|da|cc)\s*\**\s*:"
    r"(?P<value>.*)$", re.I | re.M)
# "On Mon, 3 Jun 2026, Ana Lopez <ana@example.com> wrote:" and its translations, where
# the name may come after the verb ("Am 3. Juni 2026 schrieb Ana Lopez <…>:").
_WROTE = re.compile(r"^[>\s]*(on|am|le|el|op|il)\b[^\n]{0,300}?(wrote|schrieb|a écrit|"
                    r"escribió|schreef|ha scritto)[^\n]{0,300}:\s*$", re.I | re.M)
_HEADER_FIELDS = ("from", "sender", "reply-to", "to", "cc")


@dataclass
class Attachment:
    name: str
    content: bytes


@dataclass
class Reading:
    subject: str
    people: dict[str, list[list[str]]]
    sent_at: datetime | None
    message_id: str
    body: str
    addresses: list[str]  # lower-cased, in order of appearance, each once
    attachments: list[Attachment] = field(default_factory=list)


def read(raw: bytes) -> Reading:
    # Whole, attachments included, but no deeper or wider than the bounce parser's limits:
    # the standard parser recurses per nesting level, and a bomb must parse in bounded time.
    bounded, _ = cap(raw, max_bytes=len(raw))
    message = email.message_from_bytes(bounded, policy=email.policy.compat32)
    people = {name: _people(message, name) for name in ("from", "to", "cc")}
    body = _body_text(message)[:MAX_BODY_CHARS]
    found: list[str] = []
    for name in _HEADER_FIELDS:
        found += [address for _, address in _people(message, name)]
    found += _quoted_addresses(body)
    attachments: list[Attachment] = []
    for part in message.walk():
        if part is message:
            continue
        if part.get_content_type() == "message/rfc822":
            for inner in _payload_messages(part):
                for name in _HEADER_FIELDS:
                    found += [address for _, address in _people(inner, name)]
                found += _quoted_addresses(_body_text(inner))
            continue
        attachment = _attachment(part)
        if attachment is not None:
            attachments.append(attachment)
    return Reading(subject=_text(message.get("subject"))[:500] or "(no subject)",
                   people=people, sent_at=_date(message.get("date")),
                   message_id=_text(message.get("message-id")).strip()[:500],
                   body=body, addresses=_unique(found), attachments=attachments)


def people_line(people: dict, mine: str = "") -> str:
    """"from Ana Lopez to Sam, Kim": who a message was between, in a line; without the
    "from" when it is `mine` (one's own mail, BCC'd: who it went to is what matters)."""
    def names(key):
        return ", ".join(name or address for name, address in people.get(key) or [])
    senders = [address for _, address in people.get("from") or []]
    parts = [f"from {names('from')}" if senders and senders != [mine.lower()] else "",
             f"to {names('to')}" if people.get("to") else ""]
    return " ".join(p for p in parts if p)


def message_key(owner_id: int, reading: Reading | None, raw: bytes) -> str:
    """The same message for the same person: by its Message-ID, else (none, or not read)
    by its content."""
    message_id = reading.message_id if reading is not None else ""
    basis = message_id.encode("utf-8", "replace") or hashlib.sha256(raw).digest()
    return hashlib.sha256(f"{owner_id}:".encode() + basis).hexdigest()


def _text(value) -> str:
    """A header field's value as text: encoded words decoded, raw 8-bit bytes read as
    UTF-8 (else Windows-1252, as mail programs write them); '' when there is none."""
    if value is None:
        return ""
    try:
        parts = email.header.decode_header(value)
    except (LookupError, ValueError, TypeError, email.errors.HeaderParseError):
        parts = [(str(value), None)]
    text = "".join(_chunk_text(chunk, charset) for chunk, charset in parts)
    return text.replace("\r", "").replace("\n", " ")


def _chunk_text(chunk, charset: str | None) -> str:
    if isinstance(chunk, str):  # undecodable bytes arrive as surrogate escapes
        chunk = chunk.encode("utf-8", "surrogateescape")
    # Undeclared 8-bit bytes: UTF-8, else Windows-1252 (mailparts.decode_bytes' order).
    return decode_bytes(chunk, None if charset == "unknown-8bit" else charset)


def _people(message: Message, name: str) -> list[list[str]]:
    """[display name, address] of a header field. The field is split into addresses
    before its encoded words are decoded: a display name may not smuggle in an address
    ("=?utf-8?q?Eve_=3Cbob=40client.example=3E?= <eve@…>" is Eve's)."""
    values = []
    for value in message.get_all(name) or []:
        # 8-bit bytes (no encoded words in them) are read as text first.
        values.append(_text(value) if isinstance(value, email.header.Header) else str(value))
    found = []
    for display, address in email.utils.getaddresses(values):
        address = _text(address).strip().lower()
        if _ADDRESS.fullmatch(address):
            found.append([_text(display)[:200], address])
    return found


def _date(value) -> datetime | None:
    """The Date: field as a UTC moment, or None when it can't be one (unreadable, or a
    year no mail was sent in)."""
    try:
        moment = email.utils.parsedate_to_datetime(_text(value)) if value else None
        if moment is None:
            return None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(timezone.utc)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment if 1970 <= moment.year <= 2200 else None


def _body_text(message: Message) -> str:
    """The first text/plain part that is not an attachment, else the first HTML one made
    text."""
    plain = html = None
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        if part.get_content_type() == "message/rfc822":
            break  # an attached message's text is its own
        if _is_attachment(part):
            continue
        if part.get_content_type() == "text/plain" and plain is None:
            plain = part_text(part)
        elif part.get_content_type() == "text/html" and html is None:
            html = part_text(part)
    if plain and plain.strip():
        return plain.replace("\r\n", "\n").strip()
    return html_to_text(html or "").strip()


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("content-disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or (
        bool(part.get_filename()) and disposition != "inline")


def _attachment(part: Message) -> Attachment | None:
    """A part kept as a document: one sent as an attachment. Inline images (a signature's
    logo) are part of the text, not documents."""
    if part.get_content_maintype() == "multipart" or not _is_attachment(part):
        return None
    try:
        content = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - unreadable encoding: the list says it was not kept
        content = None
    name = _text(part.get_filename()) or "attachment"
    return Attachment(name[:200], content or b"")


def _payload_messages(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    if isinstance(payload, (str, bytes)):
        raw = payload.encode("utf-8", "replace") if isinstance(payload, str) else payload
        return [email.message_from_bytes(raw, policy=email.policy.compat32)]
    return []


def _quoted_addresses(text: str) -> list[str]:
    found = []
    for match in _QUOTED_FIELD.finditer(text):
        found += _ADDRESS.findall(match.group("value"))
    for match in _WROTE.finditer(text):
        found += _ADDRESS.findall(match.group(0))
    return [a.lower().strip(".'") for a in found]


def _unique(addresses: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for address in addresses:
        if address:
            seen.setdefault(address.lower(), None)
    return list(seen)
