"""How much one request may carry: every cap in this one table, enforced by the request
class before a byte of the body is read (from the declared length; a chunked body stops
one byte past the cap), whatever its encoding — urlencoded, multipart or raw.

The caps sit well above the largest legitimate request (an invoice with 200 lines of
500 characters each, percent-encoded, is under 1 MB and ~810 fields; the import-mapping
form has at most 62) and far below what would hurt a worker holding it in memory.
Inbound mail has its own cap, `app.mail.inbound.MAX_MESSAGE_BYTES`, since it does not
arrive by HTTP.
"""
from __future__ import annotations

from app.customers.csv_import import MAX_BYTES as CSV_MAX_BYTES
from app.mail.failures import size_text

MB = 1024 * 1024
FORM_BODY = 2 * MB  # any request without a cap of its own (MAX_CONTENT_LENGTH)
FORM_FIELD = 512 * 1024  # one text field of a multipart form (MAX_FORM_MEMORY_SIZE)
FORM_PARTS = 2000  # fields in one form, multipart or urlencoded (MAX_FORM_PARTS)
WEBHOOK_BODY = 1 * MB  # providers post batches far below this (SendGrid: a few hundred KB)
MULTIPART_SLACK = 64 * 1024  # the form fields and part headers around an uploaded file
UPLOAD_BODY = CSV_MAX_BYTES + MULTIPART_SLACK  # the CSV file and the multipart around it
# A document: its own cap (DOCUMENT_MAX_BYTES, a setting) plus the multipart around it.
DOCUMENT_UPLOAD = "documents.upload"

# Endpoints and blueprints whose requests may be larger (or must be smaller) than a form.
_BY_ENDPOINT = {"customers.import_upload": UPLOAD_BODY}
_BY_BLUEPRINT = {"webhooks": WEBHOOK_BODY}


def defaults() -> dict:
    """The app-wide settings (the config may override them, e.g. in a test)."""
    return {"MAX_CONTENT_LENGTH": FORM_BODY, "MAX_FORM_MEMORY_SIZE": FORM_FIELD,
            "MAX_FORM_PARTS": FORM_PARTS}


def body_cap(config, endpoint: str | None, blueprint: str | None) -> int:
    """The most bytes a request to `endpoint` may send."""
    if endpoint == DOCUMENT_UPLOAD:
        return config["DOCUMENT_MAX_BYTES"] + MULTIPART_SLACK
    if endpoint in _BY_ENDPOINT:
        return _BY_ENDPOINT[endpoint]
    if blueprint in _BY_BLUEPRINT:
        return _BY_BLUEPRINT[blueprint]
    return config["MAX_CONTENT_LENGTH"]


def too_large_text(cap: int, endpoint: str | None) -> str:
    """What a person is told when a request is over its cap."""
    if endpoint == DOCUMENT_UPLOAD:
        # As the upload form states it (a chunked body's cap is one byte more).
        limit = size_text((cap - MULTIPART_SLACK) // 1000 * 1000)
        return (f"Documents are limited to {limit}. Nothing was stored: upload a smaller "
                "file (a scan at a lower resolution, or the document in parts).")
    size = f"{cap / MB:.0f} MB" if cap >= MB else f"{cap // 1024} KB"
    if endpoint == "customers.import_upload":
        return (f"Files are limited to {CSV_MAX_BYTES // MB} MB. Split the file, or leave "
                "out columns you don't need, and upload the parts one after the other.")
    return (f"That was more than Clientele accepts in one go ({size}, or {FORM_PARTS:,} "
            "fields). Nothing was saved: shorten the text or split the work in two.")
