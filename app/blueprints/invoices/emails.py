"""Emailing an invoice: the send dialog, the Email History popup, live status."""
from __future__ import annotations

import secrets

from flask import current_app, request, url_for
from flask_login import current_user

from app.blueprints.invoices import bp
from app.blueprints.invoices.email_form import (
    ROLE_CHOICES, Recipient, SendForm, address_choices, default_texts, recipients_from,
)
from app.invoices.rules import InvoiceError
from app.mail import history
from app.mail.invoice_send import Repeat, send_invoice
from app.web.auth import requires
from app.web.endings import notify, see_other
from app.web.lookups import get_invoice_or_404
from app.web.render import hx_retarget, is_htmx, render

STOP_POLLING = 286  # htmx stops polling an element on this status


def email_context(invoice) -> dict:
    """What the emails section, the history and the icon show, loaded once by the view."""
    messages = history.messages_for_invoice(invoice.id)
    return {"messages": messages, "latest": history.latest_status(messages),
            "pending": history.any_pending(messages)}


@bp.route("/<int:invoice_id>/emails/history")
@requires("invoices.view")
def email_history(invoice_id: int):
    """The Email History popup (and, opened directly, a page of its own)."""
    invoice = get_invoice_or_404(invoice_id, current_user)
    return render("invoices/email_history.html", "history", invoice=invoice,
                  **email_context(invoice))


@bp.route("/<int:invoice_id>/emails/icon")
@requires("invoices.view")
def email_icon(invoice_id: int):
    """The email icon of a list row; polled while a send is still pending."""
    return _polled(invoice_id, "invoices/email_icon_page.html", "icon")


@bp.route("/<int:invoice_id>/emails")
@requires("invoices.view")
def emails_section(invoice_id: int):
    """The emails section of the invoice page; polled while something is pending."""
    return _polled(invoice_id, "invoices/email_history.html", "section")


def _polled(invoice_id: int, template: str, block: str):
    """A fragment that htmx polls: answers 286 (stop) once nothing is pending."""
    invoice = get_invoice_or_404(invoice_id, current_user)
    context = email_context(invoice)
    response = render(template, block, invoice=invoice, **context)
    if not context["pending"] and is_htmx():
        response.status_code = STOP_POLLING
    return response


@bp.route("/<int:invoice_id>/email", methods=["GET", "POST"])
@requires("invoices.send")
def email_send(invoice_id: int):
    invoice = get_invoice_or_404(invoice_id, current_user)
    choices = address_choices(list(invoice.customer.emails),
                              request.form if request.method == "POST" else None)
    form = SendForm()
    if request.method == "GET":
        subject, body = default_texts(invoice, current_app.config["OFFICE_NAME"])
        form.subject.data, form.body.data = subject, body
        form.nonce.data = secrets.token_urlsafe(16)
    error = repeat = None
    if form.validate_on_submit():
        recipients, error = recipients_from(choices, form.extra_to.data)
        if error is None:
            try:
                sent = _send(invoice, form, recipients)
            except InvoiceError as exc:
                error = str(exc)
            else:
                if isinstance(sent, Repeat):
                    repeat = sent
                else:
                    return _after_send(invoice, _sent_text(invoice, sent))
    status = 422 if (form.errors or error or repeat) else 200
    return render("invoices/send_dialog.html", "dialog", invoice=invoice, form=form,
                  choices=choices, role_choices=ROLE_CHOICES, error=error, repeat=repeat,
                  status=status)


def _send(invoice, form: SendForm, recipients: list[Recipient]):
    return send_invoice(
        invoice, recipients=recipients, subject=form.subject.data.strip(),
        body=form.body.data, batch=form.nonce.data, user=current_user,
        ip=request.remote_addr, attach_pdf=form.attach_pdf.data,
        include_link=form.include_link.data,
        overrides=frozenset(r.address for r in recipients if r.override),
        send_again=form.send_again.data)


def _sent_text(invoice, messages: list) -> str:
    if not messages:
        return "This invoice was already sent from this dialog."
    return f"Invoice {invoice.number} is on its way to {len(messages)} recipient(s)."


def _after_send(invoice, text: str):
    if not is_htmx():
        return see_other(url_for("invoices.show", invoice_id=invoice.id), text)
    response = render("invoices/email_history.html", "section_with_dialog_closed",
                      invoice=invoice, **email_context(invoice))
    hx_retarget(response, "#invoice-emails", "innerHTML")
    return notify(response, text)
