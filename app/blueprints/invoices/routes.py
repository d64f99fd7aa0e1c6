"""Invoices list and invoice page with its actions (finalize, void, payments, PDF)."""
from __future__ import annotations

from flask import current_app, flash, request, url_for
from flask_login import current_user

from app import clock

from app.blueprints.invoices import bp
from app.blueprints.invoices.emails import changes_url, email_context
from app.blueprints.invoices.forms import PaymentForm
from app.extensions import db
from app.invoices import rules
from app.invoices.listing import InvoiceFilters, customers_with_invoices, invoice_list_query
from app.invoices.rules import InvoiceError
from app.mail.history import latest_statuses
from app.settings import formatting
from app.models import Invoice
from app.web.auth import requires
from app.web.endings import audit_request, see_other
from app.web.lookups import get_invoice_or_404
from app.web.pagination import paginate
from app.web.render import (
    hx_retarget, hx_trigger, is_htmx, is_partial, pdf_response, render,
)

PER_PAGE = 25


@bp.route("/")
@requires("invoices.view")
def index():
    filters = InvoiceFilters.from_args(request.args)
    today = clock.today()
    page = paginate(invoice_list_query(current_user, filters, today), per_page=PER_PAGE)
    return render(
        "invoices/index.html", "results", page=page, filters=filters, today=today,
        # The customer filter sits outside the results a keystroke refreshes.
        customers=[] if is_partial() else customers_with_invoices(current_user),
        email_statuses=latest_statuses([invoice.id for invoice in page.items]),
        live_url=changes_url([invoice.id for invoice in page.items], "list"))


@bp.route("/<int:invoice_id>")
@requires("invoices.view")
def show(invoice_id: int):
    invoice = get_invoice_or_404(invoice_id, current_user)
    return _page(invoice, PaymentForm(formdata=None, amount=_default_amount(invoice)))


@bp.route("/<int:invoice_id>/finalize", methods=["POST"])
@requires("invoices.edit")
def finalize(invoice_id: int):
    invoice = get_invoice_or_404(invoice_id, current_user)
    return _transition(invoice, rules.finalize, "invoice.finalized",
                       "Invoice {} is final: it can now be sent and paid.")


@bp.route("/<int:invoice_id>/void", methods=["POST"])
@requires("invoices.edit")
def void(invoice_id: int):
    invoice = get_invoice_or_404(invoice_id, current_user)
    return _transition(invoice, rules.void, "invoice.voided", "Invoice {} is void.")


@bp.route("/<int:invoice_id>/payments", methods=["POST"])
@requires("invoices.edit")
def payment(invoice_id: int):
    invoice = get_invoice_or_404(invoice_id, current_user)
    form = PaymentForm()
    if invoice.status not in rules.OPEN_STATES:  # stale page: say so, keep nothing
        label = rules.STATUS_LABELS[invoice.status].lower()
        # An error status: htmx swaps it only where the server says (see app.js).
        return hx_retarget(_page(invoice, form, status=409,
                                 error=f"A {label} invoice takes no payments."), "#invoice-main")
    if form.validate_on_submit():
        try:
            paid = rules.record_payment(
                invoice, amount=form.amount.data, paid_on=form.paid_on.data,
                method=form.method.data, reference=form.reference.data or "",
                allow_overpayment=form.allow_overpayment.data, created_by=current_user)
        except InvoiceError as exc:
            db.session.rollback()
            form.amount.errors.append(str(exc))
        else:
            db.session.flush()
            audit_request("invoice.payment_recorded",
                          subject_type="invoice", subject_id=invoice.id,
                          details={"number": invoice.number, "amount": str(paid.amount),
                                   "method": paid.method, "status": invoice.status})
            db.session.commit()
            message = (f"Recorded {formatting.money(paid.amount, invoice.currency)} "
                       f"for {invoice.number}.")
            if not is_htmx():
                return see_other(url_for("invoices.show", invoice_id=invoice.id), message)
            fresh = PaymentForm(formdata=None, amount=_default_amount(invoice))
            return hx_trigger(_page(invoice, fresh), "notify",
                              {"text": message, "kind": "success"})
    return _page(invoice, form, status=422)


@bp.route("/<int:invoice_id>/pdf")
@requires("invoices.view")
def pdf(invoice_id: int):
    invoice = get_invoice_or_404(invoice_id, current_user)
    return pdf_response(invoice)


def _page(invoice: Invoice, payment_form: PaymentForm, status: int = 200, error: str = ""):
    base = current_app.config["PUBLIC_BASE_URL"]
    # The emails section sits outside the #invoice-main fragment: only a full page shows it.
    emails = {} if is_partial() else {**email_context(invoice),
                                       "live_url": changes_url([invoice.id], "page")}
    return render(
        "invoices/show.html", "main", status=status, invoice=invoice, form=payment_form,
        today=clock.today(), error=error,
        client_url=base + url_for("client.invoice", view_key=invoice.view_key), **emails)


def _default_amount(invoice: Invoice):
    return invoice.balance if invoice.status in rules.OPEN_STATES else None


def _transition(invoice: Invoice, change, action: str, message: str):
    try:
        change(invoice)
    except InvoiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        audit_request(action, subject_type="invoice",
                      subject_id=invoice.id, details={"number": invoice.number,
                                                      "total": str(invoice.total)})
        db.session.commit()
        flash(message.format(invoice.number), "success")
    return see_other(url_for("invoices.show", invoice_id=invoice.id))
