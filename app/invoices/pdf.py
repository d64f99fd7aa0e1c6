"""The invoice as a PDF (fpdf2, pure Python). Used by the download routes and mail worker.

DejaVu Sans is embedded (subset) so names and addresses in any European script print
correctly; fpdf2's built-in fonts only know Latin-1 (no "€", no "Ł"). Its European cut is
used unless the document needs more (app/invoices/pdf_fonts.py).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from app import clock, settings
from app.invoices import pdf_fonts
from app.invoices.money import cents, line_amounts, plain_number
from app.invoices.rules import LABELLED_FOR_CUSTOMER, STATUS_LABELS, display_status
from app.models import Invoice

DEFAULT_OFFICE_NAME = "Clientele"
INK = (29, 39, 51)
MUTED = (95, 107, 122)
RULE = (215, 221, 230)
HEAD_FILL = (238, 241, 246)


def render_invoice_pdf(invoice: Invoice, *, office_name: str | None = None,
                       today: date | None = None) -> bytes:
    """The invoice as PDF bytes. Needs an app context to read the office settings."""
    if office_name is None:
        office_name = settings.get("office.name") or DEFAULT_OFFICE_NAME
    today = today or clock.today()
    fonts = pdf_fonts.fonts_for(_printed_texts(invoice, office_name))
    pdf = _render(invoice, office_name, today, fonts)
    if fonts is not pdf_fonts.FULL and any(getattr(f, "missing_glyphs", ())
                                           for f in pdf.fonts.values()):
        # A text _printed_texts does not list: print it all again with the full fonts.
        pdf = _render(invoice, office_name, today, pdf_fonts.FULL)
    return bytes(pdf.output())


def _render(invoice: Invoice, office_name: str, today: date,
            fonts: dict[str, Path]) -> _InvoicePDF:
    pdf = _InvoicePDF(office_name, invoice.number, fonts)
    pdf.add_page()
    _header(pdf, invoice, office_name, today)
    _lines(pdf, invoice)
    _totals(pdf, invoice)
    _closing(pdf, invoice)
    pdf.output()  # closes the document: the last footer is printed too
    return pdf


def _printed_texts(invoice: Invoice, office_name: str) -> list[str]:
    """Everything the PDF prints that comes from people rather than from this module."""
    customer = invoice.customer
    return [office_name, _office_details(), invoice.number,
            invoice.currency, invoice.notes, customer.display_name,
            *_address_lines(customer), *(line.description for line in invoice.lines)]


def pdf_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number}.pdf"


def _money(value, currency: str) -> str:
    return f"{currency} {cents(Decimal(value or 0)):,.2f}"


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


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


def _office_details() -> str:
    return settings.get("office.address")


def _header(pdf: _InvoicePDF, invoice: Invoice, office_name: str, today: date) -> None:
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(110, 8, office_name, align="L", new_x="LMARGIN", new_y="NEXT")
    details = _office_details()
    if details:
        pdf.set_font("DejaVu", size=9)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(110, 4.5, details, align="L", new_x="LMARGIN", new_y="NEXT")
    top = pdf.t_margin
    pdf.set_xy(130, top)
    pdf.set_font("DejaVu", "B", 20)
    pdf.set_text_color(*INK)
    pdf.cell(62, 9, "INVOICE", align="R", new_x="LEFT", new_y="NEXT")
    status = display_status(invoice, today)
    rows = [("Number", invoice.number), ("Issued", _day(invoice.issue_date)),
            ("Due", _day(invoice.due_date))]
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
    pdf.set_y(max(pdf.get_y(), 52) + 4)
    _bill_to(pdf, invoice)


def _bill_to(pdf: _InvoicePDF, invoice: Invoice) -> None:
    customer = invoice.customer
    pdf.set_x(pdf.l_margin)
    pdf.set_font("DejaVu", size=8)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5, "BILL TO", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(110, 5.5, customer.display_name, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9.5)
    for line in _address_lines(customer):
        pdf.multi_cell(110, 4.8, line, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(7)


def _address_lines(customer) -> list[str]:
    lines: list[str] = []
    if customer.kind == "company":
        person = f"{customer.first_name} {customer.last_name}".strip()
        if person:
            lines.append(f"Attn. {person}")
    if customer.addresses:
        a = customer.addresses[0]
        lines += [a.line1, a.line2, " ".join(p for p in (a.postal_code, a.city) if p),
                  ", ".join(p for p in (a.region, a.country) if p)]
    if customer.primary_email:
        lines.append(customer.primary_email.address)
    return [line for line in lines if line and line.strip()]


def _lines(pdf: _InvoicePDF, invoice: Invoice) -> None:
    pdf.set_font("DejaVu", size=9.5)
    pdf.set_draw_color(*RULE)
    heading = FontFace(emphasis="BOLD", color=INK, fill_color=HEAD_FILL)
    with pdf.table(col_widths=(84, 20, 28, 16, 26), text_align=(
            "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"), headings_style=heading,
            borders_layout="HORIZONTAL_LINES", line_height=6, padding=1.2,
            repeat_headings=1) as table:
        table.row(["Description", "Qty", "Unit price", "Tax", "Amount"])
        for line in invoice.lines:
            amounts = line_amounts(line)
            table.row([line.description, plain_number(line.quantity),
                       f"{cents(line.unit_price):,.2f}", f"{plain_number(line.tax_rate)}%",
                       f"{amounts.net:,.2f}"])
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
        pdf.cell(40, 6.5, _money(value, invoice.currency), align="R",
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
        message = (f"Please pay {_money(invoice.balance, invoice.currency)} "
                   f"by {_day(invoice.due_date)}, quoting invoice {invoice.number}.")
    pdf.multi_cell(0, 5.5, message, align="L", new_x="LMARGIN", new_y="NEXT")
    if invoice.notes.strip():
        pdf.ln(4)
        pdf.set_font("DejaVu", size=8)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, 5, "NOTES", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9.5)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5, invoice.notes.strip(), align="L", new_x="LMARGIN", new_y="NEXT")
