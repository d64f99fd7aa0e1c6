"""Field encryption at rest: MultiFernet keyed from ENCRYPTION_KEYS (first key encrypts).

Keys rotate by putting a new key first, running `flask keys rotate`, then dropping the
old key.
"""
from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text, TypeDecorator


def make_fernet(keys: list[str]) -> MultiFernet:
    if not keys:
        raise RuntimeError("ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    app = current_app._get_current_object()
    cached = app.extensions.get("fernet")
    if cached is None:
        cached = app.extensions["fernet"] = make_fernet(app.config["ENCRYPTION_KEYS"])
    return cached


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return decrypt_bytes(token).decode("utf-8")


def decrypt_bytes(token: str) -> bytes:
    try:
        return fernet().decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise RuntimeError("a stored value can't be decrypted with the configured "
                           "ENCRYPTION_KEYS (was a key removed too early?)") from exc


def rotate(token: str) -> str:
    """Re-encrypt `token` under the first (newest) key."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


class EncryptedString(TypeDecorator):
    """A string column whose value is stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


class EncryptedJSON(EncryptedString):
    """A JSON value stored as one Fernet token; a subclass, so `keys rotate` finds it."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(decrypt(value))


class EncryptedBytes(EncryptedString):
    """Bytes stored as one Fernet token (a document's chunk); a subclass, so `keys rotate`
    finds it. `rotate_batch`: rows re-keyed per query, small since each is up to ~1.4 MB."""

    cache_ok = True
    rotate_batch = 8

    def process_bind_param(self, value, dialect):
        return None if value is None else fernet().encrypt(bytes(value)).decode("ascii")

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt_bytes(value)
