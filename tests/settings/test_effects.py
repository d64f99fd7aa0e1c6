"""Every setting changed, and its effect seen where it is used: on a sent email (through a
real SMTP server on loopback and a real worker), on the PDF, on a page."""
from __future__ import annotations

import base64
import io
from datetime import date, datetime, timezone
from email.utils import parseaddr

from PIL import Image
from pypdf import PdfReader

from app import settings
from app.extensions import db
from app.invoices.pdf import render_invoice_pdf
from app.mail import outbox
from app.mail.invoice_send import send_invoice
from app.models import AuditLog, EmailMessage, Note
from app.reports.activity import notes_per_week
from app.reports.sql import Window
from app.settings import formatting, sending
from app.settings.logo import read_logo
from tests.factories import CONSULTING_240, make_customer, make_invoice


def _email(invoice, batch="b1"):
    return send_invoice(invoice, recipients=[outbox.Recipient("ann@example.org", "Ann")],
                        subject=f"Invoice {invoice.number}", body="Dear Ann,\n\nhere it is.",
                        batch=batch, attach_pdf=False, send_again=True)


def _pdf_text(invoice) -> str:
    reader = PdfReader(io.BytesIO(render_invoice_pdf(invoice)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_sender_and_reply_to_are_on_the_sent_email(app, smtp, run_worker):
    invoice = make_invoice(make_customer(emails=("ann@example.org",)), via_rules=True,
                           status="draft", lines=CONSULTING_240)
    _email(invoice, "before")
    run_worker()
    before = smtp.received[-1].message
    assert parseaddr(before["From"]) == ("Clientele", "billing@clientele.localhost")
    assert before["Reply-To"] is None
    settings.update({"sending.sender_name": "Smith & Daughters",
                     "sending.sender_address": "accounts@smith.example",
                     "sending.reply_to": "office@smith.example"})
    _email(invoice, "after")
    run_worker()
    after = smtp.received[-1].message
    assert parseaddr(after["From"]) == ("Smith & Daughters", "accounts@smith.example")
    assert after["Reply-To"] == "office@smith.example"


def test_the_office_copy_is_untracked_system_mail_to_the_reply_to(app, smtp, run_worker):
    invoice = make_invoice(make_customer(emails=("ann@example.org",)), via_rules=True,
                           status="draft", lines=CONSULTING_240)
    _email(invoice, "no-copy")
    run_worker()
    assert [r.rcpt_tos for r in smtp.received] == [["ann@example.org"]]
    settings.update({"sending.bcc_self": True, "sending.reply_to": "office@smith.example"})
    _email(invoice, "copy")
    run_worker()
    copy = next(r for r in smtp.received if r.rcpt_tos == ["office@smith.example"])
    assert copy.message["Subject"] == f"Copy: Invoice {invoice.number}"
    html = next(p for p in copy.message.walk() if p.get_content_type() == "text/html")
    assert "/t/o/" not in html.get_payload(decode=True).decode()  # no tracking image
    stored = db.session.query(EmailMessage).filter_by(to_address="office@smith.example").one()
    assert stored.is_system and stored.invoice_id is None


def test_the_signature_ends_the_test_email(app, make_user, db):
    admin = make_user("admin")
    plain = db.session.get(EmailMessage, sending.send_test(admin)).body_text
    assert plain.endswith(f"Kind regards,\n{settings.get('office.name')}")
    settings.update({"sending.signature": "Jane Smith\nSmith & Daughters, Leeds"})
    signed = db.session.get(EmailMessage, sending.send_test(admin)).body_text
    assert signed.endswith("Jane Smith\nSmith & Daughters, Leeds")


def test_the_signature_ends_the_invoice_email_and_the_reminders(app, make_user, db):
    from app.blueprints.invoices.email_form import default_texts
    from app.reminders import stages

    invoice = make_invoice(make_customer(emails=("ann@example.org",)), via_rules=True,
                           status="finalized", lines=CONSULTING_240)
    office = settings.get("office.name")
    assert default_texts(invoice)[1].endswith(f"Kind regards,\n{office}")
    settings.update({"sending.signature": "Jane Smith\nSmith & Daughters, Leeds"})
    assert default_texts(invoice)[1].endswith("Jane Smith\nSmith & Daughters, Leeds")
    for subject, body in (stages.BEFORE, stages.AFTER):
        filled = stages.preview(subject, body, invoice, date(2026, 12, 5))[1]
        assert filled.endswith("Jane Smith\nSmith & Daughters, Leeds"), filled


def test_office_details_bank_and_logo_are_on_the_pdf(app):
    """An invoice keeps the office as it was when issued (C2's snapshot): one issued before
    the settings changed shows none of them, one issued after shows them all."""
    before = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240)
    picture = io.BytesIO()
    Image.new("RGB", (400, 100), "navy").save(picture, "PNG")
    settings.update({
        "office.name": "Smith & Daughters", "office.address": "1 High Street\nLeeds LS1 1AA",
        "office.country": "GB", "office.tax_number": "GB980780684",
        "office.registration_number": "01234567", "office.phone": "+44 113 496 0000",
        "office.website": "www.smith.example", "office.bank_name": "Northern Bank",
        "office.iban": "GB33BUKB20201555555555", "office.bic": "BUKBGB22",
        "office.payment_instructions": "Please quote the invoice number.",
        "office.logo": read_logo(picture.getvalue())})
    after = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240)
    plain, text = _pdf_text(before), _pdf_text(after)
    facts = ("Smith & Daughters", "1 High Street", "Leeds LS1 1AA", "GB980780684", "01234567",
             "+44 113 496 0000", "www.smith.example", "Northern Bank", "BUKBGB22",
             "Please quote the invoice number.")
    for fact in facts:
        assert fact in text and fact not in plain, fact
    assert "GB33" in text.replace(" ", "") and "BUKB" in text
    images = PdfReader(io.BytesIO(render_invoice_pdf(after))).pages[0].images
    assert (400, 100) in [i.image.size for i in images]  # the logo (beside the payment QR)


def test_the_locale_decides_how_money_and_dates_read(app, client, login_as):
    login_as("admin")
    invoice = make_invoice(via_rules=True, status="finalized", lines=CONSULTING_240,
                           issue_date=date(2026, 3, 4), currency="EUR")
    page = client.get(f"/invoices/{invoice.id}").text
    assert "€240.00" in page and "4 Mar 2026" in page and "2026-03-04" not in page
    settings.update({"locale.code": "de_DE"})
    page = client.get(f"/invoices/{invoice.id}").text
    assert "240,00\xa0€" in page and "04.03.2026" in page
    assert "240,00\xa0€" in _pdf_text(invoice)


def test_the_time_zone_decides_the_time_shown(app, client, login_as, db):
    login_as("admin")
    db.session.add(AuditLog(action="keys.rotated", actor="x", details={},
                            at=datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)))
    db.session.commit()
    assert "1 Jan 2026, 12:00" in client.get("/admin/audit?action=keys").text
    settings.update({"office.time_zone": "Asia/Tokyo"})
    assert "1 Jan 2026, 21:00" in client.get("/admin/audit?action=keys").text


def test_the_office_country_reads_local_phone_numbers_and_is_named(app, client, login_as):
    login_as("admin")
    assert "Local numbers are read as United Kingdom" in client.get("/customers/new").text
    settings.update({"office.country": "DE"})
    assert "Local numbers are read as Germany" in client.get("/customers/new").text


def test_new_invoices_take_the_office_currency_and_terms(app, client, login_as):
    login_as("admin")
    app.config["TODAY"] = date(2026, 3, 1)
    form = client.get("/invoices/new").text
    assert 'value="2026-03-31"' in form and '<option selected value="EUR">' in form
    settings.update({"invoices.currency": "GBP", "invoices.payment_terms_days": 14})
    form = client.get("/invoices/new").text
    assert 'value="2026-03-15"' in form and '<option selected value="GBP">' in form


def test_weekly_columns_start_on_the_office_first_weekday(app, make_user):
    author = make_user("admin")
    customer = make_customer()
    # A Sunday: the week of Monday 30 Nov, or its own week when weeks start on Sunday.
    db.session.add(Note(customer_id=customer.id, author_id=author.id, kind="call",
                        body="x", occurred_at=datetime(2026, 12, 6, 10, tzinfo=timezone.utc)))
    db.session.commit()
    span = Window(date(2026, 11, 29), date(2026, 12, 12))
    weeks, [row] = notes_per_week(author, span)
    assert weeks[0] == "2026-11-23" and row.counts["2026-11-30"] == 1
    settings.update({"locale.first_weekday": "sunday"})
    weeks, [row] = notes_per_week(author, span)
    assert weeks[0] == "2026-11-29" and row.counts["2026-12-06"] == 1


def test_a_logo_is_stored_as_a_bounded_png(app):
    picture = io.BytesIO()
    Image.new("RGB", (2000, 500), "navy").save(picture, "JPEG")
    stored = Image.open(io.BytesIO(base64.b64decode(read_logo(picture.getvalue()))))
    assert stored.format == "PNG" and stored.size == (800, 200)


def test_what_a_customer_receives_is_formatted_in_the_customers_language(app):
    invoice = make_invoice(make_customer(language="de"), via_rules=True, status="finalized",
                           lines=CONSULTING_240, due_date=date(2026, 5, 2))
    english = make_invoice(make_customer(language="en"), via_rules=True, status="finalized",
                           lines=CONSULTING_240, due_date=date(2026, 5, 2))
    assert "240,00\xa0€" in _pdf_text(invoice) and "2. Mai 2026" in _pdf_text(invoice)
    assert "€240.00" in _pdf_text(english) and "2 May 2026" in _pdf_text(english)


def test_country_codes_read_as_names_and_typed_countries_as_typed(app):
    assert formatting.country("gb") == "United Kingdom"
    assert formatting.country("Deutschland") == "Deutschland"
    settings.update({"locale.code": "de_DE"})
    assert formatting.country("GB") == "Vereinigtes Königreich"


def test_report_months_read_as_months_in_the_office_locale(app):
    assert formatting.current().month("2026-12") == "Dec 2026"
    settings.update({"locale.code": "fr_FR"})
    assert formatting.current().month("2026-12") == "déc. 2026"


def test_the_customers_own_view_reads_in_their_language(app, client):
    german = make_invoice(make_customer(language="de"), via_rules=True, status="finalized",
                          lines=CONSULTING_240)
    english = make_invoice(make_customer(language="en"), via_rules=True, status="finalized",
                           lines=CONSULTING_240)
    assert "240,00\xa0€" in client.get(f"/i/{german.view_key}").text
    assert "€240.00" in client.get(f"/i/{english.view_key}").text
