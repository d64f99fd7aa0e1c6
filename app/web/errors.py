"""Error pages, with fragment-sized versions for htmx requests."""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.web.render import hx_retarget, is_htmx, render

_TITLES = {
    400: "That request could not be understood",
    401: "Please log in",
    403: "You don't have access to this",
    404: "Not found",
    405: "That action isn't allowed here",
    413: "That upload is too large",
    429: "Too many attempts",
    500: "Something went wrong on our side",
}


def _render_error(code: int, description: str):
    title = _TITLES.get(code, "Error")
    response = render("errors/error.html", "content" if is_htmx() else None,
                      status=code, code=code, title=title, description=description)
    if is_htmx():
        # Let the page show the message in its notice area instead of a table cell.
        hx_retarget(response, "#notices", "innerHTML")
    return response


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _render_error(400, "Your form expired or was sent from another page. "
                                  "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.response is not None:  # abort(response) from the auth layer
            return error.response
        if error.code == 413:
            limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
            return _render_error(413, f"Uploads are limited to {limit} MB.")
        return _render_error(error.code or 500, error.description or "")

    @app.errorhandler(InternalServerError)
    def _server(error: InternalServerError):
        from app.extensions import db

        db.session.rollback()
        return _render_error(500, "The error was logged. Nothing you saved before "
                                  "this was lost; please try again.")
