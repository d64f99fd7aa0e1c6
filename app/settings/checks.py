"""What makes a setting's value acceptable: one function per key that needs more than its
type, returning the value as stored (normalised) or raising ValueError in a person's words.
Each check sees the other proposed values (a VAT number is checked against the country)."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError

Check = Callable[[Any, dict[str, Any]], Any]
WEEKDAYS = ("", "monday", "saturday", "sunday")


def _country(value: str, _values) -> str:
    value = value.upper()
    if not re.fullmatch(r"[A-Z]{2}", value) or value not in Locale("en").territories:
        raise ValueError("Country: choose a country from the list")
    return value


def _tax_number(value: str, values) -> str:
    """Checked with python-stdnum as the office country's VAT number ("GB980780684" or
    "980780684"); a country python-stdnum has no VAT rule for is taken as typed."""
    if not value:
        return ""
    country = values.get("office.country", "")
    compact = re.sub(r"[\s.\-]", "", value).upper()
    prefix = "EL" if country == "GR" else country
    module = get_cc_module(country.lower(), "vat") if country else None
    if module is None:
        return value
    number = compact[len(prefix):] if compact.startswith(prefix) else compact
    try:
        module.validate(number)
    except ValidationError as error:
        name = Locale("en").territories.get(country, country)
        raise ValueError(f"Tax/VAT number: not a valid {name} VAT number "
                         f"({error.message.rstrip('.').lower()})") from None
    return f"{prefix}{number}" if compact.startswith(prefix) else number


def _iban(value: str, _values) -> str:
    if not value:
        return ""
    try:
        return IBAN(value).formatted
    except SchwiftyException as error:
        raise ValueError(f"IBAN: not a valid IBAN ({str(error).rstrip('.').lower()})") \
            from None


def _bic(value: str, values) -> str:
    if not value:
        return ""
    try:
        bic = BIC(value)
    except SchwiftyException as error:
        raise ValueError(f"BIC: not a valid BIC ({str(error).rstrip('.').lower()})") from None
    try:
        iban = IBAN(values.get("office.iban") or "", allow_invalid=True)
    except SchwiftyException:
        iban = None
    if iban and iban.country_code and bic.country_code != iban.country_code:
        raise ValueError("BIC: its country is not the IBAN's")
    return str(bic)


def _time_zone(value: str, _values) -> str:
    if value not in available_timezones():
        raise ValueError("Time zone: choose one from the list (e.g. Europe/London)")
    ZoneInfo(value)
    return value


def _locale(value: str, _values) -> str:
    try:
        return str(Locale.parse(value.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        raise ValueError("Formats: choose a language and country from the list") from None


def _weekday(value: str, _values) -> str:
    if value.lower() not in WEEKDAYS:
        raise ValueError("First day of the week: Monday, Saturday or Sunday")
    return value.lower()


def _currency(value: str, _values) -> str:
    value = value.upper()
    if not re.fullmatch(r"[A-Z]{3}", value) or get_currency_name(value, locale="en") == value:
        raise ValueError("Default currency: a currency code such as EUR or GBP")
    return value


def _number_format(value: str, _values) -> str:
    if not re.search(r"\{seq(:0?\d)?\}", value):
        raise ValueError("Invoice number format: must contain {seq} (e.g. {year}-{seq:04})")
    rest = re.sub(r"\{seq(:0?\d)?\}|\{year\}", "", value)
    if "{" in rest or "}" in rest or len(value) > 40:
        raise ValueError("Invoice number format: only {year} and {seq} may appear in braces")
    return value


def _email(label: str) -> Check:
    def check(value: str, _values) -> str:
        if not value:
            return ""
        # A special-use domain (billing@clientele.localhost, the shipped default sender)
        # is what a test or demo office sends as: its syntax is checked, not its domain.
        local, _, domain = value.rpartition("@")
        special = domain.lower().rsplit(".", 1)[-1] in SPECIAL_USE_DOMAIN_NAMES
        try:
            checked = validate_email(f"{local}@example.com" if special else value,
                                     check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValueError(f"{label}: not an email address") from None
        return f"{checked.rpartition('@')[0]}@{domain.lower()}" if special else checked
    return check


def _sender_address(value: str, values) -> str:
    if not value:
        raise ValueError("Sender address: required — invoices need a From address")
    return _email("Sender address")(value, values)


def _one_line(label: str, limit: int = 200) -> Check:
    def check(value: str, _values) -> str:
        if "\n" in value or "\r" in value or len(value) > limit:
            raise ValueError(f"{label}: one line, at most {limit} characters")
        return value
    return check


def _website(value: str, values) -> str:
    value = _one_line("Website")(value, values)
    if value and not re.fullmatch(r"(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?", value, re.I):
        raise ValueError("Website: an address such as www.example.com")
    return value


CHECKS: dict[str, Check] = {
    "office.name": _one_line("Office name"),
    "office.country": _country,
    "office.tax_number": _tax_number,
    "office.registration_number": _one_line("Registration number", 60),
    "office.phone": _one_line("Phone", 40),
    "office.website": _website,
    "office.iban": _iban,
    "office.bic": _bic,
    "office.time_zone": _time_zone,
    "sending.sender_name": _one_line("Sender name", 100),
    "sending.sender_address": _sender_address,
    "sending.reply_to": _email("Reply-To"),
    "locale.code": _locale,
    "locale.first_weekday": _weekday,
    "invoices.currency": _currency,
    "invoices.number_format": _number_format,
}


def check(name: str, value: Any, values: dict[str, Any]) -> Any:
    rule = CHECKS.get(name)
    return rule(value, values) if rule else value
