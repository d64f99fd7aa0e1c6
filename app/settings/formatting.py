"""Dates, times, numbers, money and country names as people read them: Babel, in the office
locale (`locale.code`) and time zone (`office.time_zone`). Pages, emails and PDFs format
through here; exports do not (they keep typed values: app/reports/export.py).

`Formats` formats with what it is given and reads nothing; `current()` builds one from the
settings. Templates get one per render (app/web/templating.py) and never reach the settings
themselves; domain code calls the module functions, which use `current()`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from app import settings
from app.customers.languages import CODES as LANGUAGE_CODES

# Styles of `when`: what a page shows of a moment.
DATE, TIME, DATETIME, SECONDS = "date", "time", "datetime", "seconds"
_WEEKDAYS = {"monday": 0, "saturday": 5, "sunday": 6}


@dataclass(frozen=True)
class Formats:
    locale: Locale
    zone: ZoneInfo
    weekday: str = ""  # the `locale.first_weekday` setting

    @property
    def first_weekday(self) -> int:
        """0 = Monday … 6 = Sunday: the setting, else the locale's own."""
        return _WEEKDAYS.get(self.weekday, self.locale.first_week_day)

    def day(self, value: date | datetime | str | None, style: str = "medium") -> str:
        """A date ("5 Dec 2026" in en_GB); a timestamp is first put on the office's clock."""
        if value is None or value == "":
            return ""
        if isinstance(value, str):  # a date a query gave as text ('2026-12-05')
            value = date.fromisoformat(value)
        if isinstance(value, datetime):
            value = _aware(value).astimezone(self.zone).date()
        return format_date(value, style, locale=self.locale)

    def when(self, value: datetime | None, style: str = DATETIME) -> str:
        """A stored (UTC) moment on the office's clock: date and time, or one of them."""
        if value is None:
            return ""
        local = _aware(value).astimezone(self.zone)
        if style == DATE:
            return format_date(local.date(), "medium", locale=self.locale)
        time_text = format_time(local, "medium" if style == SECONDS else "short",
                                locale=self.locale)
        if style == TIME:
            return time_text
        return str(self.locale.datetime_formats["medium"]).format(
            time_text, format_date(local.date(), "medium", locale=self.locale))

    def month(self, value: str | date | None) -> str:
        """A month ("Dec 2026"), from a report's 'YYYY-MM' key or a date."""
        if not value:
            return ""
        if isinstance(value, str):
            value = date(int(value[:4]), int(value[5:7]), 1)
        return format_date(value, "MMM y", locale=self.locale)

    def money(self, value, currency: str = "") -> str:
        """An amount with its currency ("£1,234.50"; "1.234,50 €" in de_DE); without one,
        the number alone ("1,234.50"), for a column that names its currency."""
        if value is None or value == "":
            return ""
        amount = Decimal(value).quantize(Decimal("0.01"))
        if not currency:
            return self.number(amount, 2)
        return format_currency(amount, currency, locale=self.locale)

    def number(self, value, digits: int | None = None) -> str:
        if value is None or value == "":
            return ""
        if digits is None:
            return format_decimal(value, locale=self.locale)
        value = Decimal(value).quantize(Decimal(1).scaleb(-digits))
        pattern = f"#,##0.{'0' * digits}" if digits else "#,##0"
        return format_decimal(value, format=pattern, locale=self.locale)

    def country(self, code: str | None) -> str:
        """A country's name in the office's language ("GB" → "United Kingdom"); what is not
        a country code ("Deutschland", typed) is shown as it was typed."""
        if not code:
            return ""
        key = code.strip().upper()
        return self.locale.territories.get(key, code) if len(key) == 2 else code


def current() -> Formats:
    """The office's formats, from the settings."""
    return Formats(Locale.parse(settings.get("locale.code")),
                   ZoneInfo(settings.get("office.time_zone")),
                   settings.get("locale.first_weekday"))


# How a date is written in what a customer reads (the PDF, the invoice email, reminders):
# in full ("4 January 2027"), as in a letter; screens use the shorter "medium" style.
CUSTOMER_DATE = "long"


def for_customer(customer) -> Formats:
    """What a customer receives (the PDF, the invoice email): in the customer's language
    from the list when it is not the office's, with that language's own formats; the
    office's time zone either way."""
    office = current()
    language = (getattr(customer, "language", "") or "").lower()
    if language not in LANGUAGE_CODES or language == office.locale.language:
        return office
    return replace(office, locale=Locale.parse(language))


def first_weekday() -> int:
    return current().first_weekday


def day(value, style: str = "medium") -> str:
    return current().day(value, style)


def when(value, style: str = DATETIME) -> str:
    return current().when(value, style)


def money(value, currency: str = "") -> str:
    return current().money(value, currency)


def country(code: str | None) -> str:
    return current().country(code)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
