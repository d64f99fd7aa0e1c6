"""Demo invoices for `flask demo seed`: a year of invoices in every state, with payments.

Works with whatever customers exist (a few are created only if there are none), and the
same seed gives the same invoices, dated relative to today.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from app import clock
from app.extensions import db
from app.invoices import money, rules
from app.invoices.terms import terms_for
from app.invoices.money import LineInput
from app.models import Customer, Invoice, User

SEED = 4242
COUNT = 150
CATALOGUE = (
    ("Monthly bookkeeping", "1", "350.00", "20"),
    ("Payroll processing ({n} employees)", "{n}", "18.50", "20"),
    ("VAT return preparation", "1", "180.00", "20"),
    ("Annual accounts", "1", "1250.00", "20"),
    ("Tax advice, hourly", "{h}", "95.00", "20"),
    ("Company formation support", "1", "640.00", "20"),
    ("Document scanning and archiving", "{n}", "2.40", "20"),
    ("Travel expenses (flat)", "1", "45.00", "0"),
    ("Postage and courier", "1", "12.80", "0"),
    ("Training session (half day)", "1", "420.00", "10"),
    ("Software licence, monthly", "1", "29.90", "20"),
    ("Loyalty discount", "1", "-25.00", "20"),
)
STATES = (("paid", 45), ("finalized", 22), ("partially_paid", 15), ("draft", 11), ("void", 7))
NOTES = ("", "", "", "Thank you for your business.",
         "Please pay by bank transfer to IBAN GB00 DEMO 0000 0000 0000 00.",
         "Payable within 30 days. Late payments may incur interest.")
FALLBACK_CUSTOMERS = (
    "Acme Widgets Ltd", "Bäckerei Sonnenschein", "Łódź Logistics", "Harbour Dental Clinic",
    "Northwind Traders", "Olsen & Daughters", "Green Leaf Café", "Maple Street Garage",
    "Studio Rossi Architetti", "Blue Fjord Fisheries",
)


def seed_demo_invoices(today: date | None = None) -> dict[str, int]:
    """Add ~150 demo invoices unless invoices exist; returns counts for the summary."""
    if db.session.scalar(db.select(db.func.count(Invoice.id))):
        return {"invoices": 0, "payments": 0}
    rng = random.Random(SEED)
    today = today or clock.today()
    customers = _customers(rng)
    author = db.session.scalar(db.select(User).where(User.role.in_(("billing", "admin")))
                               .order_by(User.role.desc(), User.id))
    plans = sorted((_plan(rng, customers, today) for _ in range(COUNT)),
                   key=lambda p: (p["issue"], p["customer"].id))
    payments = 0
    for plan in plans:
        payments += _create(plan, today, author)
    db.session.flush()
    return {"invoices": len(plans), "payments": payments}


def _customers(rng: random.Random) -> list[Customer]:
    customers = list(db.session.scalars(
        db.select(Customer).where(Customer.erased_at.is_(None)).order_by(Customer.id)))
    if customers:
        return customers
    staff = db.session.scalar(db.select(User).filter_by(role="staff").order_by(User.id))
    for i, name in enumerate(FALLBACK_CUSTOMERS):
        customer = Customer(kind="company", company=name,
                            owner_id=staff.id if staff and i % 3 == 0 else None)
        db.session.add(customer)
        customers.append(customer)
    db.session.flush()
    return customers


def _plan(rng: random.Random, customers: list[Customer], today: date) -> dict:
    # Older invoices are more often paid; recent ones are more often open or drafts.
    issue = today - timedelta(days=int(rng.triangular(0, 365, 20)))
    state = rng.choices([s for s, _ in STATES], weights=[w for _, w in STATES])[0]
    if state == "draft":
        issue = today - timedelta(days=rng.randint(0, 14))
    lines = []
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 5))):
        text, qty, price, rate = rng.choice(CATALOGUE)
        n, h = rng.randint(2, 25), rng.choice(("0.5", "1", "1.5", "2", "3.25", "6"))
        lines.append(LineInput(text.format(n=n), Decimal(qty.format(n=n, h=h)),
                               Decimal(price), Decimal(rate)))
    if sum(Decimal(line.unit_price) * line.quantity for line in lines) <= 0:
        lines.append(LineInput("Monthly bookkeeping", Decimal(1), Decimal("350.00"),
                               Decimal(20)))
    customer = rng.choice(customers)
    usual = terms_for(customer).currency
    # Now and then a customer is billed in the other currency, so some are billed in both.
    other = "EUR" if usual == "GBP" else "GBP"
    return {"customer": customer, "issue": issue, "state": state,
            "terms": rng.choice((14, 30, 30, 30, 45)), "lines": lines,
            "notes": rng.choice(NOTES), "currency": usual if rng.random() < 0.9 else other,
            "rng": random.Random(rng.random())}


def _create(plan: dict, today: date, author) -> int:
    rng, issue = plan["rng"], plan["issue"]
    invoice = rules.create_invoice(
        db.session, plan["customer"], issue_date=issue,
        due_date=issue + timedelta(days=plan["terms"]), currency=plan["currency"],
        notes=plan["notes"], lines=plan["lines"], created_by=author)
    invoice.created_at = _at(issue, 9)
    if plan["state"] == "draft":
        return 0
    rules.finalize(invoice, now=_at(issue, 10))
    if plan["state"] == "void":
        rules.void(invoice, now=_at(min(today, issue + timedelta(days=3)), 11))
        return 0
    if plan["state"] == "finalized":
        return 0
    if plan["state"] == "partially_paid":
        share = Decimal(rng.choice(("0.25", "0.3", "0.5", "0.6")))
        amounts = [money.cents(invoice.total * share)]
    else:
        first = money.cents(invoice.total * Decimal(rng.choice(("0.5", "1", "1", "1"))))
        amounts = [first] + ([invoice.total - first] if first < invoice.total else [])
    paid_on = issue
    for amount in amounts:
        paid_on = min(today, paid_on + timedelta(days=rng.randint(3, plan["terms"] + 10)))
        rules.record_payment(
            invoice, amount=amount, paid_on=paid_on, created_by=author,
            method=rng.choice(("bank_transfer", "bank_transfer", "bank_transfer", "card",
                               "cash", "cheque")),
            reference=f"TRX-{rng.randint(100000, 999999)}" if rng.random() < 0.7 else "")
    return len(amounts)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)
