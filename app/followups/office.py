"""The office's choices for suggested follow-ups (office settings `followups.*`): which
rules run, and after how many days an unopened invoice email is worth a call."""
from __future__ import annotations

from app import settings

RULES = ("unopened", "overdue", "address", "at_risk")


def unopened_days() -> int:
    """N: an invoice emailed this many days ago and never opened is suggested."""
    return settings.get("followups.unopened_days")


def rules_on() -> tuple[str, ...]:
    """The rules the periodic scan applies."""
    return tuple(rule for rule in RULES if settings.get(f"followups.suggest_{rule}"))
