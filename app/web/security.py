"""Response headers every page gets: CSP without inline code, and friends; and no caching
of anything shown to a logged-in user."""
from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from app import settings
from app.web.limits import body_cap

log = logging.getLogger(__name__)

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
            # Werkzeug counts the fields of a multipart form only; this counts a query
            # string's and an urlencoded body's too.
            if current_app and len(mapping) > current_app.config["MAX_FORM_PARTS"]:
                raise RequestEntityTooLarge()
        super().__init__(mapping)


def _clean(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class CleanRequest(Request):
    parameter_storage_class = _WithoutNul

    @property
    def max_content_length(self) -> int | None:
        """The cap of this request's endpoint (`app/web/limits.py`), unless a view set one."""
        if self._max_content_length is not None or not current_app:
            return super().max_content_length
        cap = body_cap(current_app.config, self.endpoint, self.blueprint)
        # A chunked body declares no length: it is read one byte past the cap, so that
        # reaching the end of what may be read means "too large" (checked below) instead
        # of a body cut short without a word.
        return cap if self.content_length is not None else cap + 1

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def get_data(self, *args, **kwargs):
        data = super().get_data(*args, **kwargs)
        self._refuse_a_cut_body()
        return data

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self._refuse_a_cut_body()

    def _refuse_a_cut_body(self) -> None:
        if self.content_length is None and getattr(self.stream, "is_exhausted", False) \
                and getattr(self.stream, "_limit_is_max", False):
            raise RequestEntityTooLarge()


def init_requests(app: Flask) -> None:
    app.request_class = CleanRequest

    @app.before_request
    def _refuse_large_bodies():
        # Also where nothing would read the body (a 404, a view without a form): a
        # declared length over the cap is refused before a byte of it is read.
        if (request.content_length or 0) > (request.max_content_length or 0) > 0:
            raise RequestEntityTooLarge()

    # A request sees the settings as committed when it starts, whichever process changed them.
    app.before_request(settings.recheck)


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        # One pass over the existing headers; a view may have set its own CSP etc.
        present = {key.lower() for key in response.headers.keys()}
        wanted = SECURITY_HEADERS
        if "cache-control" not in present and _for_a_logged_in_user():
            wanted += (_NO_STORE,)
        response.headers.extend([(k, v) for k, v in wanted if k.lower() not in present])
        return response


class EveryResponse:
    """The headers no answer may lack, added outside everything else: the tracking image
    (answered before Flask), error answers and anything a layer in between returns carry
    them too. Framing is refused (`X-Frame-Options` and CSP `frame-ancestors`), and when
    the app is published over https (PUBLIC_BASE_URL) HSTS is sent — whatever scheme the
    request reached gunicorn with, since TLS usually ends at a proxy in front of it.

    gunicorn's own error answers (a malformed request line, a header too long) are written
    by gunicorn before the app is called; no layer of the app can add to them.
    """

    def __init__(self, wsgi_app, *, https: bool):
        self.wsgi_app = wsgi_app
        self.extra = [_HSTS] if https else []

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, _completed(headers, self.extra), exc_info)

        return self.wsgi_app(environ, start)


def _completed(headers: list, extra: list) -> list:
    names = {name.lower(): i for i, (name, _) in enumerate(headers)}
    headers = list(headers)
    if "x-frame-options" not in names:
        headers.append(("X-Frame-Options", "DENY"))
    if "content-security-policy" not in names:
        headers.append(("Content-Security-Policy", "frame-ancestors 'none'"))
    else:
        i = names["content-security-policy"]
        if "frame-ancestors" not in headers[i][1]:
            headers[i] = (headers[i][0], headers[i][1] + "; frame-ancestors 'none'")
    headers += [(k, v) for k, v in extra if k.lower() not in names]
    return headers


def init_every_response(app: Flask) -> None:
    app.wsgi_app = EveryResponse(  # type: ignore[method-assign]
        app.wsgi_app, https=app.config["PUBLIC_BASE_URL"].startswith("https://"))


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
        app.wsgi_app = _CheckedProxyFix(app.wsgi_app, x_for=count, x_proto=count,  # type: ignore
                                        x_host=count)


class _CheckedProxyFix(ProxyFix):
    """ProxyFix that says so, once per process, when the first request arrives without the
    proxies PROXY_COUNT promises (fewer X-Forwarded-For entries): gunicorn is then
    reachable directly, and a client can forge X-Forwarded-For to dodge the per-address
    login limit. (gunicorn.conf.py also warns at start-up when it listens beyond
    loopback with PROXY_COUNT set.)"""

    checked = False

    def __call__(self, environ, start_response):
        if not self.checked:
            self.checked = True
            forwarded = [a for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")
                         if a.strip()]
            if len(forwarded) < self.x_for:
                log.warning(
                    "PROXY_COUNT=%d but the first request came from %s with %d X-Forwarded-For "
                    "entr%s: if gunicorn is reachable without the proxy, clients can forge "
                    "their address. Lower PROXY_COUNT or bind gunicorn to the proxy only.",
                    self.x_for, environ.get("REMOTE_ADDR", "?"), len(forwarded),
                    "y" if len(forwarded) == 1 else "ies")
        return super().__call__(environ, start_response)
