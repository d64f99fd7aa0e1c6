"""Logging: plain text for people, one JSON object per line when LOG_FORMAT=json."""
from __future__ import annotations

import json
import logging
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Iterator

from flask import Flask

_KEYS = r"(?:password|passwd|pwd|token|secret|signature|api_key|apikey|csrf_token|session)"
_EU_VAT = (r"(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|"
           r"RO|SE|SI|SK|CH|NO)")
# Anything shaped like a secret or an identification number is masked before a line is
# written. Order matters: keyed values first, then free-standing shapes.
_SECRET_PATTERNS = [
    # password=x, token: x, "password": "x", 'csrf_token': 'x' (query strings, dict reprs)
    (re.compile(rf"""(?i)(["']?\w*{_KEYS}["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s&,;'"}}]+)"""),
     r"\1[redacted]"),
    (re.compile(r"(?i)(authorization:\s*)(\S+\s+)?\S+"), r"\1[redacted]"),
    (re.compile(r"(?i)(bearer\s+)\S+"), r"\1[redacted]"),
    # Tracking image and link URLs carry a signed per-message token.
    (re.compile(r"(/t/[oc]/)[^\s?\"'/]+"), r"\1[redacted]"),
    # VERP addresses carry the per-message bounce token.
    (re.compile(r"(?i)(\bbounces\+)[^@\s]+"), r"\1[redacted]"),
    # SQLAlchemy errors print the bound values (names, numbers, ciphertext).
    (re.compile(r"(\[parameters: )[^\n]*"), r"\1[redacted]]"),
    (re.compile(r"\bgAAAAA[\w-]{40,}={0,2}"), "[encrypted]"),  # Fernet tokens
    (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"), "[iban]"),
    (re.compile(rf"\b{_EU_VAT}U?\d{{8,12}}\b"), "[id-number]"),  # VAT numbers
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "[id-number]"),  # US SSN shape
    # Long digit runs (card, national and tax numbers), with or without separators.
    (re.compile(r"(?<![\w.:+-])\d(?:[ .-]?\d){8,18}(?![\w.:-])"), "[number]"),
]

# The job a worker is running, added to every record logged meanwhile.
_job: ContextVar[tuple[str, str] | None] = ContextVar("clientele_job", default=None)


@contextmanager
def job_log_context(job_id: str, queue: str) -> Iterator[None]:
    token = _job.set((job_id, queue))
    try:
        yield
    finally:
        _job.reset(token)


class JobContextFilter(logging.Filter):
    """Adds `job_id` and `queue` to records logged while a worker runs a job."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = _job.get()
        if current is not None and not hasattr(record, "job_id"):
            record.job_id, record.queue = current
        return True


def scrub(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for key in ("job_id", "queue", "message_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        job_id = getattr(record, "job_id", None)
        return scrub(f"{line} [job {job_id}]" if job_id else line)


def clientele_handler() -> logging.Handler | None:
    """The root handler `configure_logging` installed, if any."""
    return next((h for h in logging.getLogger().handlers
                 if getattr(h, "_clientele", False)), None)


def configure_logging(app: Flask) -> None:
    if app.config.get("LOG_FORMAT") == "json":
        formatter: logging.Formatter = JsonFormatter()
    else:
        formatter = ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One handler per process; a later app (tests, the CLI) sets its format.
    handler = clientele_handler()
    if handler is None:
        handler = logging.StreamHandler()
        handler.addFilter(JobContextFilter())
        handler._clientele = True  # type: ignore[attr-defined]
        logging.getLogger().addHandler(handler)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.setLevel(logging.INFO if not app.config.get("TESTING") else logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app.logger.handlers.clear()
    app.logger.propagate = True
