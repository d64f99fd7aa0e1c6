"""Response headers every page gets: CSP without inline code, and friends."""
from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

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


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        # One pass over the existing headers; a view may have set its own CSP etc.
        present = {key.lower() for key in response.headers.keys()}
        wanted = SECURITY_HEADERS + ((_HSTS,) if request.is_secure else ())
        response.headers.extend([(k, v) for k, v in wanted if k.lower() not in present])
        return response


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
