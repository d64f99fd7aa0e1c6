"""What a file is, from its first bytes (`filetype`, pure Python), against the allow-list.

The name's extension never decides: an .exe renamed .pdf is refused, a PDF named .txt
is stored as a PDF. Text has no signature: a file with none that decodes as UTF-8 (or
Windows-1252) without control characters is plain text (CSV included).
"""
from __future__ import annotations

from dataclasses import dataclass

import filetype

HEAD_BYTES = 8192  # what filetype reads; enough for office documents' zip directory


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    mime: str


_KINDS = [
    Kind("pdf", "PDF", "application/pdf"),
    Kind("png", "PNG image", "image/png"),
    Kind("jpg", "JPEG image", "image/jpeg"),
    Kind("gif", "GIF image", "image/gif"),
    Kind("webp", "WebP image", "image/webp"),
    Kind("heic", "HEIC photo", "image/heic"),
    Kind("docx", "Word document",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    Kind("xlsx", "Excel workbook",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    Kind("pptx", "PowerPoint presentation",
         "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    Kind("odt", "OpenDocument text", "application/vnd.oasis.opendocument.text"),
    Kind("ods", "OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet"),
    Kind("doc", "Word 97–2003 document", "application/msword"),
    Kind("xls", "Excel 97–2003 workbook", "application/vnd.ms-excel"),
    Kind("txt", "Plain text", "text/plain"),
]
ALLOWED: dict[str, Kind] = {k.key: k for k in _KINDS}
ALLOWED_TEXT = "PDF, images (PNG, JPEG, GIF, WebP, HEIC), Word, Excel, PowerPoint, " \
               "OpenDocument and plain text or CSV"


class DocumentTypeError(ValueError):
    """The file is not of a kind the office accepts (the message says so, for people)."""


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    sample = head[:HEAD_BYTES]
    for encoding in ("utf-8", "cp1252"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if encoding == "utf-8" and exc.start >= len(sample) - 3:
                text = sample[:exc.start].decode(encoding)
            else:
                continue
        return all(ch.isprintable() or ch in "\t\r\n\f" for ch in text)
    return False


def detect(head: bytes) -> Kind:
    """The kind of a file starting with `head`, or DocumentTypeError."""
    guess = filetype.guess(head[:HEAD_BYTES]) if head else None
    if guess is not None:
        if guess.extension in ALLOWED:
            return ALLOWED[guess.extension]
        raise DocumentTypeError(
            f"This file is a {guess.extension.upper()} file ({guess.mime}), whatever its "
            f"name says. Files on a customer's file can be {ALLOWED_TEXT}.")
    if _is_text(head):
        return ALLOWED["txt"]
    raise DocumentTypeError(
        "Clientele could not tell what kind of file this is from its content, so it was "
        f"not stored. Files on a customer's file can be {ALLOWED_TEXT}.")
