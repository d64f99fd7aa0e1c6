"""Tracking URLs. Tokens are HMAC-signed, so checking one needs no database."""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from app.events import tokens
from app.models import EmailLink, EmailMessage

OPEN, CLICK, VIEW = "o", "c", "v"
# The X-Clientele-Message header of every email we send: a feedback loop returns it with
# the complained-about copy even where a relay replaced our Message-ID and Return-Path.
STAMP = "m"


def secret(app=None) -> bytes:
    """A key for tracking tokens, derived from SECRET_KEY (never the key itself)."""
    key = (app or current_app).config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"clientele-tracking-v1", hashlib.sha256).digest()


def make_token(kind: str, ident: int, nonce: str) -> str:
    return tokens.sign(secret(), f"{kind}.{ident}.{nonce}")


def read_token(kind: str, token: str, key: bytes | None = None) -> tuple[int, str] | None:
    """The id and nonce a token carries, or None when it's tampered or of another kind."""
    payload = tokens.verify(key or secret(), token)
    if payload is None:
        return None
    parts = payload.split(".")
    if len(parts) != 3 or parts[0] != kind or not (parts[1].isascii() and parts[1].isdigit()):
        return None
    return int(parts[1]), parts[2]


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def open_url(message: EmailMessage) -> str:
    return f"{_base()}/t/o/{make_token(OPEN, message.id, message.open_token)}.gif"


def link_url(link: EmailLink) -> str:
    return f"{_base()}/t/c/{make_token(CLICK, link.id, link.token)}"


def view_url(message: EmailMessage) -> str:
    invoice = message.invoice
    return (f"{_base()}/i/{invoice.view_key}"
            f"?e={make_token(VIEW, message.id, message.open_token)}")
