"""Response headers every page gets: CSP without inline code, and friends; and no caching
of anything shown to a logged-in user."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000")
_NO_STORE = ("Cache-Control", "no-store")


class _WithoutNul(ImmutableMultiDict):
    """Query and form values with NUL characters dropped: they mean nothing to anyone
    typing, and PostgreSQL can neither store nor compare text holding them (a 500)."""

    def __init__(self, mapping=None):
        if mapping is not None and not isinstance(mapping, Mapping):  # the parsers' pairs
            mapping = [(_clean(key), _clean(value)) for key, value in mapping]
        super().__init__(mapping)


def _clean(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class CleanRequest(Request):
    parameter_storage_class = _WithoutNul


def init_requests(app: Flask) -> None:
    app.request_class = CleanRequest


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        # One pass over the existing headers; a view may have set its own CSP etc.
        present = {key.lower() for key in response.headers.keys()}
        wanted = SECURITY_HEADERS + ((_HSTS,) if request.is_secure else ())
        if "cache-control" not in present and _for_a_logged_in_user():
            wanted += (_NO_STORE,)
        response.headers.extend([(k, v) for k, v in wanted if k.lower() not in present])
        return response


def _for_a_logged_in_user() -> bool:
    """Every answer to a logged-in user may hold customer data: no browser or proxy keeps
    it (a shared office computer, the Back button after logout). Static files are the
    same for everyone and stay cacheable."""
    return request.endpoint != "static" and current_user.is_authenticated


class SessionlessTrackingInterface(SecureCookieSessionInterface):
    """No session for the tracking image and links: they never read or set a cookie."""

    def open_session(self, app, request):
        if request.blueprint == "tracking":
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_sessions(app: Flask) -> None:
    app.session_interface = SessionlessTrackingInterface()


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, take the client address and scheme from them.

    Without it every request seems to come from the proxy: login throttling per IP and
    the audit log would see one address. Never set it higher than the real number of
    proxies, or clients could forge X-Forwarded-For.
    """
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count,  # type: ignore
                                x_host=count)
