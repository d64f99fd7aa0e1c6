"""The periodic follow-up scan: suggestions from the office's rules, items of follow-ups
that came due. Safe to run twice (each suggestion's key is unique)."""
from __future__ import annotations

from app.extensions import db
from app.followups import suggestions


def suggest_followups() -> dict[str, int]:
    counts = suggestions.scan()
    db.session.commit()
    return counts
