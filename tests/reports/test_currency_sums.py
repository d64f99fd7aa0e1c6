"""No page or export adds different currencies together.

Every amount in the fixture is a distinct power of two times `UNIT` (an "atom"), each atom
in one currency, so any money figure a page or an export shows can be read back as the set
of atoms it adds up: a figure made of EUR and GBP atoms is a cross-currency sum. The walk
covers every GET route of the app whose arguments it can fill (a customer id, an export
format), so a new report, export or page is checked without touching this test; an export's
CSV is asked for each of the tables its workbook holds.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app import clock
from app.invoices.money import LineInput
from tests.factories import make_customer, make_invoice, make_payment
from tests.reports.conftest import TODAY

UNIT = Decimal("10.01")  # an odd unit: round numbers on a page (thresholds) never decode
EUR, GBP = "EUR", "GBP"
# Endpoints the walk must reach, so it can't pass by checking nothing.
MUST_CHECK = {"reports.receivables", "reports.revenue", "reports.customers",
              "reports.activity", "reports.accounting", "reports.receivables_export",
              "reports.revenue_export", "reports.customers_export", "reports.activity_export",
              "reports.emails_export", "customers.show", "customers.index", "main.index",
              "invoices.index"}
# Route arguments the walk fills: the customer billed in both currencies, each format.
FILLABLE = {"customer_id", "fmt"}
# Written as "1,234.56", "1.234,56", "1 234,56" or plain "1234.56".
NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:(?:[,.\u00a0\u202f ])\d{3})*[.,]\d{2}(?![\d])"
                    r"|(?<![\d.,])\d+[.,]\d{2}(?![\d])")


def _atoms(n: int) -> Decimal:
    return UNIT * (1 << n)


class Ledger:
    """Which atom is in which currency."""

    def __init__(self):
        self.currency: dict[int, str] = {}
        self.next = 0

    def take(self, currency: str, count: int = 1) -> list[int]:
        atoms = list(range(self.next, self.next + count))
        for atom in atoms:
            self.currency[atom] = currency
        self.next += count
        return atoms

    def currencies_of(self, cents: int) -> set[str]:
        """The currencies a figure (in cents) is made of; empty when it isn't ours."""
        unit = int(UNIT * 100)
        if cents <= 0 or cents % unit:
            return set()
        n, found, bit = cents // unit, set(), 0
        while n:
            if n & 1:
                if bit not in self.currency:
                    return set()
                found.add(self.currency[bit])
            n, bit = n >> 1, bit + 1
        return found


def _bill(ledger: Ledger, customer, currency: str, issued) -> None:
    """A paid, an open (overdue) and a partially paid invoice in `currency`."""
    paid, open_, (owed, part) = (ledger.take(currency), ledger.take(currency),
                                 ledger.take(currency, 2))
    make_invoice(customer, status="paid", total=str(_atoms(paid[0])), currency=currency,
                 issue_date=issued)
    make_invoice(customer, status="finalized", total=str(_atoms(open_[0])),
                 currency=currency, issue_date=issued)
    invoice = make_invoice(customer, status="finalized",
                           lines=[LineInput("Work", Decimal(1), _atoms(owed) + _atoms(part))],
                           currency=currency, issue_date=issued)
    make_payment(invoice, amount=str(_atoms(part)), paid_on=issued + timedelta(days=3))


@pytest.fixture
def ledger(db):
    ledger = Ledger()
    issued = TODAY - timedelta(days=40)
    euro = make_customer(first_name="Erna", last_name="Euro", currency=EUR)
    pound = make_customer(first_name="Gary", last_name="Pound", currency=GBP)
    both = make_customer(first_name="Mia", last_name="Both", currency=EUR)
    _bill(ledger, euro, EUR, issued)
    _bill(ledger, pound, GBP, issued)
    _bill(ledger, both, EUR, issued)
    _bill(ledger, both, GBP, issued)
    ledger.both = both
    return ledger


def _figures_in_text(text: str) -> list[tuple[str, int]]:
    out = []
    for match in NUMBER.finditer(text):
        raw = match.group(0)
        digits = re.sub(r"[^\d]", "", raw)
        out.append((raw, int(digits)))  # the last two digits are always the cents
    return out


def _figures_in_workbook(data: bytes) -> tuple[list[str], list[tuple[str, int]]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    out = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    out.append((f"{sheet.title}: {value}", round(Decimal(str(value)) * 100)))
                elif isinstance(value, str):
                    out += [(f"{sheet.title}: {raw}", c) for raw, c in _figures_in_text(value)]
    return book.sheetnames, out


def _mixed(ledger: Ledger, figures) -> list[str]:
    return [raw for raw, cents in figures if len(ledger.currencies_of(cents)) > 1]


def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        yield rule


def test_no_page_or_export_adds_currencies_together(app, client, login_as, ledger):
    app.config["TODAY"] = TODAY
    login_as("admin")
    assert clock.today() == TODAY
    problems: dict[str, list[str]] = {}
    checked: set[str] = set()
    for rule in _get_rules(app):
        if not set(rule.arguments) <= FILLABLE:
            continue
        values = {"customer_id": ledger.both.id}
        formats = ["xlsx", "csv"] if "fmt" in rule.arguments else [None]
        sheets: list[str] = []
        for fmt in formats:
            if fmt:
                values["fmt"] = fmt
            path = rule.build(values, append_unknown=False)[1]
            targets = [path] if fmt != "csv" else [f"{path}?table={s}" for s in sheets] or [path]
            for target in targets:
                response = client.get(target)
                if response.status_code != 200:
                    continue
                checked.add(rule.endpoint)
                kind = response.mimetype
                if kind.endswith("spreadsheetml.sheet"):
                    sheets, figures = _figures_in_workbook(response.data)
                elif kind.startswith("text/") or kind.endswith("json"):
                    figures = _figures_in_text(response.get_data(as_text=True))
                else:
                    continue
                mixed = _mixed(ledger, figures)
                if mixed:
                    problems[target] = mixed
    assert MUST_CHECK <= checked, sorted(MUST_CHECK - checked)
    assert problems == {}


def test_the_walk_would_see_a_cross_currency_sum(ledger):
    """The decoding is not blind: an EUR atom plus a GBP atom reads as both currencies,
    and sums inside one currency as that currency alone."""
    eur = [a for a, c in ledger.currency.items() if c == EUR]
    gbp = [a for a, c in ledger.currency.items() if c == GBP]
    mixed = int((_atoms(eur[0]) + _atoms(gbp[0])) * 100)
    same = int((_atoms(eur[0]) + _atoms(eur[1])) * 100)
    assert ledger.currencies_of(mixed) == {EUR, GBP}
    assert ledger.currencies_of(same) == {EUR}
    text = f"Total <td>€{_atoms(eur[0]) + _atoms(gbp[0]):,.2f}</td>"
    assert _mixed(ledger, _figures_in_text(text)) == [f"{_atoms(eur[0]) + _atoms(gbp[0]):,.2f}"]
    assert ledger.currencies_of(500000) == set()  # 5,000.00 is not made of atoms
