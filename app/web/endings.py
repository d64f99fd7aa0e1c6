"""How a view ends: the audit entry of the person asking, the status of a form that came
back with errors, and the answer after a change (a 303 to the next page, a redirect htmx
follows, or a notice the page shows)."""
from __future__ import annotations

from flask import Response, flash, redirect, request
from flask_login import current_user

from app import audit
from app.models import AuditLog
from app.web.render import hx_redirect, hx_trigger, is_htmx


def audit_request(action: str, **fields) -> AuditLog:
    """An audit entry for this request: by the logged-in user (unless `user` names the
    person logging in or out) from the request's address. The caller commits."""
    fields.setdefault("user", current_user)
    return audit.record(action, ip=request.remote_addr, **fields)


def form_status(form, otherwise: int = 200) -> int:
    """422 for a form that came back with errors, its own or a field's (htmx swaps it in all
    the same), else `otherwise`."""
    return 422 if form.errors else otherwise


def see_other(url: str, message: str | None = None, category: str = "success") -> Response:
    """After a change: say what happened on the next page, and go there (303)."""
    if message:
        flash(message, category)
    return redirect(url, code=303)


def go_to(url: str) -> Response:
    """After a change: htmx follows HX-Redirect, a plain form a 303."""
    return hx_redirect(url) if is_htmx() else redirect(url, code=303)


def notify(response: Response, text: str, kind: str = "success") -> Response:
    """The page shows `text` as a notice once htmx has swapped `response` in."""
    return hx_trigger(response, "notify", {"text": text, "kind": kind})
