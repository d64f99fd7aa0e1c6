"""Files to upload: real signatures, with a marker to look for in what is stored."""
from __future__ import annotations

import io
import os
import zipfile

MARKER = b"PLAINTEXT-MARKER-7731-"


def pdf(size: int = 40_000) -> bytes:
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    body = (MARKER + os.urandom(64)) * (size // (len(MARKER) + 64) + 1)
    return (head + body)[:size]


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + MARKER + os.urandom(200)


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + MARKER + os.urandom(500)


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document>" + MARKER.decode() + "</w:document>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("notes.txt", "hello")
    return buffer.getvalue()


def csv_text() -> bytes:
    return "Name;Betrag\nMüller;12,50\n".encode() + MARKER + b"\n"
