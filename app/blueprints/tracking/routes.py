"""Open-tracking image and tracked links. Public by nature; tokens are HMAC-signed."""
from __future__ import annotations

from flask import Response, abort, redirect, request

from app.blueprints.tracking import bp
from app.blueprints.tracking.image import NO_CACHE, PIXEL
from app.extensions import db
from app.mail.hits import Hit, record_hit
from app.mail.tracking import CLICK, OPEN, read_token
from app.models import EmailLink
from app.web.auth import public


def _client_ip() -> str:
    return request.remote_addr or ""


@bp.route("/o/<token>.gif")
@public
def open_pixel(token: str):
    """Always the same GIF, even for a bad token: never a broken image in an inbox.

    GET normally never gets here: `image.TrackingImage` answers it in front of Flask.
    """
    if request.method == "GET":
        found = read_token(OPEN, token)
        if found is not None:
            record_hit(Hit.now("open", found[0], request.headers.get("User-Agent", ""),
                               _client_ip()))
    return Response(PIXEL, mimetype="image/gif", headers=NO_CACHE)


@bp.route("/c/<token>")
@public
def click(token: str):
    """Redirect only to the URL recorded for this token; a tampered token is 404."""
    found = read_token(CLICK, token)
    if found is None:
        abort(404)
    link = db.session.get(EmailLink, found[0])
    if link is None or link.token != found[1]:
        abort(404)
    if request.method == "GET":
        record_hit(Hit.now("click", link.message_id, request.headers.get("User-Agent", ""),
                           _client_ip(), link.url))
    response = redirect(link.url, code=302)
    response.headers.update(NO_CACHE)
    return response
