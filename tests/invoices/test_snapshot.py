"""An issued invoice keeps its seller and buyer: later settings edits, customer edits and
erasure never rewrite its PDF or the customer's view; the PDF prints the office's logo,
details, tax and bank details and an EPC payment QR code."""
from __future__ import annotations

import base64
import io
from datetime import date

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import text

from app import settings
from app.customers.privacy import erase_customer
from app.extensions import db as ext_db
from app.invoices.pdf import render_invoice_pdf
from app.models import CustomerAddress, CustomerIdentifier, DocumentImage, Invoice
from tests.factories import make_customer, make_invoice
from tests.invoices.test_epc_qr import read_modules, read_payload

OFFICE = {
    "office.name": "Müller & Partner", "office.address": "Hauptstraße 1\n10115 Berlin",
    "office.country": "DE", "office.tax_number": "DE136695976",
    "office.registration_number": "HRB 12345", "office.phone": "+49 30 123456",
    "office.website": "mueller.example", "office.bank_name": "Commerzbank",
    "office.iban": "DE89370400440532013000", "office.bic": "COBADEFFXXX",
    "office.payment_instructions": "Pay within 14 days by bank transfer.",
}


def _logo(colour=(200, 30, 30)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), colour).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _images(data: bytes) -> list[Image.Image]:
    return [image.image for page in PdfReader(io.BytesIO(data)).pages
            for image in page.images]


def _buyer():
    customer = make_customer(kind="company", company="Łódź Logistics", first_name="Anna",
                             last_name="Nowak", emails=("anna@lodz.example",))
    customer.addresses.append(CustomerAddress(line1="ul. Piotrkowska 1", postal_code="90-001",
                                              city="Łódź", country="PL"))
    customer.identifiers.append(CustomerIdentifier(kind="vat", value="PL5260250274",
                                                   last4="0274"))
    customer.identifiers.append(CustomerIdentifier(kind="national_id", value="44051401359",
                                                   last4="1359"))
    ext_db.session.commit()
    return customer


def _issued(db, customer=None, currency="EUR"):
    return make_invoice(customer or _buyer(), via_rules=True, total="240.00",
                        currency=currency, issue_date=date(2026, 11, 20),
                        due_date=date(2026, 12, 20))


def test_the_pdf_shows_office_tax_bank_details_and_the_payment_qr(app, db):
    settings.update({**OFFICE, "office.logo": _logo()})
    invoice = _issued(db)
    data = render_invoice_pdf(invoice, today=date(2026, 11, 21))
    printed = _text(data)
    for fact in ("Müller & Partner", "Hauptstraße 1", "10115 Berlin", "+49 30 123456",
                 "mueller.example", "VAT/Tax no. DE136695976", "Reg. no. HRB 12345",
                 "Łódź Logistics", "Attn. Anna Nowak", "ul. Piotrkowska 1", "90-001 Łódź",
                 "Poland", f"quoting invoice {invoice.number}",
                 "VAT number: PL5260250274", "Bank: Commerzbank",
                 "IBAN: DE89 3704 0044 0532 0130 00", "BIC: COBADEFFXXX",
                 "Pay within 14 days by bank transfer.", "Scan with your banking app",
                 invoice.number):
        assert fact in printed, fact
    assert "44051401359" not in printed  # a national ID number is not for invoices
    images = _images(data)
    assert len(images) == 2  # the logo and the QR code
    payload = invoice.snapshot["payment_qr"]
    fields = read_payload(payload)
    assert (fields["name"], fields["iban"], fields["bic"], fields["amount"], fields["text"]) \
        == ("Müller & Partner", "DE89370400440532013000", "COBADEFFXXX", "EUR240.00",
            invoice.number)
    assert any(read_modules(image, payload) for image in images)
    logo = next(image for image in images if not read_modules(image, payload))
    assert logo.size == (120, 40)


def test_the_qr_pays_the_balance_and_only_euros_with_an_iban(app, db):
    settings.update(OFFICE)
    invoice = make_invoice(_buyer(), via_rules=True, status="partially_paid",
                           total="240.00", paid="40.00")
    data = render_invoice_pdf(invoice)
    (image,) = _images(data)
    balance = invoice.snapshot["payment_qr"].replace("EUR240.00", "EUR200.00")
    assert read_modules(image, balance)
    assert _images(render_invoice_pdf(_issued(db, currency="GBP"))) == []
    assert _images(render_invoice_pdf(make_invoice(via_rules=True, status="paid"))) == []
    settings.update({"office.iban": "", "office.bic": ""})
    no_iban = _issued(db)
    assert no_iban.snapshot["payment_qr"] == ""
    assert _images(render_invoice_pdf(no_iban)) == []
    assert "IBAN" not in _text(render_invoice_pdf(no_iban))


def test_a_draft_shows_todays_details_but_no_qr(app, db):
    settings.update(OFFICE)
    draft = make_invoice(_buyer(), via_rules=True, status="draft")
    data = render_invoice_pdf(draft)
    assert "Draft" in _text(data) and "Müller & Partner" in _text(data)
    assert _images(data) == []  # no number yet: nothing to quote as the reference
    assert "quoting invoice" not in _text(data)  # never "quoting invoice Draft"
    settings.update({"office.name": "Renamed GmbH"})
    assert "Renamed GmbH" in _text(render_invoice_pdf(draft))


def test_the_snapshot_survives_settings_and_customer_edits(app, db, client):
    settings.update({**OFFICE, "office.logo": _logo()})
    customer = _buyer()
    invoice = _issued(db, customer)
    before = _text(render_invoice_pdf(invoice))
    settings.update({"office.name": "New Name AG", "office.address": "Elsewhere 9",
                     "office.iban": "NL91ABNA0417164300", "office.bic": "ABNANL2A",
                     "office.logo": _logo((0, 0, 255))})
    customer.company = "Renamed Logistics"
    customer.addresses[0].line1 = "New Street 5"
    customer.identifiers[0].value = "PL0000000000"
    db.session.commit()
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    after = _text(render_invoice_pdf(invoice))
    assert after == before
    assert "New Name AG" not in after and "Renamed Logistics" not in after
    page = client.get(f"/i/{invoice.view_key}").text
    assert "Müller &amp; Partner" in page and "Łódź Logistics" in page
    assert "DE89 3704 0044 0532 0130 00" in page and "VAT number: PL5260250274" in page
    assert "New Name AG" not in page and "Renamed Logistics" not in page
    assert "NL91" not in page
    assert db.session.scalar(db.select(db.func.count(DocumentImage.sha256))) == 1
    # A new invoice takes the new details, and the new logo is kept beside the old one.
    fresh = _issued(db, customer)
    assert "New Name AG" in _text(render_invoice_pdf(fresh))
    assert db.session.scalar(db.select(db.func.count(DocumentImage.sha256))) == 2


def test_the_snapshot_is_encrypted_at_rest(app, db):
    settings.update(OFFICE)
    invoice = _issued(db)
    raw = db.session.execute(text("SELECT snapshot FROM invoices WHERE id = :id"),
                             {"id": invoice.id}).scalar_one()
    assert "PL5260250274" not in raw and "Łódź" not in raw and raw.startswith("gAAAA")
    assert invoice.snapshot["buyer"]["tax_numbers"] == [
        {"label": "VAT number", "value": "PL5260250274"}]


def test_erasure_anonymises_the_buyer_in_issued_invoices(app, db, client):
    settings.update(OFFICE)
    customer = _buyer()
    invoice = _issued(db, customer)
    counts = erase_customer(customer)
    db.session.commit()
    assert counts["invoice_snapshots"] == 1
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert invoice.snapshot["buyer"] | {"customer_id": 0} == {
        "customer_id": 0, "name": f"Erased customer #{customer.id}", "attention": "",
        "address": [], "email": "", "tax_numbers": []}
    printed = _text(render_invoice_pdf(invoice))
    for gone in ("Łódź Logistics", "Anna Nowak", "Piotrkowska", "anna@lodz.example",
                 "PL5260250274"):
        assert gone not in printed, gone
    assert f"Erased customer #{customer.id}" in printed
    # What the office must keep for its books stays.
    for kept in ("Müller & Partner", "DE136695976", invoice.number, "€240.00"):
        assert kept in printed, kept
    page = client.get(f"/i/{invoice.view_key}").text
    assert "Łódź Logistics" not in page and "Piotrkowska" not in page
