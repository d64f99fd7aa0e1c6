"""The invoice as a PDF (fpdf2, pure Python). Used by the download routes and mail worker.

Seller and buyer come from `snapshot.parties`: what the invoice kept when it was issued
(today's details for a draft). An open invoice in euros with an IBAN carries an EPC
payment QR code for the balance due, with the invoice number as the reference.

DejaVu Sans is embedded (subset) so names and addresses in any European script print
correctly; fpdf2's built-in fonts only know Latin-1 (no "€", no "Ł"). Its European cut is
used unless the document needs more (app/invoices/pdf_fonts.py).
"""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from app import clock
from app.extensions import db
from app.invoices import pdf_fonts
from app.invoices.epc_qr import qr_png
from app.invoices.money import cents, line_amounts, plain_number
from app.invoices.rules import LABELLED_FOR_CUSTOMER, OPEN_STATES, STATUS_LABELS, display_status
from app.invoices.snapshot import Parties, buyer_lines, parties
from app.models import Invoice
from app.settings import formatting

DEFAULT_OFFICE_NAME = "Clientele"
INK = (29, 39, 51)
MUTED = (95, 107, 122)
RULE = (215, 221, 230)
HEAD_FILL = (238, 241, 246)


def render_invoice_pdf(invoice: Invoice, *, today: date | None = None) -> bytes:
    """The invoice as PDF bytes. Needs an app context (a draft reads the office settings)."""
    today = today or clock.today()
    sides = parties(db.session, invoice)
    fonts = pdf_fonts.fonts_for(_printed_texts(invoice, sides))
    pdf = _render(invoice, sides, today, fonts)
    if fonts is not pdf_fonts.FULL and any(getattr(f, "missing_glyphs", ())
                                           for f in pdf.fonts.values()):
        # A text _printed_texts does not list: print it all again with the full fonts.
        pdf = _render(invoice, sides, today, pdf_fonts.FULL)
    return bytes(pdf.output())


def _render(invoice: Invoice, sides: Parties, today: date,
            fonts: dict[str, Path]) -> _InvoicePDF:
    pdf = _InvoicePDF(_office_name(sides), invoice.number, fonts)
    pdf.add_page()
    _header(pdf, invoice, sides, today)
    _lines(pdf, invoice)
    _totals(pdf, invoice)
    _closing(pdf, invoice)
    _payment(pdf, invoice, sides)
    _notes(pdf, invoice)
    pdf.output()  # closes the document: the last footer is printed too
    return pdf


def _office_name(sides: Parties) -> str:
    return sides.seller.get("name") or DEFAULT_OFFICE_NAME


def _printed_texts(invoice: Invoice, sides: Parties) -> list[str]:
    """Everything the PDF prints that comes from people rather than from this module."""
    return [_office_name(sides), *_office_lines(sides.seller), *_bank_lines(sides.seller),
            sides.seller.get("payment_instructions", ""), invoice.number,
            invoice.currency, invoice.notes, sides.buyer.get("name", ""),
            *buyer_lines(sides.buyer), *(line.description for line in invoice.lines)]


def pdf_filename(invoice: Invoice) -> str:
    if invoice.issued_number is None:
        return f"invoice-draft-{invoice.id}.pdf"
    return f"invoice-{invoice.issued_number}.pdf"


def _money(invoice: Invoice, value) -> str:
    return formatting.for_customer(invoice.customer).money(cents(Decimal(value or 0)),
                                                           invoice.currency)


def _day(invoice: Invoice, value: date) -> str:
    return formatting.for_customer(invoice.customer).day(value, formatting.CUSTOMER_DATE)


class _InvoicePDF(FPDF):
    def __init__(self, office_name: str, number: str, fonts: dict[str, Path]):
        super().__init__(format="A4", unit="mm")
        self.office_name, self.number = office_name, number
        for style, path in fonts.items():
            self.add_font("DejaVu", style, str(path))
        self.set_font("DejaVu", size=10)
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=20)
        self.set_title(f"Invoice {number}")
        self.set_author(office_name)
        self.set_creator("Clientele")
        self.alias_nb_pages()

    def footer(self):
        self.set_y(-13)
        self.set_font("DejaVu", size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.office_name} · Invoice {self.number} · "
                        f"Page {self.page_no()} of {{nb}}", align="C")


def _office_lines(seller: dict) -> list[str]:
    """The office's address and contact and tax details, as printed under its name."""
    lines = [seller.get("address", "")]
    lines.append(" · ".join(v for v in (seller.get("phone"), seller.get("website")) if v))
    lines.append(" · ".join(f"{label} {seller[key]}" for key, label in (
        ("tax_number", "VAT/Tax no."), ("registration_number", "Reg. no."))
        if seller.get(key)))
    return [line for line in lines if line]


def _bank_lines(seller: dict) -> list[str]:
    return [f"{label}: {seller[key]}" for key, label in (
        ("bank_name", "Bank"), ("iban", "IBAN"), ("bic", "BIC")) if seller.get(key)]


def _header(pdf: _InvoicePDF, invoice: Invoice, sides: Parties, today: date) -> None:
    pdf.set_text_color(*INK)
    if sides.logo:
        try:
            pdf.image(io.BytesIO(sides.logo), x=pdf.l_margin, y=pdf.t_margin, w=50, h=18,
                      keep_aspect_ratio=True)
            pdf.set_xy(pdf.l_margin, pdf.t_margin + 20)
        except Exception:  # noqa: BLE001 - a logo fpdf can't read is left off, not a 500
            pdf.set_xy(pdf.l_margin, pdf.t_margin)
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(110, 8, _office_name(sides), align="L", new_x="LMARGIN", new_y="NEXT")
    details = "\n".join(_office_lines(sides.seller))
    if details:
        pdf.set_font("DejaVu", size=9)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(110, 4.5, details, align="L", new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    top = pdf.t_margin
    pdf.set_xy(130, top)
    pdf.set_font("DejaVu", "B", 20)
    pdf.set_text_color(*INK)
    pdf.cell(62, 9, "INVOICE", align="R", new_x="LEFT", new_y="NEXT")
    status = display_status(invoice, today)
    rows = [("Number", invoice.number), ("Issued", _day(invoice, invoice.issue_date)),
            ("Due", _day(invoice, invoice.due_date))]
    if status in LABELLED_FOR_CUSTOMER:
        rows.append(("Status", STATUS_LABELS[status]))
    for label, value in rows:
        pdf.set_x(130)
        pdf.set_font("DejaVu", size=9)
        pdf.set_text_color(*MUTED)
        pdf.cell(22, 5.5, label)
        pdf.set_font("DejaVu", "B" if label in ("Number", "Status") else "", 9)
        pdf.set_text_color(*((197, 48, 48) if label == "Status" and status in ("void", "overdue")
                             else INK))
        pdf.cell(40, 5.5, value, align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), bottom, 52) + 4)
    _bill_to(pdf, sides.buyer)


def _bill_to(pdf: _InvoicePDF, buyer: dict) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font("DejaVu", size=8)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5, "BILL TO", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(110, 5.5, buyer.get("name", ""), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9.5)
    for line in buyer_lines(buyer):
        pdf.multi_cell(110, 4.8, line, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(7)


def _lines(pdf: _InvoicePDF, invoice: Invoice) -> None:
    pdf.set_font("DejaVu", size=9.5)
    pdf.set_draw_color(*RULE)
    heading = FontFace(emphasis="BOLD", color=INK, fill_color=HEAD_FILL)
    with pdf.table(col_widths=(84, 20, 28, 16, 26), text_align=(
            "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"), headings_style=heading,
            borders_layout="HORIZONTAL_LINES", line_height=6, padding=1.2,
            repeat_headings=1) as table:
        table.row(["Description", "Qty", "Unit price", "Tax", "Amount"])
        # The lines' figures in the same format as the totals under them.
        formats = formatting.for_customer(invoice.customer)
        for line in invoice.lines:
            amounts = line_amounts(line)
            table.row([line.description, formats.number(plain_number(line.quantity)),
                       formats.number(cents(line.unit_price), 2),
                       f"{formats.number(plain_number(line.tax_rate))}%",
                       formats.number(amounts.net, 2)])
        if not invoice.lines:
            table.row(["(no lines)", "", "", "", ""])
    pdf.ln(3)


def _totals(pdf: _InvoicePDF, invoice: Invoice) -> None:
    rows = [("Subtotal", invoice.subtotal), ("Tax", invoice.tax_total),
            ("Total", invoice.total)]
    if invoice.amount_paid:
        rows += [("Paid", invoice.amount_paid), ("Balance due", invoice.balance)]
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    for label, value in rows:
        strong = label in ("Total", "Balance due")
        pdf.set_x(118)
        pdf.set_font("DejaVu", "B" if strong else "", 10.5 if strong else 9.5)
        pdf.set_text_color(*(INK if strong else MUTED))
        pdf.cell(34, 6.5, label)
        pdf.set_text_color(*INK)
        pdf.cell(40, 6.5, _money(invoice, value), align="R",
                 new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)


def _closing(pdf: _InvoicePDF, invoice: Invoice) -> None:
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "B", 10)
    if invoice.status == "void":
        message = "This invoice has been voided. Nothing is due."
    elif invoice.status == "paid":
        message = "Paid in full. Thank you!"
    else:
        # A draft has no number yet to quote.
        quoting = f", quoting invoice {invoice.issued_number}" if invoice.issued_number else ""
        message = (f"Please pay {_money(invoice, invoice.balance)} "
                   f"by {_day(invoice, invoice.due_date)}{quoting}.")
    pdf.multi_cell(0, 5.5, message, align="L", new_x="LMARGIN", new_y="NEXT")


QR_SIZE = 34  # mm: large enough for a phone at arm's length, as banks print it


def _payment(pdf: _InvoicePDF, invoice: Invoice, sides: Parties) -> None:
    """How to pay: bank details, the office's instructions and, for euros, the QR code."""
    if invoice.status not in OPEN_STATES + ("draft",):
        return
    bank = _bank_lines(sides.seller)
    instructions = (sides.seller.get("payment_instructions") or "").strip()
    payload = sides.payment_qr(invoice, invoice.balance)
    if not (bank or instructions or payload):
        return
    if pdf.get_y() > pdf.h - 20 - QR_SIZE - 12:
        pdf.add_page()
    pdf.ln(4)
    top = pdf.get_y()
    width = pdf.epw - (QR_SIZE + 8 if payload else 0)
    pdf.set_font("DejaVu", size=8)
    pdf.set_text_color(*MUTED)
    pdf.cell(width, 5, "PAYMENT", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", size=9.5)
    if bank:
        pdf.multi_cell(width, 5, "\n".join([f"Account holder: {_office_name(sides)}", *bank]),
                       align="L", new_x="LMARGIN", new_y="NEXT")
    if instructions:
        pdf.ln(1.5)
        pdf.multi_cell(width, 5, instructions, align="L", new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    if payload:
        x = pdf.l_margin + pdf.epw - QR_SIZE
        pdf.image(io.BytesIO(qr_png(payload)), x=x, y=top, w=QR_SIZE, h=QR_SIZE)
        pdf.set_xy(x - 6, top + QR_SIZE)
        pdf.set_font("DejaVu", size=7.5)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(QR_SIZE + 6, 3.5, "Scan with your banking app to pay", align="C")
        bottom = max(bottom, pdf.get_y())
    pdf.set_y(bottom)


def _notes(pdf: _InvoicePDF, invoice: Invoice) -> None:
    if invoice.notes.strip():
        pdf.ln(4)
        pdf.set_font("DejaVu", size=8)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 5, "NOTES", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5, invoice.notes.strip(), align="L", new_x="LMARGIN", new_y="NEXT")
