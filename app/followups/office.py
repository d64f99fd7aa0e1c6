"""The office's choices for suggested follow-ups: which rules run, and after how many days
an unopened invoice email is worth a call. Read through these two functions only."""
from __future__ import annotations

RULES = ("unopened", "overdue", "address", "at_risk")
DEFAULT_UNOPENED_DAYS = 7


def unopened_days() -> int:
    """N: an invoice emailed this many days ago and never opened is suggested."""
    return DEFAULT_UNOPENED_DAYS


def rules_on() -> tuple[str, ...]:
    """The rules the periodic scan applies."""
    return RULES
