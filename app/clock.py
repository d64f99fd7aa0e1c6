"""What "today" is: one clock for invoices, customers, reminders and reports alike.

Today is the office's local date, in the time zone of the office settings
(`office.time_zone`, UTC until an admin sets one). Tests and benches pin it with the `TODAY`
setting (a date), so hand-computed figures (ageing buckets, overdue invoices, segments) stay
true whatever day they run.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from app import settings


def now() -> datetime:
    """The current instant, timezone-aware in UTC (as every stored timestamp is)."""
    return datetime.now(timezone.utc)


def office_zone() -> ZoneInfo:
    """The office's time zone (UTC outside an app)."""
    return ZoneInfo(settings.get("office.time_zone") if has_app_context() else "UTC")


def local(moment: datetime) -> datetime:
    """A stored (UTC) instant on the office's wall clock."""
    return moment.astimezone(office_zone())


def today() -> date:
    """The office's date today, or the pinned `TODAY` setting."""
    pinned = current_app.config.get("TODAY") if has_app_context() else None
    return pinned or local(now()).date()


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as the app shows it: in UTC, marked so when it has a time of day."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime(fmt) + " UTC" if "%H" in fmt \
        else value.strftime(fmt)
