"""Several addresses typed or pasted into one field, as mail programs write them.

Outlook separates with semicolons and adds names (`a@x.org; B <b@y.org>`), others use
commas (`"Doe, Jane" <jane@y.org>, c@z.org`): both work, and a separator inside quotes or
angle brackets is part of the name or address, not a separator.
"""
from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

MAX_ADDRESSES = 20


@dataclass(frozen=True)
class Named:
    address: str
    name: str = ""


def split_addresses(text: str) -> list[str]:
    """The parts of `text` between separators (`;`, `,`, line breaks) outside quotes and
    angle brackets, stripped; empty parts dropped."""
    parts, current, quoted, bracket = [], [], False, False
    for char in text or "":
        if char == '"' and not bracket:
            quoted = not quoted
        elif char == "<" and not quoted:
            bracket = True
        elif char == ">" and not quoted:
            bracket = False
        if char in ";,\r\n" and not quoted and not bracket:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _named(part: str) -> tuple[str, str]:
    """(name, address) of one part: `B <b@y.org>`, `"Doe, Jane" <j@y.org>` or `a@x.org`."""
    if part.endswith(">") and "<" in part:
        name, _, address = part[:-1].rpartition("<")
        return name.strip().strip('"').strip(), address.strip()
    return "", part


def parse_addresses(text: str) -> tuple[list[Named], list[str]]:
    """The addresses in `text`, each validated, and a sentence for each one that is not."""
    found, problems = [], []
    parts = split_addresses(text)
    if len(parts) > MAX_ADDRESSES:
        return [], [f"That is {len(parts)} addresses; at most {MAX_ADDRESSES} fit at once."]
    for part in parts:
        name, address = _named(part)
        try:
            normal = validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            problems.append(f"The other address isn't valid: “{part}” — {exc}")
            continue
        found.append(Named(normal.lower(), name))
    return found, problems
