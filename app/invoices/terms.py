"""What a new invoice is billed in, and when it is due: the customer's terms, else the
office's defaults (settings `invoices.currency` and `invoices.payment_terms_days`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app import settings

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "CZK")
MAX_TERMS_DAYS = 365


@dataclass(frozen=True)
class Terms:
    currency: str
    days: int
    # Whose terms these are: "customer" (both set on the file), "office", or "mixed".
    source: str = "office"

    def due_date(self, issue_date: date) -> date:
        return issue_date + timedelta(days=self.days)


def currency_choices(*also: str | None) -> list[str]:
    """The currencies to choose from: the usual ones, the office's and `also` (a value
    already stored), without duplicates."""
    extra = [c for c in (office_defaults().currency, *also) if c and c not in CURRENCIES]
    return list(CURRENCIES) + sorted(set(extra))


def office_defaults() -> Terms:
    """The office's default currency and payment terms (Admin → Settings)."""
    return Terms(settings.get("invoices.currency"), settings.get("invoices.payment_terms_days"))


def terms_for(customer) -> Terms:
    """The customer's currency and payment terms, each falling back to the office's."""
    office = office_defaults()
    if customer is None:
        return office
    currency = customer.currency or office.currency
    days = customer.payment_terms_days if customer.payment_terms_days is not None \
        else office.days
    own = (bool(customer.currency), customer.payment_terms_days is not None)
    source = "customer" if all(own) else ("mixed" if any(own) else "office")
    return Terms(currency, days, source)
