"""The invoice PDF, read back with pypdf: the facts a customer needs are on it."""
from __future__ import annotations

import io
from datetime import date, timedelta

from pypdf import PdfReader

from app.invoices.pdf import render_invoice_pdf
from app.invoices.money import LineInput
from app.invoices.pdf_fonts import EUROPEAN, FULL, european_coverage, fonts_for, make_european_fonts
from tests.factories import CONSULTING_240, make_customer, make_invoice


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_invoice_pdf_contains_the_facts(app):
    app.config["OFFICE_NAME"] = "Müller & Partner"
    customer = make_customer(kind="company", company="Łódź Logistics")
    invoice = make_invoice(customer, via_rules=True, status="partially_paid",
                           lines=CONSULTING_240, notes="IBAN DE00 1234",
                           issue_date=date(2024, 4, 2), due_date=date(2024, 5, 2))
    data = render_invoice_pdf(invoice, today=date(2024, 4, 3))
    assert data.startswith(b"%PDF")
    text = _text(data)
    for fact in ("Müller & Partner", "INVOICE", invoice.number, "Łódź Logistics",
                 "Consulting", "2 April 2024", "2 May 2024", "€240.00", "Balance due",
                 "€230.00", "IBAN DE00 1234"):  # en_GB, the default locale
        assert fact in text, fact


def test_office_name_has_a_default(app):
    invoice = make_invoice(via_rules=True, status="draft")
    assert "Clientele" in _text(render_invoice_pdf(invoice))


def test_void_and_overdue_invoices_say_so(app):
    void = make_invoice(via_rules=True, status="void")
    assert "voided" in _text(render_invoice_pdf(void))
    late = make_invoice(via_rules=True, status="finalized",
                        issue_date=date.today() - timedelta(days=45))
    assert "Overdue" in _text(render_invoice_pdf(late))


def test_long_invoices_flow_onto_more_pages(app):
    lines = [LineInput(f"Item {i} " + "with a long description " * 4, 1, 10, 0)
             for i in range(80)]
    data = render_invoice_pdf(make_invoice(via_rules=True, status="draft", lines=lines))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 2
    assert "Item 79" in _text(data) and f"Page {len(reader.pages)} of {len(reader.pages)}" \
        in reader.pages[-1].extract_text()


def test_european_texts_use_the_cut_fonts_and_other_scripts_the_full_ones():
    assert fonts_for(["Łódź", "Ωmega", "Жанна", "Nguyễn", "Mykolaʼs", "№ 5 € 1½",
                      "Zoe\u0308 (decomposed)", "two\nlines\tand a tab"]) is EUROPEAN
    assert fonts_for(["Sarah", "שרה כהן"]) is FULL
    assert fonts_for(["Αθήνα", "東京"]) is FULL


def test_names_in_any_script_dejavu_knows_are_printed(app):
    for name in ("Nguyễn Łódź Жанна", "שרה כהן"):
        customer = make_customer(kind="company", company=name)
        text = _text(render_invoice_pdf(make_invoice(customer, via_rules=True, status="draft")))
        letters = [c for c in name if c.isalpha()]
        assert all(c in text for c in letters), name  # Hebrew comes out reversed


def test_a_text_missed_when_choosing_fonts_is_still_printed(app, monkeypatch):
    from app.invoices import pdf as invoice_pdf

    monkeypatch.setattr(invoice_pdf, "_printed_texts", lambda invoice, office_name: [])
    customer = make_customer(kind="company", company="שרה Consulting")
    text = _text(render_invoice_pdf(make_invoice(customer, via_rules=True, status="draft")))
    assert "ש" in text and "Consulting" in text


def test_the_shipped_european_fonts_are_the_cut_of_the_full_ones(tmp_path):
    from fontTools.ttLib import TTFont

    made = {style: tmp_path / f"made{style}.ttf" for style in EUROPEAN}
    make_european_fonts(made)
    for style, shipped in EUROPEAN.items():
        with TTFont(shipped) as ours, TTFont(made[style]) as fresh:
            # The characters are what matters (glyph order may vary with fontTools).
            assert ours.getBestCmap() == fresh.getBestCmap()
    assert len(european_coverage()) > 1500


def test_the_lines_use_the_same_number_format_as_the_totals(app):
    """A French customer's PDF: "1 250,00" on the line as in the total, never "1,250.00"."""
    from decimal import Decimal

    customer = make_customer(language="fr")
    invoice = make_invoice(customer, currency="EUR", lines=(
        LineInput("Annual accounts", Decimal("1.5"), Decimal("1250.00"), Decimal("20")),),
        via_rules=True, status="finalized")
    text = _text(render_invoice_pdf(invoice))
    assert "1\u202f250,00" in text or "1\u00a0250,00" in text or "1 250,00" in text, text
    assert "1,250.00" not in text and "1,5" in text
