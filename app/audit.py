"""The audit log: one call records one thing that happened."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from app.extensions import db
from app.models import AuditLog

# Keys whose values never reach the log, whatever a caller passes.
_REDACT = {"password", "password_hash", "token", "secret", "id_number", "national_id",
           "tax_id", "identification"}


def redact(details: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if any(word in key.lower() for word in _REDACT):
            clean[key] = "[redacted]"
        elif isinstance(value, dict):
            clean[key] = redact(value)
        else:
            clean[key] = value
    return clean


def _fields(action: str, user, actor: str | None, ip: str | None,
            subject_type: str | None, subject_id: int | None,
            details: dict[str, Any] | None, summary: str) -> dict[str, Any]:
    return dict(action=action, user_id=getattr(user, "id", None),
                actor=actor or getattr(user, "email", "") or "", ip=ip,
                subject_type=subject_type, subject_id=subject_id,
                details=redact(details or {}), summary=summary[:2000])


def record(action: str, *, user=None, actor: str | None = None, ip: str | None = None,
           subject_type: str | None = None, subject_id: int | None = None,
           details: dict[str, Any] | None = None, summary: str = "") -> AuditLog:
    """Add an audit entry to the session; the caller's commit stores it."""
    entry = AuditLog(**_fields(action, user, actor, ip, subject_type, subject_id, details,
                               summary))
    db.session.add(entry)
    return entry


def record_many(action: str, entries: list[dict[str, Any]], *, user=None,
                ip: str | None = None) -> None:
    """Many entries of one action in one statement (an import's thousands of rows).

    Each entry gives `subject_type`, `subject_id`, `details` and `summary`; the caller's
    commit stores them.
    """
    if entries:
        db.session.execute(insert(AuditLog), [
            _fields(action, user, None, ip, e.get("subject_type"), e.get("subject_id"),
                    e.get("details"), e.get("summary", "")) for e in entries])
