"""Read the sink's messages back for the Dev mailbox page."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path

_NAME = re.compile(r"^[0-9T]+-[0-9a-f]{12}\.eml$")

# The HTML part is served on its own, under this policy, into a sandboxed frame: the
# email's own styles apply (as in a mail client), while no image, font or stylesheet is
# fetched from anywhere (the tracking image above all: a preview is not an open), no
# script runs and no form is sent.
PREVIEW_CSP = "; ".join([
    "default-src 'none'", "style-src 'unsafe-inline'", "img-src data:", "font-src data:",
    "form-action 'none'", "base-uri 'none'", "frame-ancestors 'self'", "sandbox",
])
_LINK = re.compile(r"""(<(?:a|area)\b[^>]*?\s)href\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""",
                   re.IGNORECASE)
_REFRESH = re.compile(r"""<meta\b[^>]*http-equiv\s*=\s*["']?refresh[^>]*>""", re.IGNORECASE)


@dataclass
class CaughtMessage:
    name: str
    subject: str
    sender: str
    to: str
    date: str
    envelope_from: str
    envelope_to: str
    text: str = ""
    html: str | None = None
    attachments: list[tuple[str, str, int]] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list, repr=False)


def _parse(path: Path, full: bool) -> CaughtMessage:
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    caught = CaughtMessage(
        name=path.name, subject=str(msg.get("Subject", "(no subject)")),
        sender=str(msg.get("From", "")), to=str(msg.get("To", "")),
        date=str(msg.get("Date", "")),
        envelope_from=str(msg.get("X-Sink-Mail-From", "")),
        envelope_to=str(msg.get("X-Sink-Rcpt-To", "")),
    )
    if full:
        body = msg.get_body(preferencelist=("plain",))
        caught.text = body.get_content() if body else ""
        html = msg.get_body(preferencelist=("html",))
        caught.html = html.get_content() if html else None
        for part in msg.iter_attachments():
            payload = part.get_payload(decode=True) or b""
            caught.attachments.append((part.get_filename() or "attachment",
                                       part.get_content_type(), len(payload)))
            caught.payloads.append(payload)
    return caught


def list_messages(directory: str, page: int = 1, per_page: int = 25):
    files = sorted((p for p in Path(directory).glob("*.eml") if _NAME.match(p.name)),
                   reverse=True)
    chosen = files[(page - 1) * per_page: page * per_page]
    return [_parse(p, full=False) for p in chosen], len(files)


def read_message(directory: str, name: str) -> CaughtMessage | None:
    if not _NAME.match(name):  # the name comes from the URL: no path tricks
        return None
    path = Path(directory) / name
    return _parse(path, full=True) if path.is_file() else None


def preview_html(html: str) -> str:
    """The HTML part with its links pointing nowhere (the target kept in `data-href`) and
    no meta refresh: clicking around a preview must not follow a tracked link."""
    return _REFRESH.sub("", _LINK.sub(r'\1href="#" data-href=\2', html))
