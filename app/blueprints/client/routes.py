from __future__ import annotations

import re

from flask import Response, abort, g, render_template, request, url_for

from app.blueprints.client import bp
from app.extensions import db
from app.invoices.snapshot import buyer_lines, parties
from app.models import Invoice
from app.settings import formatting
from app.web.auth import public
from app.web.render import no_store, pdf_response


@bp.route("/i/<view_key>")
@public
def invoice(view_key: str):
    found = _by_key(view_key)
    if request.method == "GET" and request.args.get("e"):
        _record_view(found, request.args["e"])
    return render_client_view(found, url_for("client.invoice_pdf", view_key=view_key))


@bp.route("/i/<view_key>/pdf")
@public
def invoice_pdf(view_key: str):
    return _private(pdf_response(_by_key(view_key)))


def render_client_view(invoice: Invoice, pdf_url: str) -> Response:
    """The customer's view of `invoice` (also used behind tracked email links), in the
    customer's language's formats."""
    sides = parties(db.session, invoice)  # what the invoice was issued with
    g.formats = formatting.for_customer(invoice.customer)
    return _private(no_store(Response(render_template(
        "invoices/client_view.html", invoice=invoice, pdf_url=pdf_url, seller=sides.seller,
        buyer=sides.buyer, buyer_lines=buyer_lines(sides.buyer)))))


_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what secrets.token_urlsafe makes


def _record_view(invoice: Invoice, token: str) -> None:
    """The link in an email carries `?e=<token>`: count a "viewed" event for that email.
    A bad or foreign token is ignored; the customer still sees the invoice."""
    from app.mail.hits import Hit, record_hit
    from app.mail.tracking import VIEW, read_token
    from app.models import EmailMessage

    found = read_token(VIEW, token[:500])
    message = db.session.get(EmailMessage, found[0]) if found else None
    if message is None or message.open_token != found[1] or message.invoice_id != invoice.id:
        return
    record_hit(Hit.now("view", message.id, request.headers.get("User-Agent", ""),
                       request.remote_addr or ""))


def _by_key(view_key: str) -> Invoice:
    if not _KEY.fullmatch(view_key):
        abort(404)
    found = db.session.scalar(db.select(Invoice).filter_by(view_key=view_key))
    if found is None:
        abort(404)
    return found


def _private(response: Response) -> Response:
    # The key in the URL is the only secret: keep it out of Referer headers and indexes.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
