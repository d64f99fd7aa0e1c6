"""Tolerant reading of inbound mail: headers, readable text, report parts, originals."""

from __future__ import annotations

import base64
import binascii
import email
import html
import quopri
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser

# Real bounces are small; anything bigger is an attachment we do not need to read whole.
MAX_BYTES = 4 * 1024 * 1024
# Deeper nesting than this is a mail bomb, not a bounce.
MAX_DEPTH = 10
MAX_TEXT = 200_000
# What the parser is given at most (see `cap`): a bounce has a handful of parts and a few
# dozen header lines. The standard library's parser recurses once per multipart/message
# level (thousands of levels raise RecursionError) and keeps every part and header line.
MAX_CONTAINERS = 64  # Content-Type headers naming no leaf type (multipart/*, message/*)
MAX_PARTS = 1000  # Content-Type headers of any type
MAX_BOUNDARIES = 2000  # lines starting "--" (MIME boundaries)
MAX_HEADER_RUN = 1000  # consecutive header lines, folded ones included

DSN_TYPES = frozenset(
    {"message/delivery-status", "message/global-delivery-status", "text/delivery-status"}
)
FEEDBACK_TYPES = frozenset({"message/feedback-report", "text/feedback-report"})
ORIGINAL_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global", "message/partial"})
ORIGINAL_HEADER_TYPES = frozenset(
    {"text/rfc822-headers", "message/rfc822-headers", "message/global-headers", "text/rfc822"}
)

# Latin letters only: CJK text runs straight into addresses with no space between.
_LOCAL = r"[A-Za-z0-9\u00C0-\u024F.!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9\u00C0-\u024F-]"
# Bounded like RFC 5321 (64-octet local part, 63-octet labels), and starting only where a
# local part can start: unbounded, a long line without "@" cost quadratic time.
EMAIL_RE = re.compile(
    rf"(?<!{_LOCAL}){_LOCAL}{{1,64}}@{_LABEL}{{1,63}}(?:\.{_LABEL}{{1,63}}){{1,8}}")
_X400_PREFIX_RE = re.compile(r"^(?:smtp|rfc-?822)=")
# "Message-ID: <x>" of a pasted original, or a notice's "Original Message-ID: <x>".
_MSGID_LINE_RE = re.compile(
    r"(?im)^[ \t>]*(?:original[ -]?)?Message-I[dD][ \t]*:[ \t]*<([^<>\s]{3,250})>")
# Per-recipient delivery-status fields written into a text part: a report part whose MIME
# boundary is broken, or a mailer (Amazon WorkMail) that pastes its "technical report".
_EMBEDDED_DSN_RE = re.compile(
    r"(?im)^final-recipient[ \t]*:.*\n(?:.*\n){0,8}?(?:action|status)[ \t]*:")


@dataclass
class MailParts:
    """What a bounce is made of, sorted by role."""

    texts: list[str] = field(default_factory=list)
    dsn_texts: list[str] = field(default_factory=list)
    feedback_texts: list[str] = field(default_factory=list)
    originals: list[Message] = field(default_factory=list)
    dsn_embedded: bool = False  # dsn_texts are report fields written into a text part


_CONTENT_TYPE_RE = re.compile(rb"(?im)^content-type[ \t]*:[ \t]*")
_LEAF_TYPE_RE = re.compile(rb"(?i)(?:text|application|image|audio|video|font|model)/")
_BOUNDARY_LINE_RE = re.compile(rb"(?m)^--")
_HEADER_LINE_RE = re.compile(rb"(?m)^(?:[!-9;-~]+:|[ \t])[^\n]*(?:\n|$)")


def cap(raw: bytes, max_bytes: int = MAX_BYTES) -> tuple[bytes, str | None]:
    """The part of `raw` the parser is given, and what was left out (None: nothing).

    Cut where a limit is passed, in one linear pass each: a mail bomb then parses in
    bounded time and memory, and the bounce it may wrap still reads as one. Mail that is
    read whole (captured correspondence, whose attachments matter) gives its own size.
    """
    notes = []
    if len(raw) > max_bytes:
        raw = raw[:max_bytes]
        notes.append(f"larger than {max_bytes // 2**20} MB: only the start was read")
    containers = parts = 0
    for match in _CONTENT_TYPE_RE.finditer(raw):
        parts += 1
        # A folded or unknown type counts as a container: counting too many is harmless.
        if not _LEAF_TYPE_RE.match(raw, match.end()):
            containers += 1
        if containers > MAX_CONTAINERS or parts > MAX_PARTS:
            raw = raw[:match.start()]
            notes.append(f"more than {MAX_CONTAINERS} nested or {MAX_PARTS} MIME parts: "
                         "the rest was not read")
            break
    for count, match in enumerate(_BOUNDARY_LINE_RE.finditer(raw), 1):
        if count > MAX_BOUNDARIES:
            raw = raw[:match.start()]
            notes.append(f"more than {MAX_BOUNDARIES} MIME boundaries: the rest was not read")
            break
    raw, dropped = _cap_header_runs(raw)
    if dropped:
        notes.append(f"{dropped} header lines beyond {MAX_HEADER_RUN} in a row were skipped")
    return raw, "; ".join(notes) or None


def _cap_header_runs(raw: bytes) -> tuple[bytes, int]:
    keep: list[bytes] = []
    start = run_end = run = dropped = 0
    for match in _HEADER_LINE_RE.finditer(raw):
        run = run + 1 if match.start() == run_end else 1
        run_end = match.end()
        if run > MAX_HEADER_RUN:
            if match.start() > start:
                keep.append(raw[start:match.start()])
            start = match.end()
            dropped += 1
    if not dropped:
        return raw, 0
    keep.append(raw[start:])
    return b"".join(keep), dropped


def load(raw: bytes) -> Message:
    """The parsed message; give it `cap(raw)[0]` (a mail bomb raises RecursionError)."""
    return email.message_from_bytes(raw[:MAX_BYTES])


def _fix_surrogates(text: str) -> str:
    # compat32 keeps undecodable header bytes as surrogates; most are UTF-8 in practice.
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeError:
        return text.encode("utf-8", "replace").decode("utf-8", "replace")


def _decode_header_value(value: object) -> str:
    text = _fix_surrogates(str(value))
    if "\x1b" in text:  # raw ISO-2022-JP, not wrapped in an encoded-word
        text = decode_bytes(text.encode("utf-8", "replace"), None)
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except Exception:  # malformed encoded-words are common in junk
            pass
    return " ".join(text.split())


def header(msg: Message, name: str) -> str:
    """Decoded, unfolded value of the first `name` header, or ""."""
    values = header_all(msg, name)
    return values[0] if values else ""


def header_all(msg: Message, name: str) -> list[str]:
    wanted = name.lower()
    # Read the raw list so a broken header can never make the policy raise.
    raw_headers = getattr(msg, "_headers", [])
    return [_decode_header_value(v) for k, v in raw_headers if str(k).lower() == wanted]


def content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "text/plain"


def report_type(msg: Message) -> str:
    try:
        return str(msg.get_param("report-type", "") or "").lower().strip('"')
    except Exception:
        return ""


# Japanese mail declares charsets by names Python lacks, or by the narrower standard its
# Windows superset really is (NEC and IBM extensions, half-width katakana in ISO-2022-JP).
_CHARSET_SUPERSETS = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "windows-31j": "cp932", "csshiftjis": "cp932", "iso-2022-jp": "iso2022_jp_ext",
    "cp50220": "iso2022_jp_ext", "cp50221": "iso2022_jp_ext", "x-euc-jp": "euc_jp",
}
# ISO-2022-JP is 7-bit: undeclared, it reads as ASCII full of escape sequences.
_ISO2022JP_ESCAPES = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(I")


def decode_bytes(data: bytes, charset: str | None) -> str:
    declared = (charset or "").strip().lower()
    candidates = [declared, _CHARSET_SUPERSETS.get(declared), "utf-8"]
    if any(escape in data for escape in _ISO2022JP_ESCAPES):
        candidates.insert(0, "iso2022_jp_ext")
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeError, ValueError):  # ValueError: NUL in a charset name
            continue
    return data.decode("cp1252", "replace")


def part_text(part: Message) -> str:
    """Body of a leaf part, transfer-decoded and charset-decoded."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        payload = getattr(part, "_payload", "")
        return _fix_surrogates(payload) if isinstance(payload, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(data[:MAX_TEXT], charset)


_BLOCK_TAGS = re.compile(r"(?i)<\s*(br|/p|/div|/tr|/li|/h\d|/table|p|div|tr|li)\b[^>]*>")
_DROP_TAGS = re.compile(r"(?is)<(style|script|head)\b.*?</\1\s*>")


def html_to_text(markup: str) -> str:
    text = _DROP_TAGS.sub(" ", markup)
    text = _BLOCK_TAGS.sub("\n", text)
    text = re.sub(r"(?s)<[^>]*>", " ", text)
    text = html.unescape(text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def _structured_text(part: Message) -> str:
    """Field text of a report part, whichever way the parser split it into blocks."""
    # The raw payload: get_payload() turns undecodable 8-bit into U+FFFD before we can.
    payload = getattr(part, "_payload", "")
    if isinstance(payload, str):
        text = _fix_surrogates(payload)
    else:
        chunks = []
        for block in payload if isinstance(payload, list) else []:
            # Rebuild from the raw header list: as_string() may re-encode 8-bit values.
            lines = [f"{k}: {v}" for k, v in getattr(block, "_headers", [])]
            body = getattr(block, "_payload", "")
            if isinstance(body, str) and body.strip():
                lines.append(body)
            chunks.append("\n".join(lines))
        text = _fix_surrogates("\n\n".join(chunks))
    cte = str(part.get("content-transfer-encoding", "")).lower().strip()
    if cte == "base64":
        try:
            data = base64.b64decode(re.sub(r"[^A-Za-z0-9+/=]", "", text) + "==")
            text = decode_bytes(data, "utf-8")
        except (binascii.Error, ValueError):
            pass
    elif cte == "quoted-printable":
        text = decode_bytes(quopri.decodestring(text.encode("utf-8", "replace")), "utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n")[:MAX_TEXT]


def _original_from_payload(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    if isinstance(payload, str) and ":" in payload:
        return HeaderParser().parsestr(_fix_surrogates(payload))
    return None


def collect(msg: Message) -> MailParts:
    parts = MailParts()
    html_texts: list[str] = []
    _visit(msg, parts, html_texts, 0)
    if not any(t.strip() for t in parts.texts):
        parts.texts = html_texts
    if not parts.dsn_texts:
        parts.dsn_texts = [t for t in parts.texts if _EMBEDDED_DSN_RE.search(t)]
        parts.dsn_embedded = bool(parts.dsn_texts)
    return parts


def _visit(part: Message, parts: MailParts, html_texts: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    ctype = content_type(part)
    if ctype in DSN_TYPES:
        parts.dsn_texts.append(_structured_text(part))
    elif ctype in FEEDBACK_TYPES:
        parts.feedback_texts.append(_structured_text(part))
    elif ctype in ORIGINAL_MESSAGE_TYPES:
        original = _original_from_payload(part)
        if original is not None:
            parts.originals.append(original)
    elif ctype in ORIGINAL_HEADER_TYPES:
        # message/global-headers arrives pre-parsed as a message; text/* as plain text.
        if isinstance(part.get_payload(), list):
            original = _original_from_payload(part)
        else:
            original = HeaderParser().parsestr(part_text(part))
        if original is not None:
            parts.originals.append(original)
    elif part.is_multipart():
        payload = part.get_payload()
        for child in payload if isinstance(payload, list) else []:
            if isinstance(child, Message):
                _visit(child, parts, html_texts, depth + 1)
    elif ctype == "text/html":
        html_texts.append(html_to_text(part_text(part)))
    elif ctype.startswith(("text/", "multipart/")) or ctype in {
        "application/json", "message/external-body"
    }:
        # A multipart that did not parse (its boundary= was lost to a broken fold) is read
        # as the text it is, parts and all.
        parts.texts.append(part_text(part).replace("\r\n", "\n").replace("\r", "\n"))


def addresses_in(text: str) -> list[str]:
    """Normalised e-mail addresses in order of first appearance."""
    seen: dict[str, None] = {}
    for match in EMAIL_RE.finditer(text or ""):
        address = normalise_address(match.group(0))
        if address:
            seen.setdefault(address, None)
    return list(seen)


def normalise_address(value: str) -> str | None:
    """Lower-cased bare address from `rfc822; <A@B>`-like text, or None."""
    text = value.strip()
    if ";" in text:
        text = text.split(";", 1)[1]
    text = text.strip().strip("<>\"' \t()[]:,").rstrip(".")
    match = EMAIL_RE.search(text)
    if not match:
        return None
    address = match.group(0).strip(".").lower()
    # X.400 addressing (Exchange 5.5) writes the mailbox as "dda:SMTP=user@host".
    address = _X400_PREFIX_RE.sub("", address)
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or domain.startswith(("-", ".")):
        return None
    tld = domain.rsplit(".", 1)[-1]
    if not tld.isalpha() and not tld.startswith("xn--"):
        return None
    return address


def message_ids_in(text: str) -> list[str]:
    return [m.group(1) for m in _MSGID_LINE_RE.finditer(text or "")]


def strip_angle(value: str) -> str | None:
    match = re.search(r"<([^<>\s]+)>", value or "")
    if match:
        return match.group(1)
    value = (value or "").strip()
    return value.split()[0] if value else None
