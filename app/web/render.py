"""Page and fragment rendering, and the htmx response headers, in one place."""
from __future__ import annotations

import json
from urllib.parse import quote
from typing import Any
from weakref import WeakKeyDictionary

from flask import Response, current_app, make_response, render_template, request
from jinja2 import Environment, Template, nodes
from jinja2_fragments import flask as fragments
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


# The layout each template extends (a constant name in `{% extends %}`), read once.
_layouts: WeakKeyDictionary[Template, str | None] = WeakKeyDictionary()


def _layout(env: Environment, template: Template) -> Template | None:
    if template not in _layouts:
        source = env.loader.get_source(env, template.name)[0]
        extends = next(env.parse(source).find_all(nodes.Extends), None)
        _layouts[template] = (extends.template.value if extends is not None
                              and isinstance(extends.template, nodes.Const) else None)
    name = _layouts[template]
    return None if name is None else env.get_template(name)


def render_block(template_name: str, block: str, **context: Any) -> str:
    """One `{% block %}` of a page. jinja2-fragments renders the blocks a template defines
    itself; a block it inherits from its layout (the report pages share their region that
    way) is resolved here as a full render would: the page's own blocks override the
    layout's."""
    app = current_app._get_current_object()
    env = app.jinja_env
    template = env.get_template(template_name)
    if block in template.blocks:
        return fragments.render_block(template_name, block, **context)
    app.update_template_context(context)
    ctx = template.new_context(context)
    layout = _layout(env, template)
    while layout is not None:
        for name, function in layout.blocks.items():
            ctx.blocks.setdefault(name, []).append(function)
        layout = _layout(env, layout)
    if block not in ctx.blocks:
        raise LookupError(f"Block {block!r} not found in template {template_name!r}")
    try:
        return env.concat(ctx.blocks[block][0](ctx))
    except Exception:
        env.handle_exception()


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


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition: attachment` naming `filename` safely (RFC 6266 / 5987): an
    ASCII fallback without quotes, slashes or control characters, and the exact name
    percent-encoded in `filename*` for browsers that read it."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\/;%' else "_"
                       for ch in filename).strip() or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def pdf_response(invoice: Invoice, *, inline: bool = False) -> Response:
    """The invoice's PDF as an HTTP response (staff download and client link)."""
    response = Response(render_invoice_pdf(invoice), mimetype="application/pdf")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = \
        f'{disposition}; filename="{pdf_filename(invoice)}"'
    return no_store(response)
