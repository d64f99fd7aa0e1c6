"""Page and fragment rendering, and the htmx response headers, in one place."""
from __future__ import annotations

import json
from typing import Any

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block
from werkzeug.routing import IntegerConverter, ValidationError

from app.invoices.pdf import pdf_filename, render_invoice_pdf
from app.models import Invoice
from app.models.base import MAX_ID


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` limited to ids a database row can have; anything else does not match."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if not 0 < number <= MAX_ID:
            raise ValidationError()
        return number


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_partial() -> bool:
    """An htmx request that wants a fragment (history restores want the full page)."""
    return is_htmx() and request.headers.get("HX-History-Restore-Request") != "true"


def render(template: str, block: str | None = None, *, status: int = 200,
           **context: Any) -> Response:
    """Render the whole page, or only `block` when htmx asks for a fragment.

    The same context feeds both, so a page and its fragment can never disagree.
    """
    if block and is_partial():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def hx_redirect(location: str, status: int = 200) -> Response:
    response = make_response("", status)
    response.headers["HX-Redirect"] = location
    return response


def hx_trigger(response: Response, event: str, detail: Any = None) -> Response:
    """Add an event to the HX-Trigger header, keeping any already set."""
    existing = response.headers.get("HX-Trigger")
    events: dict[str, Any] = json.loads(existing) if existing else {}
    events[event] = detail if detail is not None else True
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def hx_retarget(response: Response, target: str, swap: str | None = None) -> Response:
    response.headers["HX-Retarget"] = target
    if swap:
        response.headers["HX-Reswap"] = swap
    return response


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def pdf_response(invoice: Invoice, *, inline: bool = False) -> Response:
    """The invoice's PDF as an HTTP response (staff download and client link)."""
    response = Response(render_invoice_pdf(invoice), mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = \
        f'{disposition}; filename="{pdf_filename(invoice)}"'
    return no_store(response)
