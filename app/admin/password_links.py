"""The links of password resets and invitations (app.admin.accounts), apart from the rest
so the mail builder can write them in without importing the outbox's callers.

The token in a link is an HMAC of the row's salt under SECRET_KEY; the row keeps its
SHA-256. An email waiting in the outbox holds only `mark(row)`; the worker building it
calls `fill_links`. A copy of the database alone opens no account.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from base64 import urlsafe_b64encode

from flask import current_app

from app.extensions import db
from app.models import UserToken

# Where a link leads: the auth blueprint's route is built on it.
LINK_PATH = "/password/set/"
_MARK = re.compile(r"\[\[password-link:(\d+)\]\]")


def token_for(salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"user-token:{salt}".encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mark(row: UserToken) -> str:
    """What the stored email body holds in place of the link."""
    return f"[[password-link:{row.id}]]"


def fill_links(text: str) -> str:
    """The body of a system email with its password links written in (for the worker)."""
    def link(match: re.Match) -> str:
        row = db.session.get(UserToken, int(match.group(1)))
        if row is None:
            return "(this link was withdrawn)"
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        return f"{base}{LINK_PATH}{token_for(row.salt)}"

    return _MARK.sub(link, text)
