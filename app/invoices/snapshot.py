"""What an issued invoice says about its seller and its buyer, kept as it was at finalize.

`take_snapshot` copies the office settings (name, address, tax numbers, bank details,
payment instructions, logo) and the customer (name, address, email, tax numbers) onto the
invoice when it is finalized, with the EPC payment QR payload. The PDF and the customer's
view print `parties(invoice)`: the snapshot of an issued invoice, the current details for
a draft. So a later settings edit or customer edit (or a merge: the snapshot does not
follow the customer row) never rewrites an issued invoice; erasing the customer blanks
the snapshot's personal buyer fields (`erase_buyer`), as it blanks the customer.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app import settings
from app.invoices.epc_qr import epc_payload
from app.settings import formatting
from app.models import Customer, DocumentImage, Invoice

SNAPSHOT_VERSION = 1
SELLER_KEYS = ("name", "address", "country", "tax_number", "registration_number", "phone",
               "website", "bank_name", "iban", "bic", "payment_instructions")
# Identification numbers that belong on an invoice (a national ID number does not).
BUYER_TAX_KINDS = {"vat": "VAT number", "tax_id": "Tax ID",
                   "company_reg": "Company registration"}


@dataclass(frozen=True)
class Parties:
    seller: dict
    buyer: dict
    logo: bytes | None  # PNG or JPEG bytes

    def payment_qr(self, invoice: Invoice, amount: Decimal) -> str | None:
        """The EPC QR payload paying `amount` of `invoice`, or None: only for euros, with
        an IBAN, and an amount a transfer can carry."""
        if (invoice.currency != "EUR" or not self.seller.get("iban")
                or invoice.issued_number is None):
            return None
        try:
            return epc_payload(name=self.seller.get("name", ""), iban=self.seller["iban"],
                               bic=self.seller.get("bic", ""), amount=amount,
                               reference=invoice.number)
        except ValueError:
            return None


def parties(session, invoice: Invoice) -> Parties:
    """The seller and buyer the invoice prints: its snapshot once issued, else today's."""
    if invoice.snapshot:
        digest = invoice.snapshot["seller"].get("logo", "")
        logo = session.get(DocumentImage, digest).data if digest else None
        return Parties(invoice.snapshot["seller"], invoice.snapshot["buyer"], logo)
    return Parties(_seller_now(), buyer_now(invoice.customer), _logo_now())


def take_snapshot(session, invoice: Invoice) -> None:
    """Keep the seller and buyer of an invoice being finalized (numbered already)."""
    seller = _seller_now()
    logo = _logo_now()
    seller["logo"] = _store_image(session, logo) if logo else ""
    current = Parties(seller, buyer_now(invoice.customer), logo)
    invoice.snapshot = {"version": SNAPSHOT_VERSION, "seller": seller, "buyer": current.buyer,
                        "payment_qr": current.payment_qr(invoice, invoice.total) or ""}


def _seller_now() -> dict:
    return {key: settings.get(f"office.{key}") or "" for key in SELLER_KEYS}


def _logo_now() -> bytes | None:
    text = settings.get("office.logo") or ""
    if not text:
        return None
    try:
        return base64.b64decode(text.split(",", 1)[-1] if text.startswith("data:") else text)
    except (binascii.Error, ValueError):
        return None


def _store_image(session, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    if session.get(DocumentImage, digest) is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # Two finalizes may store the same new logo at once: the second gives way.
        session.execute(insert(DocumentImage).values(sha256=digest, data=data)
                        .on_conflict_do_nothing(index_elements=["sha256"]))
    return digest


def buyer_now(customer: Customer) -> dict:
    """The customer as an invoice names them today."""
    attention = ""
    if customer.kind == "company":
        attention = f"{customer.first_name} {customer.last_name}".strip()
    address: list[str] = []
    if customer.addresses:
        a = customer.addresses[0]
        address = [a.line1, a.line2, " ".join(p for p in (a.postal_code, a.city) if p),
                   ", ".join(p for p in (a.region, formatting.country(a.country)) if p)]
    return {
        "customer_id": customer.id,
        "name": customer.display_name,
        "attention": attention,
        "address": [line for line in address if line and line.strip()],
        "email": customer.primary_email.address if customer.primary_email else "",
        "tax_numbers": [{"label": BUYER_TAX_KINDS[i.kind], "value": i.value}
                        for i in customer.identifiers if i.kind in BUYER_TAX_KINDS],
    }


def buyer_lines(buyer: dict) -> list[str]:
    """The buyer's lines under the name, as the PDF and the customer's view print them."""
    lines = [f"Attn. {buyer['attention']}"] if buyer.get("attention") else []
    lines += list(buyer.get("address", ()))
    if buyer.get("email"):
        lines.append(buyer["email"])
    lines += [f"{t['label']}: {t['value']}" for t in buyer.get("tax_numbers", ())]
    return lines


def erase_buyer(session, customer: Customer) -> int:
    """Blank the personal buyer fields of `customer`'s issued invoices; returns how many.

    The name becomes the erased customer's placeholder name, as on the customer; the
    address, email and tax numbers go. Seller, amounts and number stay for accounting.
    """
    invoices = session.scalars(select(Invoice).where(Invoice.customer_id == customer.id,
                                                     Invoice.snapshot.is_not(None))).all()
    for invoice in invoices:
        snapshot = dict(invoice.snapshot)
        snapshot["buyer"] = {**snapshot["buyer"], "name": customer.display_name,
                             "attention": "", "address": [], "email": "", "tax_numbers": []}
        invoice.snapshot = snapshot
    return len(invoices)
