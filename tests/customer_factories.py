"""Plain factories for customers, notes, invoices and payments used across tests."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.customers.contacts import normalise_phone
from app.extensions import db
from app.models import (
    Customer, CustomerEmail, CustomerIdentifier, CustomerPhone, Invoice, Note, Payment, Tag,
)


def make_customer(first_name: str = "Ada", last_name: str = "Lovelace", *, owner=None,
                  emails: tuple[str, ...] = (), phones: tuple[str, ...] = (),
                  tags: tuple[str, ...] = (), id_number: str | None = None,
                  commit: bool = True, **fields) -> Customer:
    customer = Customer(first_name=first_name, last_name=last_name,
                        owner_id=getattr(owner, "id", owner), **fields)
    for i, address in enumerate(emails):
        customer.emails.append(CustomerEmail(address=address, is_primary=i == 0, state="ok"))
    for number in phones:
        e164, display = normalise_phone(number, "GB")
        customer.phones.append(CustomerPhone(e164=e164, display=display))
    for name in tags:
        tag = db.session.scalar(db.select(Tag).filter_by(name=name)) or Tag(name=name)
        customer.tags.append(tag)
    if id_number:
        customer.identifiers.append(
            CustomerIdentifier(kind="tax_id", value=id_number, last4=id_number[-4:]))
    db.session.add(customer)
    if commit:
        db.session.commit()
    return customer


def make_invoice(customer, total: str = "100.00", *, issued: date, status: str = "paid",
                 paid: str | None = None, seq: int | None = None) -> Invoice:
    seq = seq or (db.session.scalar(db.select(db.func.count(Invoice.id))
                                    .filter_by(customer_id=customer.id)) or 0) + 1
    invoice = Invoice(customer_id=customer.id, seq=seq, number=f"C{customer.id}-{seq:04d}",
                      issue_date=issued, due_date=issued, status=status,
                      subtotal=Decimal(total), total=Decimal(total),
                      amount_paid=Decimal(paid if paid is not None else
                                          (total if status == "paid" else "0")))
    db.session.add(invoice)
    db.session.flush()
    if invoice.amount_paid:
        db.session.add(Payment(invoice_id=invoice.id, paid_on=issued,
                               amount=invoice.amount_paid))
    db.session.commit()
    return invoice


def make_note(customer, body: str = "Called about the renewal", *, author=None,
              kind: str = "call", **fields) -> Note:
    note = Note(customer_id=customer.id, author_id=getattr(author, "id", None), kind=kind,
                body=body, **fields)
    db.session.add(note)
    db.session.commit()
    return note
