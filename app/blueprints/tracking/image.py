"""The tracking image, answered in front of Flask.

It is the busiest URL the app has: every opened email may load it, often several times.
This WSGI layer answers `GET /t/o/<token>.gif` itself — check the signed token, hand the
hit to the per-process flusher, return the GIF — without building a Flask request, a
session or the page hooks, none of which an image needs. Everything else, HEAD included,
goes on to Flask, where `tracking.open_pixel` declares the same URL public and answers
it the same way.
"""
from __future__ import annotations

from flask import Flask

from app.mail.hits import Hit, record_hit_for
from app.mail.tracking import OPEN, read_token, secret

PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
         b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
NO_CACHE = {"Cache-Control": "no-store, no-cache, must-revalidate, private, max-age=0",
            "Pragma": "no-cache", "Expires": "0"}
_PREFIX, _SUFFIX = "/t/o/", ".gif"
_HEADERS = [("Content-Type", "image/gif"), ("Content-Length", str(len(PIXEL))),
            ("X-Content-Type-Options", "nosniff"),
            ("Content-Security-Policy", "default-src 'none'"), *NO_CACHE.items()]


class TrackingImage:
    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.key = secret(app)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET" or not path.startswith(_PREFIX) \
                or not path.endswith(_SUFFIX) or "/" in path[len(_PREFIX):]:
            return self.wsgi_app(environ, start_response)
        found = read_token(OPEN, path[len(_PREFIX):-len(_SUFFIX)], self.key)
        if found is not None:
            record_hit_for(self.app, Hit.now("open", found[0],
                                             environ.get("HTTP_USER_AGENT", ""),
                                             environ.get("REMOTE_ADDR", "")))
        start_response("200 OK", list(_HEADERS))
        return [PIXEL]
