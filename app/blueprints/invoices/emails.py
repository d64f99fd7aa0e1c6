"""Emailing an invoice: the send dialog, the Email History popup, live status."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.blueprints.invoices import bp
from app.blueprints.invoices.email_form import (
    ROLE_CHOICES, Recipient, SendForm, address_choices, default_texts, recipients_from,
)
from app.extensions import db
from app.invoices.access import visible_invoices
from app.invoices.rules import InvoiceError
from app.mail import history, live
from app.mail.consequences import overturn
from app.mail.invoice_send import Repeat, send_invoice
from app.models import Invoice
from app.web.auth import requires
from app.web.endings import notify, see_other
from app.web.lookups import get_email_event_or_404, get_invoice_or_404
from app.web.render import hx_retarget, is_htmx, render

def email_context(invoice) -> dict:
    """What the emails section, the history and the icon show, loaded once by the view."""
    messages = history.messages_for_invoice(invoice.id)
    return {"messages": messages, "latest": history.latest_status(messages),
            "sends": history.send_statuses(messages)}


@bp.route("/<int:invoice_id>/emails/history")
@requires("invoices.view")
def email_history(invoice_id: int):
    """The Email History popup (and, opened directly, a page of its own)."""
    invoice = get_invoice_or_404(invoice_id, current_user)
    return render("invoices/email_history.html", "history", invoice=invoice,
                  **email_context(invoice))


@bp.route("/changes")
@requires("invoices.view")
def changes():
    """What changed since the page last asked, for the invoices it shows (`ids`): 204 when
    nothing did, else the changed parts swapped out of band and the next question."""
    view = request.args.get("view", "list")
    try:
        since = live.from_cursor(int(request.args["since"]))
        asked = {int(i) for i in request.args.get("ids", "").split(",") if i}
    except (KeyError, ValueError, OverflowError, OSError):
        return "Send since (milliseconds) and ids (comma-separated numbers).", 400
    if view not in ("list", "page") or len(asked) > live.MAX_IDS:
        return "Ask for view=list or view=page and at most 200 ids.", 400
    # "Nothing" is the usual answer; it is given before any database work (and says
    # nothing about invoices the user may not see). Now and then the database is asked.
    heartbeat = live.heartbeat_due(since)
    if not heartbeat and not live.maybe_changed(asked, since):
        return "", 204
    allowed = set(db.session.scalars(visible_invoices(
        select(Invoice.id).where(Invoice.id.in_(asked)), current_user))) if asked else set()
    changed = sorted(live.changed(allowed, since))
    if not changed and not (heartbeat and allowed):
        return "", 204
    invoices = list(db.session.scalars(select(Invoice).where(Invoice.id.in_(changed))))
    context = ({"invoice": invoices[0], **email_context(invoices[0])}
               if view == "page" and invoices else {})
    return render("invoices/changes.html", view=view, invoices=invoices,
                  statuses=history.latest_statuses(changed),
                  poll_url=changes_url(sorted(allowed), view), **context)


def changes_url(invoice_ids: list[int], view: str) -> str | None:
    """Where a page showing these invoices asks for news; None when none is watched."""
    watched = live.watched(invoice_ids)
    if not watched:
        return None
    return url_for("invoices.changes", view=view, since=live.cursor(),
                   ids=",".join(map(str, watched)))


@bp.route("/<int:invoice_id>/email", methods=["GET", "POST"])
@requires("invoices.send")
def email_send(invoice_id: int):
    invoice = get_invoice_or_404(invoice_id, current_user)
    choices = address_choices(list(invoice.customer.emails),
                              request.form if request.method == "POST" else None)
    form = SendForm()
    if request.method == "GET":
        subject, body = default_texts(invoice)
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


@bp.route("/emails/verdicts/<int:event_id>/overturn", methods=["POST"])
@requires("mail.overturn")
def email_verdict(event_id: int):
    """A person marks a bounce's verdict wrong: the address is usable again (the email
    history, the report's and the bounce review's forms post here)."""
    event = get_email_event_or_404(event_id, current_user)
    restored = overturn(event, user=current_user, note=request.form.get("note", ""))
    db.session.commit()
    if restored is None:
        # A second click or a stale page: the first one decided.
        text, kind = ("This verdict was already marked wrong." if event.overturned_at
                      else "Only a refusal's verdict can be marked wrong."), "info"
    else:
        text, kind = (f"{', '.join(restored)} can be emailed again." if restored else
                      "The verdict is marked wrong; the address needed no change."), "success"
    if not is_htmx():
        flash(text, kind)
        return see_other(_back(event))
    response = render("mail/verdict.html", "item", event=event, m=event.message,
                      back=_back(event))
    return notify(response, text, kind)


def _back(event) -> str:
    """Where a plain form returns: the page it was posted from, if it is ours."""
    target = request.form.get("back", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not urlsplit(target).netloc:
        return target
    message = event.message
    if message.invoice_id:
        return url_for("invoices.email_history", invoice_id=message.invoice_id)
    return url_for("reports.email_history", message_id=message.id)
