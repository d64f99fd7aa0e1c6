"""Personal drop-box addresses, `file+<token>@BOUNCE_DOMAIN`, and who a message was
delivered to.

The token is 128 random bits, so the address is the credential: whoever knows it can put
mail in its owner's review list, and nothing else. It is stored encrypted (its owner sees
it) and looked up by its SHA-256. Rotating it ends the old address at once; mail already
received keeps the owner it was received for (`inbound_messages.dropbox_user_id`). Mail is routed by the envelope recipient (the SMTP receiver's RCPT TO, the pipe's
--envelope-to), never by what the message says of itself, so a bounce forwarded to a
drop-box is captured mail and never read as a bounce. A mailbox read over IMAP has no
envelope: there the delivering server's own trace fields (Delivered-To, X-Original-To,
Envelope-To) say where it went, then To and Cc (a forward names the drop-box there).
"""
from __future__ import annotations

import base64
import email.utils
import hashlib
import re
import secrets

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.permissions import role_can

PREFIX = "file+"
_TRACE = ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to")
_HEADER_SECTION = re.compile(rb"\A(.*?)(?:\r?\n\r?\n|\Z)", re.S)


def _domain() -> str:
    return current_app.config["BOUNCE_DOMAIN"].split("@")[-1].lower()


def new_token() -> str:
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


def _key(token: str) -> str:
    return hashlib.sha256(token.lower().encode("ascii", "replace")).hexdigest()


def address_of(user: User) -> str:
    """The user's drop-box address, made on first use (the caller commits)."""
    if not user.dropbox_token:
        rotate(user)
    return f"{PREFIX}{user.dropbox_token}@{_domain()}"


def rotate(user: User) -> str:
    """A new address for `user`; the old one stops at once. The caller audits and commits."""
    user.dropbox_token = new_token()
    user.dropbox_key = _key(user.dropbox_token)
    return address_of(user)


def is_dropbox_address(address: str | None) -> bool:
    """Shaped like a drop-box address of ours, whether or not anyone holds it."""
    local, _, domain = (address or "").strip().strip("<>").rpartition("@")
    return domain.lower() == _domain() and local.lower().startswith(PREFIX)


def masked(text: str) -> str:
    """`text` with every drop-box address in it replaced by words (the address is its
    owner's credential; a forwarded forward may quote one)."""
    pattern = re.compile(rf"{re.escape(PREFIX)}[a-z0-9]+@{re.escape(_domain())}", re.I)
    return pattern.sub("[a drop-box address]", text)


def owner_of(address: str | None) -> User | None:
    """The user whose drop-box `address` is, while they may file mail (`capture.file`,
    active); None for an unknown or rotated address, or a person who may not file."""
    if not is_dropbox_address(address):
        return None
    local = (address or "").strip().strip("<>").rpartition("@")[0]
    token = local[len(PREFIX):].lower()
    if not token:
        return None
    user = db.session.scalar(select(User).where(User.dropbox_key == _key(token),
                                                User.active.is_(True)))
    return user if user is not None and role_can(user.role, "capture.file") else None


def delivered_to(raw: bytes, envelope_to: str) -> str | None:
    """The drop-box address this message was delivered to, or None: mail for the bounce
    parser. The envelope decides when there is one."""
    if envelope_to:
        return envelope_to if is_dropbox_address(envelope_to) else None
    head = _HEADER_SECTION.match(raw[:256 * 1024]).group(1).decode("utf-8", "replace")
    message = email.message_from_string(head + "\n\n")
    for name in (*_TRACE, "to", "cc"):
        values = message.get_all(name) or []
        for _, address in email.utils.getaddresses([str(v) for v in values]):
            if is_dropbox_address(address):
                return address
    return None
