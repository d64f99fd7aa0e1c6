"""Dates, times, numbers, money and country names as people read them: Babel, in the office
locale (`locale.code`) and time zone (`office.time_zone`). Pages, emails and PDFs format
through here; exports do not (they keep typed values: app/reports/export.py).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from app import clock, settings

# Styles of `when`: what a page shows of a moment.
DATE, TIME, DATETIME, SECONDS = "date", "time", "datetime", "seconds"
_WEEKDAYS = {"monday": 0, "saturday": 5, "sunday": 6}


def office_locale() -> Locale:
    return Locale.parse(settings.get("locale.code"))


def first_weekday() -> int:
    """0 = Monday … 6 = Sunday: the setting, else the locale's own."""
    chosen = settings.get("locale.first_weekday")
    return _WEEKDAYS[chosen] if chosen in _WEEKDAYS else office_locale().first_week_day


def day(value: date | datetime | None, style: str = "medium") -> str:
    """A date ("5 Dec 2026" in en_GB); a timestamp is first put on the office's clock."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = clock.local(_aware(value)).date()
    return format_date(value, style, locale=office_locale())


def when(value: datetime | None, style: str = DATETIME) -> str:
    """A stored (UTC) moment on the office's clock: date and time, or one of them."""
    if value is None:
        return ""
    local = clock.local(_aware(value))
    locale = office_locale()
    if style == DATE:
        return format_date(local.date(), "medium", locale=locale)
    time_text = format_time(local, "medium" if style == SECONDS else "short", locale=locale)
    if style == TIME:
        return time_text
    return str(locale.datetime_formats["medium"]).format(
        time_text, format_date(local.date(), "medium", locale=locale))


def money(value, currency: str = "") -> str:
    """An amount with its currency ("£1,234.50"; "1.234,50 €" in de_DE); without one, the
    number alone ("1,234.50"), for a column that names its currency."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"))
    if not currency:
        return number(amount, 2)
    return format_currency(amount, currency, locale=office_locale())


def number(value, digits: int | None = None) -> str:
    if value is None or value == "":
        return ""
    if digits is not None:
        value = Decimal(value).quantize(Decimal(1).scaleb(-digits))
        return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0",
                              locale=office_locale())
    return format_decimal(value, locale=office_locale())


def country(code: str | None) -> str:
    """A country's name in the office's language ("GB" → "United Kingdom")."""
    if not code:
        return ""
    return office_locale().territories.get(code.upper(), code.upper())


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
