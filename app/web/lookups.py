"""Lookups that abort: the record, if it exists and the user may see it; 404 otherwise.

404, never 403: a record the user may not see is not revealed to exist. The rules are
the domains' (`app.customers.access`, `app.invoices.access`); only the answer is HTTP.
"""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from app.capture.access import may_see as may_see_captured
from app.customers.access import can_see_customer, get_by_id, sees_all_customers
from app.documents.store import may_open
from app.extensions import db
from app.invoices.access import visible_invoices
from app.models import CapturedMail, Customer, Document, EmailEvent, Invoice


def get_customer_or_404(customer_id: int, user=None) -> Customer:
    """The customer, if it exists and `user` (default: the current user) may see it.

    A file merged into another answers as the survivor does: a GET goes there (302) when
    `user` may see the survivor; anything else is 404, as for a file that never was."""
    user = current_user if user is None else user
    customer = get_by_id(Customer, customer_id)
    if customer is not None and customer.merged_into_id is not None:
        survivor = _survivor(customer)
        if (request.method == "GET" and request.view_args
                and can_see_customer(survivor, user)):
            args = {**request.view_args, "customer_id": survivor.id}
            abort(redirect(url_for(request.endpoint, **{**request.args.to_dict(), **args})))
        abort(404)
    if not can_see_customer(customer, user):
        abort(404)
    return customer


def _survivor(customer: Customer) -> Customer | None:
    """Where a merged file lives on, following merges of merges (a few at most)."""
    for _ in range(10):
        if customer is None or customer.merged_into_id is None:
            return customer
        customer = get_by_id(Customer, customer.merged_into_id)
    return None


def get_changeable_customer_or_404(customer_id: int, user=None) -> Customer:
    """As `get_customer_or_404`, for changes: an erased customer's file stays closed."""
    customer = get_customer_or_404(customer_id, user)
    if customer.erased_at is not None:
        abort(409, "This customer's personal data was erased; the file can no longer be "
                   "changed.")
    return customer


def get_invoice_or_404(invoice_id: int, user=None) -> Invoice:
    """The invoice, if it exists and `user` (default: the current user) may see it."""
    invoice = db.session.scalar(
        visible_invoices(db.select(Invoice), current_user if user is None else user)
        .where(Invoice.id == invoice_id))
    if invoice is None:
        abort(404)
    return invoice


def get_email_event_or_404(event_id: int, user=None) -> EmailEvent:
    """A delivery event, if it exists and `user` may see its email's customer (an email
    without a customer: only a user who sees every customer)."""
    user = current_user if user is None else user
    event = get_by_id(EmailEvent, event_id)
    if event is None:
        abort(404)
    customer_id = event.message.customer_id
    customer = get_by_id(Customer, customer_id) if customer_id else None
    if not (can_see_customer(customer, user) if customer_id else sees_all_customers(user)):
        abort(404)
    return event


def get_document_or_404(document_id: int, user=None) -> Document:
    """A document, if `user` may see its customer and, for an identity scan, may see
    identification numbers (`customers.view_ids`)."""
    user = current_user if user is None else user
    document = get_by_id(Document, document_id)
    if document is None or not may_open(document, user) \
            or not can_see_customer(get_by_id(Customer, document.customer_id), user):
        abort(404)
    return document


def get_captured_or_404(captured_id: int, user=None) -> CapturedMail:
    """Captured mail, if `user` may read it (app.capture.access)."""
    user = current_user if user is None else user
    mail = get_by_id(CapturedMail, captured_id)
    if not may_see_captured(mail, user):
        abort(404)
    return mail
