"""Re-encrypt every encrypted column under the newest key (no Flask request globals).

Finds the columns by type (`EncryptedString`) in the models' metadata, so a column added
later is rotated too. Reads and writes the stored tokens as plain text, so nothing is
decrypted into memory longer than one `MultiFernet.rotate` call.
"""
from __future__ import annotations

from cryptography.fernet import InvalidToken
from sqlalchemy import Table, Text, select, type_coerce, update

from app.crypto import EncryptedString, fernet
from app.extensions import db

BATCH = 1000


class RotationError(RuntimeError):
    pass


def encrypted_columns() -> list[tuple[Table, str]]:
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedString):
                found.append((table, column.name))
    return found


def rotate_all() -> dict[str, int]:
    """Rotate every stored token; returns `{"table.column": count}`. Caller commits."""
    keys = fernet()
    counts: dict[str, int] = {}
    for table, name in encrypted_columns():
        pk = next(iter(table.primary_key.columns))
        raw = type_coerce(table.c[name], Text)
        batch = getattr(table.c[name].type, "rotate_batch", BATCH)  # documents: small
        done, last = 0, None
        while True:
            query = select(pk, raw).where(table.c[name].is_not(None)).order_by(pk).limit(batch)
            if last is not None:
                query = query.where(pk > last)
            rows = db.session.execute(query).all()
            if not rows:
                break
            for key, token in rows:
                try:
                    fresh = keys.rotate(token.encode("ascii")).decode("ascii")
                except (InvalidToken, UnicodeEncodeError):
                    raise RotationError(
                        f"{table.name}.{name} row {key} can't be decrypted with any key in "
                        "ENCRYPTION_KEYS; nothing was changed") from None
                db.session.execute(update(table).where(pk == key)
                                   .values({name: type_coerce(fresh, Text)}))
            done += len(rows)
            last = rows[-1][0]
        counts[f"{table.name}.{name}"] = done
    return counts
