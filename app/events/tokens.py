"""Tracking tokens: random ids for pixels and bounce addresses, signed tokens for links.

A random token (``new_token``) is enough where the token only *finds* a row:
nobody can guess 144 random bits. A signed token (``sign``/``verify``) is for
links that carry data we must not let a recipient edit, e.g. a redirect target.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 18  # 144 bits; 18 is a multiple of 3, so the text has no '=' padding

# Domain separation: a signature made here can never be replayed as some other
# HMAC the app computes with the same secret.
_SIGN_CONTEXT = b"clientele.events.tokens.v1\x00"
_SIG_BYTES = 32

# url-safe base64 pieces joined by dots: what new_token() and sign() produce.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_VERP_PREFIX = "bounces+"


def new_token() -> str:
    """A fresh, unguessable, url-safe token (144 random bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def sign(secret: bytes, payload: str) -> str:
    """``payload`` made tamper-evident: '<base64 payload>.<base64 HMAC-SHA256>'."""
    _require_secret(secret)
    data = payload.encode("utf-8")
    return f"{_b64encode(data)}.{_b64encode(_mac(secret, data))}"


def verify(secret: bytes, token: object) -> str | None:
    """The payload if ``token`` was made by ``sign`` with ``secret``, else None; never raises on bad tokens."""
    _require_secret(secret)
    if not isinstance(token, str) or token.count(".") != 1:
        return None
    encoded_payload, encoded_sig = token.split(".")
    data = _b64decode(encoded_payload)
    sig = _b64decode(encoded_sig)
    if data is None or sig is None or len(sig) != _SIG_BYTES:
        return None
    if not hmac.compare_digest(sig, _mac(secret, data)):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # pragma: no cover - only reachable with a leaked secret
        return None


def verp_address(token: str, bounce_domain: str) -> str:
    """The envelope sender that routes bounces for ``token`` back to us."""
    if not _TOKEN_RE.fullmatch(token):
        raise ValueError("a VERP token may only contain letters, digits, '-', '_' and single dots")
    domain = bounce_domain.strip().lower()
    if not domain or "@" in domain or any(c.isspace() for c in domain):
        raise ValueError(f"not a usable bounce domain: {bounce_domain!r}")
    return f"{_VERP_PREFIX}{token}@{domain}"


def parse_verp(address: object, bounce_domain: str | None = None) -> str | None:
    """The token in a 'bounces+<token>@domain' address, or None; checks the domain when given."""
    if not isinstance(address, str):
        return None
    address = address.strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1].strip()
    local, at, domain = address.rpartition("@")
    if not at or not domain:
        return None
    if bounce_domain is not None and domain.lower() != bounce_domain.strip().lower():
        return None
    # Mail systems may change the case of the fixed part, never of the token
    # (the local part is case-sensitive and tokens depend on it).
    if local[: len(_VERP_PREFIX)].lower() != _VERP_PREFIX:
        return None
    token = local[len(_VERP_PREFIX) :]
    return token if _TOKEN_RE.fullmatch(token) else None


def _mac(secret: bytes, data: bytes) -> bytes:
    return hmac.new(secret, _SIGN_CONTEXT + data, hashlib.sha256).digest()


def _require_secret(secret: bytes) -> None:
    # An empty key would make every signature forgeable: fail loudly at the caller.
    if not isinstance(secret, (bytes, bytearray)) or not secret:
        raise ValueError("a non-empty bytes secret is required to sign or verify tokens")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes | None:
    # Strict: only the url-safe alphabet, no padding, and the canonical
    # encoding, so one payload has exactly one valid token text.
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if _b64encode(data) == text else None
