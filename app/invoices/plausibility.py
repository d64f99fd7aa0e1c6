"""What is possible but probably a slip of the keyboard: asked about once, with the
reason, before it is saved; ticking the confirmation saves it as typed."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.settings import formatting

# A payment is recorded when it has arrived; a cheque dated a few days ahead is ordinary.
PAYMENT_DAYS_AHEAD = 7


def payment_date_question(paid_on: date | None, today: date) -> str | None:
    """Why a payment dated `paid_on` needs a confirmation, or None."""
    if paid_on is None or (paid_on - today).days <= PAYMENT_DAYS_AHEAD:
        return None
    return (f"{formatting.day(paid_on)} is {(paid_on - today).days} days from today. Payments "
            "are recorded when the money has arrived: check the date, or tick “The date "
            "is right” to record it anyway.")


def negative_total_question(total: Decimal, currency: str) -> str | None:
    """Why saving a draft with this total needs a confirmation, or None."""
    if total >= 0:
        return None
    return (f"This draft's total is negative ({formatting.money(total, currency)}): the customer would "
            "owe nothing and be owed money. Check the prices and quantities, or tick “A "
            "negative total is intended” if this is a credit.")
