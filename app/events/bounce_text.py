"""Recipients of free-text bounces: where the report ends, who failed, and why."""

from __future__ import annotations

import logging
import re
from email.message import Message
from email.parser import HeaderParser

from flufl.bounce import all_failures

from app.events import bounce_rules as rules
from app.events.dsn import one_line
from app.events.feedback import Found
from app.events.mailparts import (
    EMAIL_RE,
    MailParts,
    addresses_in,
    header,
    header_all,
    message_ids_in,
    normalise_address,
)

log = logging.getLogger(__name__)


def _drop_detector_tracebacks(record: logging.LogRecord) -> bool:
    # flufl.bounce logs every detector crash at ERROR and re-raises; we catch and move on.
    return not str(record.msg).startswith("Exception in detector")


logging.getLogger("flufl.bounce").addFilter(_drop_detector_tracebacks)

# flufl.bounce runs many regexes over the whole message; skip it for oversized mail.
_FLUFL_MAX_BYTES = 512 * 1024
_CONTEXT_LINES = 10
_MAX_RECIPIENTS = 50
MAX_SCAN = 100_000

# Lines whose addresses are senders, message ids or relay hops, never failed recipients.
_SKIP_LINE_RE = re.compile(
    r"^\s*(?:from|sender|sender address|absender|exp[ée]diteur|remitente|mittente|remetente"
    r"|afzender|reply-to|return-path|envelope-from|errors-to|message-id|references"
    r"|in-reply-to|subject|betreff|objet|asunto|oggetto|assunto|onderwerp|x-[\w-]+"
    r"|received|dkim-signature|list-[\w-]+)\s*:"
    r"|mail from\s*:|message-id|\bfor <[^>]+>\s*;|\bid <|envelope-from",
    re.IGNORECASE,
)
_OWN_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to",
                "return-path", "reply-to", "sender", "from")
_ORIGINAL_SENDER_HEADERS = ("from", "sender", "return-path", "reply-to", "errors-to")
# "Your message / To: ... / Cc: ... / Subject: ... / Sent: ..." (Exchange, Notes): an echo of
# the original's headers, whose To: and Cc: may be lists or aliases, not the failed mailbox.
# Exchange's HTML version puts a blank line between them once the markup is gone.
_HEADER_LINE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_ECHO_TO_RE = re.compile(r"(?i)^\s*(?:to|cc)\s*:")
_ECHO_NEIGHBOUR_RE = re.compile(r"(?i)^\s*(?:to|subject|sent|date|cc)\s*:")
_LABEL_ONLY_RE = re.compile(r"^[\W_]*[\w\s()'’-]{0,40}:\s*$")
# Inlined headers of the returned original name our sender; so does "sent ... from <addr>".
_INLINE_SENDER_RE = re.compile(
    r"(?im)^[ \t>]*(?:from|sender|return-path|reply-to|envelope-from)[ \t]*:[ \t]*(.+)$"
)
_SENDER_BEFORE_RE = re.compile(
    r"(?i)(?:\bfrom|\bsender|sent by|absender|\bvon|exp[ée]diteur|remitente|mittente)"
    r"\s*[:=]?\s*[<(\[\"']?$"
)
# A receiver refusing our sender names it in its reply: "553 <billing@...>: Sender address
# rejected" (qmail, Postfix), "<billing@...>... Sender verify failed" (Sendmail).
_SENDER_AFTER_RE = re.compile(
    r"(?i)^[>)\]\"'.:;,\s]{0,6}(?:sender|envelope sender|mail from)\b[\w\s]{0,20}?"
    r"(?:rejected|denied|refused|blocked|unknown|invalid|not|verif|blacklisted|listed)"
)
# The help desk a notice offers ("please contact <support@isp>", "<support@isp>へご連絡ください"):
# anywhere in the notice, such an address is never a failed recipient.
_CONTACT_RE = re.compile(  # spaces bounded: nested \s+ runs backtrack quadratically
    r"(?i)(?:\bcontact(?:\s{1,3}us)?(?:\s{1,3}at)?|\bwrite\s{1,3}to"
    r"|\bsend\s{1,3}(?:e-?)?mail\s{1,3}to|\be-?mail\s{1,3}us\s{1,3}at)\s{0,3}[:,]?\s{0,3}"
    rf"<?({EMAIL_RE.pattern})|({EMAIL_RE.pattern})>?\s{{0,3}}(?:へ|まで|に)\s{{0,3}}ご?連絡"
)

# A recipient named as failed in so many words: dma's "There was an error delivering your mail
# to <x>" (dma also writes x into the notice's own X-Original-To), the "<x>:" lists of qmail and
# Postfix, Sendmail's "x... User unknown", and the "RCPT TO:<x>" a transcript or Exim quotes.
_EXPLICIT_RE = re.compile(
    rf"(?i)error delivering your mail to\s{{0,3}}<({EMAIL_RE.pattern})>"
    rf"|^[ \t]*<({EMAIL_RE.pattern})>[ \t]*:"
    rf"|\brcpt to:[ \t]*<({EMAIL_RE.pattern})>"
    rf"|(?:^|[\s<])({EMAIL_RE.pattern})>?\.\.\.[ \t]+\S"
)

_NAMES_SENDER_RE = re.compile(r"(?i)\bsender\b|\bmail from\b|\benvelope-from\b")


def is_verp_address(address: str) -> bool:
    """Our own VERP bounce address."""
    return address.split("@", 1)[0].startswith("bounces+")


def is_service_address(address: str) -> bool:
    """Our VERP bounce address or a mailer's own mailbox: never a failed recipient in free text."""
    local = address.split("@", 1)[0]
    return (
        is_verp_address(address)
        or local in ("postmaster", "mailer-daemon", "mailer_daemon", "mail-daemon", "mdaemon")
        or local.startswith(("mailer-daemon", "postmaster"))
    )


def own_addresses(msg: Message, parts: MailParts, envelope: str | None) -> set[str]:
    """Addresses of the bounce's envelope and of our original's sender."""
    own: set[str] = set()
    for name in _OWN_HEADERS:
        for value in header_all(msg, name):
            own.update(addresses_in(value))
    if envelope:
        own.update(addresses_in(envelope))
    senders: set[str] = set()
    for text in parts.texts:
        for match in _INLINE_SENDER_RE.finditer(text[:MAX_SCAN]):
            senders.update(addresses_in(match.group(1)))
    # Mail a sender addressed to themselves (a test send, or backscatter of spam forged from
    # and to one address), attached or pasted below: theirs is the failed address.
    to_self: set[str] = set()
    for original in [*parts.originals, *_inline_originals(parts)]:
        from_ = {a for n in _ORIGINAL_SENDER_HEADERS for a in addresses_in(header(original, n))}
        recipients = {a for n in ("to", "cc") for a in addresses_in(header(original, n))}
        senders.update(from_)
        to_self.update(from_ & recipients)
    # The notice itself goes back to that same address: it is still the failed one.
    return (own | senders) - to_self


def explicit_failures(msg: Message, parts: MailParts) -> set[str]:
    """Recipients the notice names as failed in so many words, which are read even when they
    are also an address of the notice's own headers or of the original's sender."""
    found = {a for v in header_all(msg, "x-failed-recipients") for a in addresses_in(v)}
    for line in report_text(parts).split("\n"):
        # "<billing@...>... Sender verify failed", "MAIL FROM:<...>": our sender, not a recipient.
        if _NAMES_SENDER_RE.search(line) or _SKIP_LINE_RE.search(line):
            continue
        for match in _EXPLICIT_RE.finditer(line):
            address = normalise_address(next(g for g in match.groups() if g))
            if address:
                found.add(address)
    return found


def report_text(parts: MailParts) -> str:
    """The human-readable notice, cut where the returned original begins."""
    kept = []
    for text in parts.texts:
        lines = text.split("\n")
        kept.append("\n".join(lines[:_original_start(lines)]))
    return "\n".join(kept)[:MAX_SCAN]


def _original_start(lines: list[str]) -> int | None:
    """Where a pasted original begins ("copy of the message follows", its first header)."""
    return next((index for index, line in enumerate(lines)
                 if index > 0 and rules.ORIGINAL_START_RE.match(line)), None)


def _usable_lines(report: str) -> list[str]:
    lines = report.split("\n")
    usable = []
    for index, line in enumerate(lines):
        if _SKIP_LINE_RE.search(line) or _is_echoed_to(lines, index):
            line = ""
        usable.append(line)
    return usable


def _is_echoed_to(lines: list[str], index: int) -> bool:
    if not _ECHO_TO_RE.match(lines[index]):
        return False
    before = [line for line in lines[max(0, index - 3) : index] if line.strip()][-1:]
    after = [line for line in lines[index + 1 : index + 4] if line.strip()][:1]
    return any(_ECHO_NEIGHBOUR_RE.match(line) for line in before + after)


def _line_addresses(line: str) -> list[str]:
    found = []
    for match in EMAIL_RE.finditer(line):
        before = line[match.start() - 1] if match.start() else " "
        if before in "=/":  # query strings and URL paths, not mailboxes
            continue
        if _SENDER_BEFORE_RE.search(line[max(0, match.start() - 40) : match.start()]):
            continue
        if _SENDER_AFTER_RE.search(line[match.end() : match.end() + 60]):
            continue
        address = normalise_address(match.group(0))
        if address:
            found.append(address)
    return found


def _contexts(lines: list[str], wanted: list[str]) -> dict[str, str]:
    """Text following each mention of each address, up to the next address's mention."""
    contexts: dict[str, list[str]] = {a: [] for a in wanted}
    per_line = [_line_addresses(line) for line in lines]
    for index, addresses in enumerate(per_line):
        for address in dict.fromkeys(addresses):
            if address not in contexts:
                continue
            chunk = [lines[index]]
            for follow in range(index + 1, min(len(lines), index + _CONTEXT_LINES)):
                if any(a != address and a in contexts for a in per_line[follow]):
                    break
                chunk.append(lines[follow])
            contexts[address].append("\n".join(chunk))
    return {a: "\n".join(c) for a, c in contexts.items()}


def _diagnostic(context: str, address: str) -> str | None:
    lines = [line.strip() for line in context.split("\n") if line.strip()]
    for line in lines:
        if any(c and c[0] in "45" for c in rules.context_codes(line)):
            return one_line(line)
    for line in lines:
        rest = line.lower().replace(address, "").strip(" <>:;,.\"'()[]-\t")
        if len(rest) > 8 and not _LABEL_ONLY_RE.match(line):
            return one_line(line)
    return None


def flufl_failures(msg: Message, size: int) -> tuple[list[str], list[str]]:
    """(temporary, permanent) addresses that flufl.bounce's detectors find."""
    if size > _FLUFL_MAX_BYTES:
        return [], []
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # its heuristics choke on some junk; they are only one opinion
        log.debug("flufl.bounce failed", exc_info=True)
        return [], []

    def _clean(values: frozenset) -> list[str]:
        decoded = (v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)
        return sorted({a for v in decoded if (a := normalise_address(v))})

    return _clean(temporary), _clean(permanent)


def text_recipients(msg: Message, parts: MailParts, own: set[str], size: int) -> list[Found]:
    """Failed recipients of a free-text bounce, from our rules and flufl.bounce."""
    report = report_text(parts)
    lines = _usable_lines(report)
    flufl_temp, flufl_perm = flufl_failures(msg, size)
    candidates = [a for v in header_all(msg, "x-failed-recipients") for a in addresses_in(v)]
    for line in lines:
        candidates.extend(_line_addresses(line))
    candidates.extend(flufl_perm + flufl_temp)
    never = own | _contact_addresses(report) | _message_ids(msg, parts)
    wanted = [a for a in dict.fromkeys(candidates) if a not in never and not is_service_address(a)]
    wanted = wanted[:_MAX_RECIPIENTS]
    if not wanted:
        return []

    contexts = _contexts(lines, wanted)
    leaning = rules.document_leaning(msg, report)
    whole = report if len(wanted) == 1 else ""
    found = []
    for address in wanted:
        context = contexts.get(address, "")
        if whole and rules.context_codes(context) == (None, None):
            # One recipient: the reason may sit anywhere in the notice, even above the address.
            context = f"{context}\n{whole}"
        fallback = _fallback_status(msg, address, flufl_temp, flufl_perm)
        status = rules.decide_status(context, leaning, fallback)
        enhanced, _ = rules.context_codes(context)
        found.append(Found(address, status, enhanced, _diagnostic(context, address),
                           context=context))
    return found


def _contact_addresses(report: str) -> set[str]:
    found = set()
    for match in _CONTACT_RE.finditer(report):
        address = normalise_address(match.group(1) or match.group(2))
        if address:
            found.add(address)
    return found


def _message_ids(msg: Message, parts: MailParts) -> set[str]:
    """Message-IDs look like addresses; flufl.bounce sometimes offers one as a recipient."""
    ids = {header(msg, "message-id")} | {header(o, "message-id") for o in parts.originals}
    for text in parts.texts:
        ids.update(message_ids_in(text[:MAX_SCAN]))
    return {a for i in ids if (a := normalise_address(i or ""))}


def _fallback_status(msg: Message, address: str, temp: list[str], perm: list[str]) -> str:
    if address in perm:
        return "rejected"
    if address in temp or rules.subject_says_delay(msg):
        return "delayed"
    return "rejected"


def _inline_originals(parts: MailParts) -> list[Message]:
    """Headers of an original pasted below the notice, as plain-text mailers return it."""
    found = []
    for text in parts.texts:
        lines = text.split("\n")
        index = _original_start(lines)
        if index is None:
            continue
        # The marker is either a "copy follows" line or the original's first header.
        start = index if _HEADER_LINE_RE.match(lines[index]) else index + 1
        body = "\n".join(lines[start : start + 200]).lstrip("\n")
        found.append(HeaderParser().parsestr(body))
    return found


def returns_original(parts: MailParts) -> bool:
    """The notice carries the returned original: attached, or its header block pasted below
    the way mailers return it (Received:, Message-ID:), not a person's From/Sent/To quote."""
    return bool(parts.originals) or any(
        o.get("received") or o.get("message-id") or o.get("return-path")
        for o in _inline_originals(parts)
    )


def original_recipients(parts: MailParts, own: set[str]) -> list[str]:
    """To: of the returned original, when the notice itself names nobody."""
    out: list[str] = []
    for original in parts.originals or _inline_originals(parts):
        for value in header_all(original, "to"):
            out.extend(a for a in addresses_in(value) if a not in own and a not in out)
    return [a for a in out if not is_service_address(a)]
