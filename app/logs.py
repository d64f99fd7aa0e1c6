"""Logging: plain text for people, one JSON object per line when LOG_FORMAT=json."""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

from flask import Flask

# Anything shaped like a secret is masked before a line is written.
_SECRET_PATTERNS = [
    (re.compile(r"(?i)(password|passwd|token|secret|signature)=([^\s&]+)"), r"\1=[redacted]"),
    (re.compile(r"(?i)(authorization:\s*)(\S+\s+)?\S+"), r"\1[redacted]"),
]


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
        return scrub(super().format(record))


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    if app.config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(ScrubbingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not any(getattr(h, "_clientele", False) for h in root.handlers):
        handler._clientele = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.INFO if not app.config.get("TESTING") else logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app.logger.handlers.clear()
    app.logger.propagate = True
