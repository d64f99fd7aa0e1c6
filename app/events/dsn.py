"""RFC 3464 / RFC 6533 delivery-status fields, read the way real MTAs write them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from app.events.mailparts import normalise_address

STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)")
_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_TYPE_PREFIX_RE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9-]*\s*;\s*")
_UTF8_ESCAPE_RE = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")


@dataclass
class DsnRecipient:
    address: str
    action: str | None
    status: str | None
    diagnostic: str | None


def find_status(text: str | None) -> str | None:
    """First enhanced status code (class 4 or 5 preferred) in free text."""
    if not text:
        return None
    codes = [".".join(m.groups()) for m in STATUS_RE.finditer(text)]
    failures = [c for c in codes if not c.startswith("2")]
    return (failures or codes or [None])[0]


def one_line(text: str | None, limit: int = 1000) -> str | None:
    if not text:
        return None
    flat = " ".join(text.split())
    return flat[:limit] or None


def clean_diagnostic(value: str | None) -> str | None:
    """Diagnostic-Code without its `smtp;` type, unfolded, trimmed."""
    if not value:
        return None
    return one_line(_TYPE_PREFIX_RE.sub("", value, count=1))


def _fields(text: str) -> list[tuple[str, str] | None]:
    """Unfolded (name, value) pairs; None marks a blank line between blocks."""
    out: list[tuple[str, str] | None] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            out.append(None)
        elif line[0] in " \t" and out and out[-1] is not None:
            name, value = out[-1]
            out[-1] = (name, f"{value} {line.strip()}")
        else:
            match = _FIELD_RE.match(line)
            if match:
                out.append((match.group(1).lower(), match.group(2).strip()))
    return out


def _blocks(text: str) -> list[dict[str, str]]:
    """Per-recipient blocks; tolerant of missing or extra blank lines between them."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for item in _fields(text):
        if item is None:
            if _is_recipient_block(current):
                blocks.append(current)
                current = {}
            continue
        name, value = item
        if _starts_new_block(current, name):
            blocks.append(current)
            current = {}
        current.setdefault(name, value)
    if _is_recipient_block(current):
        blocks.append(current)
    return [b for b in blocks if _is_recipient_block(b)]


def _is_recipient_block(block: dict[str, str]) -> bool:
    return "final-recipient" in block or "original-recipient" in block


def _starts_new_block(block: dict[str, str], name: str) -> bool:
    # Some MTAs glue recipient blocks together without the blank line RFC 3464 asks for.
    if name == "final-recipient":
        return "final-recipient" in block
    if name == "original-recipient":
        return "original-recipient" in block or (
            "final-recipient" in block and "action" in block
        )
    return False


def _recipient(block: dict[str, str]) -> str | None:
    # Original-Recipient is the address the sender gave (ours); Final-Recipient may be the
    # mailbox an alias or forward led to (HAASM@host for user@example.ch) that we never sent to.
    for name in ("original-recipient", "final-recipient", "x-actual-recipient"):
        value = block.get(name)
        if not value:
            continue
        value = _UTF8_ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), value)
        if name == "original-recipient":
            # ORCPT is xtext; only the two escapes that matter for addresses are undone.
            value = value.replace("+2B", "+").replace("+3D", "=")
            if "imcea" in value.lower():  # Exchange's wrapping of an X.500 name, no mailbox
                continue
        address = normalise_address(value)
        if address:
            return address
    return None


def parse_delivery_status(text: str) -> list[DsnRecipient]:
    results = []
    for block in _blocks(text):
        address = _recipient(block)
        if not address:
            continue
        action = (block.get("action") or "").strip().lower().split(" ")[0].strip(";,") or None
        diagnostic = clean_diagnostic(block.get("diagnostic-code"))
        status = find_status(block.get("status")) or find_status(diagnostic)
        results.append(DsnRecipient(address, action, status, diagnostic))
    return results


def original_message_id(text: str) -> str | None:
    """Per-message X-Original-Message-ID some MTAs (Exchange) put in the report."""
    for item in _fields(text):
        if item and item[0] in ("x-original-message-id", "original-message-id"):
            match = re.search(r"<([^<>\s]+)>", item[1])
            return match.group(1) if match else (item[1].split() or [None])[0]
    return None


def _moment(value: str | None) -> datetime | None:
    """An RFC 5322 date as aware UTC; None when it can't be read."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(one_line(value) or "")
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def report_time(dsn_texts: list[str], date_header: str | None) -> datetime | None:
    """When what a report tells happened: its recipients' latest Last-Attempt-Date, else
    the report's own Date, else its Arrival-Date.

    Arrival-Date comes last: it is when our message reached the reporting server, which
    for a report after days of retrying is days before anything failed.
    """
    attempts: list[datetime] = []
    arrivals: list[datetime] = []
    for text in dsn_texts:
        for item in _fields(text):
            if item and item[0] == "last-attempt-date" and (when := _moment(item[1])):
                attempts.append(when)
            elif item and item[0] == "arrival-date" and (when := _moment(item[1])):
                arrivals.append(when)
    if attempts:
        return max(attempts)
    return _moment(date_header) or (max(arrivals) if arrivals else None)
