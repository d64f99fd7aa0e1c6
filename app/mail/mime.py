"""Writing a MIME message directly: the standard library's `email` package spends
milliseconds per message parsing and refolding headers we already control. These few
functions write the same structure (RFC 5322 headers, RFC 2047 encoded words, base64
bodies, CRLF line ends) in microseconds. Tests read every message back with the
standard parser.
"""
from __future__ import annotations

import base64
import secrets
from email.header import Header
from email.utils import formataddr, formatdate

CRLF = "\r\n"


def header_text(value: str) -> str:
    """One header value: line breaks removed (no header injection), RFC 2047 if needed."""
    value = " ".join(value.split())
    if value.isascii():
        return value
    return Header(value, "utf-8", maxlinelen=998).encode()


def address(name: str, email: str) -> str:
    return formataddr((" ".join(name.split()), email), charset="utf-8")


def _base64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF)


def text_part(content: str, subtype: str) -> str:
    return (f"Content-Type: text/{subtype}; charset=utf-8{CRLF}"
            f"Content-Transfer-Encoding: base64{CRLF}{CRLF}"
            f"{_base64(content.encode('utf-8'))}")


def attachment_part(data: bytes, content_type: str, filename: str) -> str:
    safe = header_text(filename).replace('"', "")
    return (f"Content-Type: {content_type}; name=\"{safe}\"{CRLF}"
            f"Content-Transfer-Encoding: base64{CRLF}"
            f"Content-Disposition: attachment; filename=\"{safe}\"{CRLF}{CRLF}"
            f"{_base64(data)}")


def multipart(subtype: str, parts: list[str]) -> tuple[str, str]:
    """(Content-Type header value, body) of a multipart entity."""
    boundary = "=_" + secrets.token_hex(12)
    body = "".join(f"--{boundary}{CRLF}{part}{CRLF}" for part in parts)
    return f'multipart/{subtype}; boundary="{boundary}"', f"{body}--{boundary}--{CRLF}"


def message(headers: list[tuple[str, str]], parts: list[str],
            attachments: list[str] = ()) -> bytes:
    """headers + multipart/alternative(parts), wrapped in multipart/mixed with attachments."""
    content_type, body = multipart("alternative", parts)
    if attachments:
        inner = f"Content-Type: {content_type}{CRLF}{CRLF}{body}"
        content_type, body = multipart("mixed", [inner, *attachments])
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["Date: " + formatdate(localtime=False), "MIME-Version: 1.0",
              "Content-Type: " + content_type]
    return (CRLF.join(lines) + CRLF + CRLF + body).encode("ascii")
