"""A new office's first invoice, end to end in Chromium (issue #17, "Done when"): a fresh
database with one admin, the first-run screen, the logo and Reply-To in Settings, a
customer billed in GBP, an invoice emailed through the send dialog, and the email and PDF
the loopback SMTP server received, read back as the customer would."""
from __future__ import annotations

import io
import re
from datetime import datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from app import settings
from app.extensions import db
from app.models import Customer, EmailMessage
from tests.browser.conftest import browser_login
from tests.browser.test_settings import fits_and_passes_axe, set_up_office

pytestmark = pytest.mark.browser
LOGO_COLOUR = (20, 110, 70)


def _logo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (150, 50), LOGO_COLOUR).save(buffer, "PNG")
    return buffer.getvalue()


def _add_logo_and_reply_to(page) -> None:
    page.locator("#office input[name=logo]").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": _logo_png()})
    with page.expect_navigation():
        page.get_by_role("button", name="Save office").click()
    expect(page.locator("#notices")).to_contain_text("Saved.")
    expect(page.locator("#office img.logo-preview")).to_be_visible()
    page.fill("#sending_reply_to", "office@smith.example")
    page.locator("#sending input[name=password]").fill("correct horse 1")
    with page.expect_navigation():
        page.get_by_role("button", name="Save sending").click()
    expect(page.locator("#notices")).to_contain_text("Every admin has been emailed")
    assert page.locator("#sending_reply_to").input_value() == "office@smith.example"


def _add_gbp_customer(page) -> Customer:
    page.goto("/customers/new")
    page.check("input[name=kind][value=company]")
    page.fill("input[name=company]", "Pound Ltd")
    page.fill("input[name=email]", "ap@pound.example")
    page.click("button[type=submit]:has-text('Add customer')")
    page.wait_for_url(re.compile(r"/customers/\d+$"))
    page.click("[data-testid=edit-billing]")
    page.select_option("[data-testid=form-billing] select[name=currency]", "GBP")
    page.click("[data-testid=form-billing] button[type=submit]")
    expect(page.locator("[data-testid=billing]")).to_contain_text("GBP")
    return db.session.scalar(db.select(Customer).filter_by(company="Pound Ltd"))


def _write_invoice(page, customer: Customer) -> int:
    page.goto("/invoices/new")
    page.select_option("select[name=customer_id]", str(customer.id))
    expect(page.locator("select[name=currency]")).to_have_value("GBP")
    page.fill("input[name=lines-0-description]", "Bookkeeping, November")
    page.fill("input[name=lines-0-quantity]", "1")
    page.fill("input[name=lines-0-unit_price]", "1028.80")
    page.fill("input[name=lines-0-tax_rate]", "20")
    expect(page.locator("[data-testid=total]")).to_have_text("£1,234.56")
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/invoices/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def _email_it(page) -> None:
    page.click('[data-testid="email-invoice"]')
    dialog = page.locator('[data-testid="send-dialog"]')
    dialog.wait_for()
    assert "ap@pound.example" in dialog.inner_text()
    assert page.locator('[data-testid="finalizes-draft"]').is_visible()
    page.click('[data-testid="send"]')
    dialog.wait_for(state="detached")
    assert "on its way to 1 recipient" in page.locator("#notices").inner_text()


def _pdf_of(message) -> bytes:
    (pdf,) = [part.get_payload(decode=True) for part in message.walk()
              if part.get_content_type() == "application/pdf"]
    return pdf


def test_a_fresh_office_sends_its_first_invoice(page, make_user, smtp, run_worker):
    admin = make_user("admin")
    # No office details: nothing stored, no address (the name reads OFFICE_NAME's default).
    assert settings.needs_setup() and not settings.is_stored("office.name")
    assert settings.get("office.address") == ""
    browser_login(page, admin.email)
    assert page.url.endswith("/admin/settings/setup")
    fits_and_passes_axe(page, "first-office-setup")
    set_up_office(page)
    fits_and_passes_axe(page, "first-office-settings")
    _add_logo_and_reply_to(page)
    run_worker()  # the admins' email about the changed Reply-To
    smtp.received.clear()

    customer = _add_gbp_customer(page)
    invoice_id = _write_invoice(page, customer)
    _email_it(page)
    run_worker()

    (received,) = smtp.received
    assert received.rcpt_tos == ["ap@pound.example"]
    message = received.message
    assert parseaddr(message["From"]) == ("Smith & Daughters Accounts",
                                          "accounts@smith.example")
    assert parseaddr(message["Reply-To"])[1] == "office@smith.example"
    # The first number of the series, "{year}-{seq:04}" of the office's year.
    year = datetime.now(ZoneInfo("Europe/London")).year
    number = f"{year}-0001"
    assert number in message["Subject"]
    assert db.session.scalar(db.select(EmailMessage.invoice_id).filter_by(
        to_address="ap@pound.example")) == invoice_id

    (body,) = [part.get_payload(decode=True).decode() for part in message.walk()
               if part.get_content_type() == "text/plain"]
    assert f"invoice {number} for £1,234.56" in body
    reader = PdfReader(io.BytesIO(_pdf_of(message)))
    text = "\n".join(p.extract_text() for p in reader.pages)
    for fact in ("Smith & Daughters", "1 High Street", "Leeds LS1 1AA",
                 "VAT/Tax no. GB980780684", "Pound Ltd", "Bookkeeping, November", number,
                 "£1,028.80", "£205.76", "£1,234.56"):
        assert fact in text, fact
    assert "€" not in text and "EUR" not in text
    (logo,) = [image.image for p in reader.pages for image in p.images]
    assert logo.size == (150, 50)
    assert logo.convert("RGB").getpixel((75, 25)) == LOGO_COLOUR
    assert page.console_errors == []
