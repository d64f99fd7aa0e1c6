"""Every setting the office can change: its type, its default and its words.

A fresh install has no rows: each key reads its default, and where an environment variable
used to say it (app/config.py), the default is that variable's value, so an office that set
OFFICE_NAME or MAIL_DEFAULT_SENDER keeps what it had until an admin changes it on the page.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

Config = Mapping[str, Any]

# What a value is; stored as JSON, read back as this Python type.
TEXT, INT, BOOL, DAYS = "text", "int", "bool", "days"


@dataclass(frozen=True)
class Key:
    name: str
    kind: str
    label: str
    default: Callable[[Config], Any]
    # Logged as "changed" only (a logo's bytes do not belong in the audit log).
    audit_value: bool = True
    # Where the money and the replies go: changing it asks for the admin's password again
    # and tells every admin (a changed IBAN or sender is the classic invoice fraud).
    guarded: bool = False


def _fixed(value: Any) -> Callable[[Config], Any]:
    return lambda _config: value


def _sender(part: int) -> Callable[[Config], str]:
    return lambda config: parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[part]


_ALL = (
    # Office: who the invoices come from.
    Key("office.name", TEXT, "Office name", lambda c: c.get("OFFICE_NAME") or ""),
    Key("office.address", TEXT, "Address",
        lambda c: (c.get("OFFICE_DETAILS") or "").strip()),
    # ISO 3166 code: which country's tax numbers, and how local phone numbers are read.
    Key("office.country", TEXT, "Country",
        lambda c: (c.get("DEFAULT_PHONE_REGION") or "GB").upper()),
    Key("office.tax_number", TEXT, "Tax/VAT number", _fixed("")),
    Key("office.registration_number", TEXT, "Registration number", _fixed("")),
    Key("office.phone", TEXT, "Phone", _fixed("")),
    Key("office.website", TEXT, "Website", _fixed("")),
    # A PNG, base64, re-encoded on upload (app.settings.logo); "" for none.
    Key("office.logo", TEXT, "Logo", _fixed(""), audit_value=False),
    Key("office.bank_name", TEXT, "Bank", _fixed(""), guarded=True),
    Key("office.iban", TEXT, "IBAN", _fixed(""), guarded=True),
    Key("office.bic", TEXT, "BIC", _fixed(""), guarded=True),
    Key("office.payment_instructions", TEXT, "Payment instructions", _fixed("")),
    # An IANA name ("Europe/London"); what "today" is (app.clock) and how times are shown.
    Key("office.time_zone", TEXT, "Time zone", _fixed("UTC")),
    # Sending: how invoice emails leave.
    Key("sending.sender_name", TEXT, "Sender name", _sender(0), guarded=True),
    Key("sending.sender_address", TEXT, "Sender address", _sender(1), guarded=True),
    Key("sending.reply_to", TEXT, "Reply-To", _fixed(""), guarded=True),
    Key("sending.bcc_self", BOOL, "Copy to the office", _fixed(False)),
    Key("sending.signature", TEXT, "Signature", _fixed("")),
    # Locale: how dates, numbers and money read (Babel locale identifier).
    Key("locale.code", TEXT, "Formats", _fixed("en_GB")),
    # "" follows the locale; else "monday", "saturday" or "sunday".
    Key("locale.first_weekday", TEXT, "First day of the week", _fixed("")),
    # Invoicing defaults (C2, C3).
    Key("invoices.currency", TEXT, "Default currency", _fixed("EUR")),
    Key("invoices.payment_terms_days", INT, "Payment terms (days)", _fixed(30)),
    Key("invoices.number_format", TEXT, "Invoice number format", _fixed("{year}-{seq:04}")),
    Key("invoices.number_restart_yearly", BOOL, "Numbers restart each year", _fixed(True)),
    # The invoice email's words, placeholders filled by app.mail.placeholders (C4).
    Key("templates.invoice_subject", TEXT, "Invoice email subject",
        _fixed("Invoice {invoice_number} from {office_name}")),
    Key("templates.invoice_body", TEXT, "Invoice email message",
        _fixed("Dear {customer_name},\n\nplease find invoice {invoice_number} for "
               "{amount_due}, due on {due_date}.\n\n{signature}")),
    # Follow-ups. (Reminders are stages of their own: app.models.reminders, migration 0018.)
    Key("followups.unopened_days", INT, "Follow up unopened invoices after (days)",
        _fixed(7)),
    # Which rules suggest follow-ups (app.followups.suggestions.RULES says what each is).
    Key("followups.suggest_unopened", BOOL, "Suggest: invoice emailed and never opened",
        _fixed(True)),
    Key("followups.suggest_overdue", BOOL, "Suggest: invoice overdue", _fixed(True)),
    Key("followups.suggest_address", BOOL, "Suggest: get a new address after a rejection",
        _fixed(True)),
    Key("followups.suggest_at_risk", BOOL, "Suggest: customer turning “At risk”",
        _fixed(True)),
)

KEYS: dict[str, Key] = {key.name: key for key in _ALL}


def coerce(key: Key, value: Any) -> Any:
    """`value` as the key's type; ValueError (with words for a person) when it is not one."""
    if key.kind == TEXT:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError(f"{key.label}: expected text")
        return value.strip()
    if key.kind == INT:
        if isinstance(value, bool):
            raise ValueError(f"{key.label}: expected a whole number")
        try:
            number = int(str(value).strip()) if not isinstance(value, int) else value
        except ValueError:
            raise ValueError(f"{key.label}: expected a whole number") from None
        if not 0 <= number <= 3650:
            raise ValueError(f"{key.label}: between 0 and 3650")
        return number
    if key.kind == BOOL:
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in {"1", "true", "yes", "on", "y"}:
            return True
        if str(value).strip().lower() in {"0", "false", "no", "off", "n", ""}:
            return False
        raise ValueError(f"{key.label}: expected yes or no")
    if key.kind == DAYS:
        parts = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
        try:
            days = sorted({int(str(p).strip()) for p in parts if str(p).strip()})
        except ValueError:
            raise ValueError(f"{key.label}: whole numbers of days, separated by commas") \
                from None
        if any(not 0 < d <= 3650 for d in days):
            raise ValueError(f"{key.label}: each between 1 and 3650")
        return days
    raise ValueError(f"unknown kind {key.kind!r}")
