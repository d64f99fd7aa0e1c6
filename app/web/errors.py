"""Error pages, with fragment-sized versions for htmx requests.

Each says, in the office's words, what happened and what to do — and never more than the
person may know: a customer or invoice they may not open looks exactly like one that
does not exist (`app/customers/access.py`), so the 404 covers both.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.web.limits import too_large_text
from app.web.render import hx_retarget, is_htmx, render

# code: (title, what happened and what to do)
_TEXTS = {
    400: ("That request could not be understood",
          "Something in it was not what this page expects. Go back, reload the page and "
          "try again."),
    401: ("Please log in", "Log in again to carry on where you were."),
    403: ("You don't have access to this",
          "Your role does not include this. Ask an admin if you need it."),
    404: ("Not found",
          "Not found, or not one of your customers — ask an admin if you need it. "
          "If you typed the address, check it for typos."),
    405: ("That action isn't possible here",
          "Use the buttons on the page instead of typing the address. Go back and try again."),
    413: ("That is too large to send in one go", ""),
    429: ("Too many attempts", "Wait a little, then try again."),
    500: ("Something went wrong on our side",
          "It was logged, and nothing you saved before was lost. Try again; if it "
          "happens again, tell your admin the time shown below."),
}


def error_response(code: int, description: str | None = None):
    """The error page (or, for htmx, a notice) for `code`, with `description` instead of
    the standard advice when given."""
    title, advice = _TEXTS.get(code, ("Something went wrong", "Go back and try again."))
    response = render("errors/error.html", "notice" if is_htmx() else None,
                      status=code, code=code, title=title, description=description or advice,
                      role=_role(), at=datetime.now(timezone.utc) if code >= 500 else None)
    if is_htmx():
        # Let the page show the message in its notice area instead of a table cell.
        hx_retarget(response, "#notices", "innerHTML")
    return response


def _role() -> str | None:
    try:
        return current_user.role if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 - the user lookup itself may be what failed
        return None


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return error_response(400, "Your form expired or was sent from another page. "
                                   "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.response is not None:  # abort(response) from the auth layer
            return error.response
        if error.code == 413:
            return error_response(413, too_large_text(request.max_content_length or 0,
                                                      request.endpoint))
        # Werkzeug's own descriptions are for developers; a view's abort(409, "…") is
        # written for the office and is kept.
        own = error.description if error.description != type(error).description else None
        return error_response(error.code or 500, own)

    @app.errorhandler(InternalServerError)
    def _server(error: InternalServerError):
        from app.extensions import db

        db.session.rollback()
        return error_response(500)
