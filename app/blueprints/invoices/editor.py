"""Create and edit draft invoices: lines added and removed in place, totals live.

One POST handler serves every button of the form, so it all works without JavaScript:
"Add line", "Remove" and "Update totals" re-render the form; "Save" validates and stores.
With htmx the same responses swap the form (or only the totals) in place. The server
does all arithmetic; the browser never computes a total.
"""
from __future__ import annotations

from flask import flash, request, url_for
from flask_login import current_user

from app.blueprints.invoices import bp
from app.blueprints.invoices.forms import MAX_LINES, InvoiceForm
from app.customers.access import visibility_clause
from app.extensions import db
from app import clock
from app.invoices import money, rules
from app.invoices.terms import currency_choices, terms_for
from app.invoices.plausibility import negative_total_question
from app.invoices.rules import InvoiceError
from app.models import Customer, Invoice
from app.web.auth import requires
from app.web.endings import audit_request, form_status, go_to
from app.web.lookups import get_customer_or_404, get_invoice_or_404
from app.web.render import hx_trigger, render

TEMPLATE = "invoices/form.html"


@bp.route("/new", methods=["GET", "POST"])
@requires("invoices.edit")
def new():
    form = InvoiceForm()
    if request.method == "GET":
        customer_id = request.args.get("customer", type=int)
        if customer_id:
            customer = get_customer_or_404(customer_id, current_user)
            form.customer_id.data = customer.id
            _take_terms(form, customer)
        form.lines.append_entry()
    return _handle(form, None)


def _take_terms(form: InvoiceForm, customer: Customer | None) -> None:
    """Currency and due date from the customer's terms (else the office's)."""
    terms = terms_for(customer)
    form.currency.data = terms.currency
    form.due_date.data = terms.due_date(form.issue_date.data or clock.today())
    form.due_date.raw_data = None  # show the new date, not the one typed before


@bp.route("/<int:invoice_id>/edit", methods=["GET", "POST"])
@requires("invoices.edit")
def edit(invoice_id: int):
    invoice = get_invoice_or_404(invoice_id, current_user)
    if invoice.status != "draft":
        flash(f"Invoice {invoice.number} is no longer a draft, so it can't be edited.",
              "warning")
        url = url_for("invoices.show", invoice_id=invoice.id)
        return go_to(url)
    if request.method == "GET":
        form = InvoiceForm(data=_form_data(invoice))
    else:
        form = InvoiceForm()
    return _handle(form, invoice)


@bp.route("/totals", methods=["POST"])
@requires("invoices.edit")
def totals():
    """Live totals while typing: the totals box plus each line's amount, out of band."""
    form = InvoiceForm()
    return render(TEMPLATE, "totals", **_context(form, None, oob=True))


def _handle(form: InvoiceForm, invoice: Invoice | None):
    form.set_customers(_customer_choices(invoice))
    # Never what was posted: only the usual, the office's, the draft's and the customer's.
    form.currency.choices = [(c, c) for c in currency_choices(
        invoice.currency if invoice else None, getattr(_chosen_customer(form), "currency", None))]
    if invoice is None:  # choosing the customer brings their currency and terms
        form.customer_id.render_kw = {
            "hx-post": url_for("invoices.new"), "hx-trigger": "change",
            "hx-vals": '{"action": "customer"}', "hx-target": "#invoice-head",
            "hx-select": "#invoice-head", "hx-swap": "outerHTML"}
    action = request.form.get("action", "save") if request.method == "POST" else ""
    focus, negative = None, form.confirm_negative.data
    if action == "add_line":
        if len(form.lines.entries) < MAX_LINES:
            focus = form.lines.append_entry().id
        else:
            form.form_errors.append(f"An invoice has at most {MAX_LINES} lines.")
    elif action.startswith("remove:"):
        form.remove_line(action.removeprefix("remove:"))
    elif action == "customer" and invoice is None:
        # A new invoice's customer was chosen: it takes that customer's terms.
        _take_terms(form, _chosen_customer(form))
    elif action == "save":
        form.drop_blank_lines()
        if form.validate_on_submit():
            question = negative_total_question(
                money.compute_totals(form.line_inputs()).total, form.currency.data)
            if question and not form.confirm_negative.data:
                form.form_errors.append(question)
                negative = True
            else:
                try:
                    saved = _save(form, invoice)
                except InvoiceError as exc:
                    db.session.rollback()
                    form.form_errors.append(str(exc))
                else:
                    return go_to(url_for("invoices.show", invoice_id=saved.id))
    status = form_status(form)
    response = render(TEMPLATE, "editor", status=status, ask_negative=negative,
                      **_context(form, invoice, focus=focus))
    if action == "customer":  # the lines stay as typed; their totals, in the new currency
        hx_trigger(response, "totals-stale")
    return response


def _save(form: InvoiceForm, invoice: Invoice | None) -> Invoice:
    customer = db.session.get(Customer, form.customer_id.data)
    fields = dict(issue_date=form.issue_date.data, due_date=form.due_date.data,
                  currency=form.currency.data, notes=(form.notes.data or "").strip(),
                  lines=form.line_inputs())
    if invoice is None:
        invoice = rules.create_invoice(db.session, customer, created_by=current_user,
                                           **fields)
        action = "invoice.created"
    else:
        rules.update_draft(invoice, **fields)
        rules.move_draft(invoice, customer)
        action = "invoice.updated"
    audit_request(action, subject_type="invoice",
                  subject_id=invoice.id, details={"number": invoice.number,
                                                  "customer_id": customer.id,
                                                  "total": str(invoice.total)})
    db.session.commit()
    flash(f"Saved the draft invoice for {customer.display_name}.", "success")
    return invoice


def _chosen_customer(form: InvoiceForm) -> Customer | None:
    """The customer chosen in the form, if it is one the user may choose."""
    chosen = form.customer_id.data
    return db.session.get(Customer, chosen) if chosen in form.customer_ids() else None


def _customer_choices(invoice: Invoice | None) -> list[Customer]:
    query = db.select(Customer).where(visibility_clause(current_user),
                                      Customer.erased_at.is_(None))
    if invoice is not None:  # the draft's customer stays choosable even when archived
        query = query.where(db.or_(Customer.status != "archived",
                                   Customer.id == invoice.customer_id))
    else:
        query = query.where(Customer.status != "archived")
    return list(db.session.scalars(query.order_by(Customer.sort_name, Customer.id)))


def _form_data(invoice: Invoice) -> dict:
    return {
        "customer_id": invoice.customer_id, "issue_date": invoice.issue_date,
        "due_date": invoice.due_date, "currency": invoice.currency, "notes": invoice.notes,
        "lines": [{"description": ln.description, "quantity": ln.quantity,
                   "unit_price": ln.unit_price, "tax_rate": ln.tax_rate}
                  for ln in invoice.lines] or [{}],
    }


def _context(form: InvoiceForm, invoice: Invoice | None, *, focus=None,
             oob: bool = False) -> dict:
    """Everything the form template needs; page, form fragment and totals share it."""
    amounts, usable, incomplete = {}, [], False
    for entry in form.lines.entries:
        line, amounts[entry.id] = entry.form, None
        if line.is_blank():
            continue
        if line.numbers_valid():
            amounts[entry.id] = money.line_amounts(line.to_input())
            usable.append(line.to_input())
        else:
            incomplete = True
    customer = _chosen_customer(form)
    return {
        "form": form, "invoice": invoice, "amounts": amounts, "focus": focus, "oob": oob,
        "terms": terms_for(customer), "terms_customer": customer,
        "totals": money.compute_totals(usable), "incomplete": incomplete,
        "action_url": url_for("invoices.edit", invoice_id=invoice.id) if invoice
        else url_for("invoices.new"),
    }
