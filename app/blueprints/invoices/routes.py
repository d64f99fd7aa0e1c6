"""Invoices list and invoice page with its actions (finalize, void, payments, PDF)."""
from __future__ import annotations

from datetime import date

from flask import request
from flask_login import current_user

from app.blueprints.invoices import bp
from app.invoice_list import InvoiceFilters, customers_with_invoices, invoice_list_query
from app.pagination import paginate
from app.permissions import requires
from app.web import no_store, render

PER_PAGE = 25


@bp.route("/")
@requires("invoices.view")
def index():
    filters = InvoiceFilters.from_args(request.args)
    today = date.today()
    page = paginate(invoice_list_query(current_user, filters, today), per_page=PER_PAGE)
    return no_store(render(
        "invoices/index.html", "results", page=page, filters=filters, today=today,
        customers=customers_with_invoices(current_user)))


@bp.route("/<int:invoice_id>")
@requires("invoices.view")
def show(invoice_id: int):
    from app.invoice_access import get_invoice_or_404

    invoice = get_invoice_or_404(invoice_id, current_user)
    return no_store(render("invoices/show.html", invoice=invoice))
