"""The placeholders an office may write in its email templates, filled by plain
substitution: `{name}` becomes a value from a fixed list. No Jinja, no `str.format`:
nothing a template says is evaluated or looked up on an object, so a template can't
reach anything but the list's strings."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency

from app import settings
from app.settings.formatting import CUSTOMER_DATE

# name → what it stands for, in the order the editor lists them.
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "The customer's name",
    "invoice_number": "The invoice number",
    "invoice_date": "The invoice's date",
    "due_date": "The due date",
    "total": "The invoice total",
    "amount_due": "What is still to pay",
    "days_overdue": "Days since the due date (0 before it)",
    "view_link": "The link to view the invoice online",
    "office_name": "The office's name",
    "signature": "The office's signature (Admin → Settings → Sending)",
}

# Anything between braces is meant as a placeholder (so `{{ 7*7 }}` and
# `{customer.__class__}` are refused, not kept as text a customer might read).
_BRACES = re.compile(r"\{+([^{}\n]{0,80})\}+")
# Fill only exact names: whatever else is left stays as it was written.
_NAME = re.compile(r"\{([a-z_]{1,40})\}")


def unknown(text: str) -> list[str]:
    """The placeholders in `text` that are not on the list, in order, each once."""
    found = [m.group(0) for m in _BRACES.finditer(text or "")
             if not (_NAME.fullmatch(m.group(0)) and m.group(1) in PLACEHOLDERS)]
    if "{" in _BRACES.sub("", text or "") or "}" in _BRACES.sub("", text or ""):
        found.append("unpaired { or }")
    return list(dict.fromkeys(found))


def problem(text: str, what: str) -> str | None:
    """Words for a person when `text` has placeholders not on the list; None when fine."""
    bad = unknown(text)
    if not bad:
        return None
    names = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    verb = "is not a placeholder" if len(bad) == 1 else "are not placeholders"
    return f"{what}: {', '.join(bad)} {verb}. Use only {names}."


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each listed placeholder replaced by its value, in one pass (a value
    containing `{name}` is not filled again)."""
    return _NAME.sub(lambda m: str(values[m.group(1)]) if m.group(1) in PLACEHOLDERS
                     and m.group(1) in values else m.group(0), text)


# Where `{view_link}` stands in a body until the message's own link exists (app.mail.build
# puts it there; the preview shows these words).
LINK_LATER = "{view_link}"
PREVIEW_LINK = "https://…/i/… (each email gets its own private link)"


def values_for(invoice, *, office_name: str, today: date, locale: str,
               view_link: str = LINK_LATER) -> dict[str, str]:
    """The placeholders' values for `invoice`, dates and money in the office's locale."""
    def money(amount) -> str:
        return format_currency(Decimal(amount), invoice.currency, locale=locale)

    def day(value: date | None) -> str:
        return format_date(value, format=CUSTOMER_DATE, locale=locale) if value else ""

    overdue = (today - invoice.due_date).days if invoice.due_date else 0
    return {
        "customer_name": invoice.customer.display_name,
        # A draft has no number yet: its placeholder stays, and sending fills it
        # (app.mail.invoice_send.NUMBER_PLACEHOLDER is the same text).
        "invoice_number": invoice.issued_number or "{invoice_number}",
        "invoice_date": day(invoice.issue_date), "due_date": day(invoice.due_date),
        "total": money(invoice.total), "amount_due": money(invoice.balance),
        "days_overdue": str(max(overdue, 0)), "view_link": view_link,
        "office_name": office_name, "signature": signature(office_name),
    }


def signature(office_name: str) -> str:
    """How the office signs its emails (`sending.signature`, else "Kind regards")."""
    return settings.get("sending.signature") or f"Kind regards,\n{office_name}"
