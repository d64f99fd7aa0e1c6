"""Money arithmetic: amounts typed by people, cents, line amounts and totals.

Nothing here knows what kind of document the lines belong to, so an invoice and a later
kind of document (a quote, a credit note) add up the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Protocol

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY_LIMIT = Decimal("1000000000000")  # the columns hold 12 digits before the point


class MoneyError(ValueError):
    """An amount a person typed is not one; the message is meant for them."""


class LineLike(Protocol):
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = ZERO


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal


def to_decimal(value) -> Decimal:
    """Decimal from text typed by a person (or an int/Decimal); MoneyError otherwise.

    Commas are refused rather than guessed: "1,250" is 1250 to some and 1.25 to others.
    """
    if isinstance(value, float):
        raise MoneyError("Amounts must not be floats.")  # floats would leak binary error
    text = "" if value is None else str(value).strip().replace(" ", "")
    if "," in text:
        raise MoneyError("Use a dot for decimals and no thousands separators, e.g. 1234.50.")
    try:
        result = Decimal(text)
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise MoneyError(f"{value!r} is not a number." if text else "Enter a number.")
    return result


def plain_number(value) -> str:
    """2.000 → "2", 1.50 → "1.5": quantities and rates shown without noise."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(line: LineLike) -> LineAmounts:
    """Net and tax of one line, each rounded to cents (tax is computed per line)."""
    net = cents(Decimal(line.quantity) * Decimal(line.unit_price))
    tax = cents(net * Decimal(line.tax_rate) / 100)
    return LineAmounts(net=net, tax=tax)


def compute_totals(lines: Iterable[LineLike]) -> Totals:
    subtotal = tax_total = ZERO
    for line in lines:
        amounts = line_amounts(line)
        subtotal += amounts.net
        tax_total += amounts.tax
    return Totals(subtotal=subtotal, tax_total=tax_total, total=subtotal + tax_total)
