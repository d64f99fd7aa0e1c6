"""What "today" is: one clock for invoices, customers, reminders and reports alike.

Today is the office's local date. Until the office settings give the office a time zone it
is the date in UTC. Tests and benches pin it with the `TODAY` setting (a date), so
hand-computed figures (ageing buckets, overdue invoices, segments) stay true whatever day
they run.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import current_app, has_app_context


def now() -> datetime:
    """The current instant, timezone-aware in UTC (as every stored timestamp is)."""
    return datetime.now(timezone.utc)


def today() -> date:
    """The office's date today, or the pinned `TODAY` setting."""
    pinned = current_app.config.get("TODAY") if has_app_context() else None
    return pinned or now().date()
