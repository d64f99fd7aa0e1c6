"""The one cached accessor of the office's settings, and the one audited setter.

Each process (two gunicorn workers, the RQ worker, a CLI command) keeps the settings in
memory with the stamp it read them under. The stamp is a row of the settings table that
every write replaces in the same transaction as the values, so a process that sees the new
stamp also sees the new values, and a restored backup (whose stamp is its own random value)
is never mistaken for the cache's. Each web request re-reads the stamp once (one primary-key
lookup, only when a setting is read); other work re-reads it at most every
`SETTINGS_RECHECK_SECONDS`. A Redis stamp would save that lookup, but could be published
before the commit is visible, or be lost, and the pages must stay right when Redis is down.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import audit
from app.config import Config
from app.extensions import db
from app.models import STAMP_KEY, Setting
from app.settings.checks import check
from app.settings.keys import KEYS, coerce

_CACHE = "settings_cache"
RECHECK_SECONDS = 2.0


@dataclass
class _Cache:
    stamp: str | None
    stored: dict[str, Any]
    checked_at: float = field(default_factory=time.monotonic)


def get(name: str) -> Any:
    """The value of setting `name` (see app.settings.keys), its default when never set."""
    key = KEYS[name]  # KeyError on a typo: a misspelt setting must not read as empty
    stored = _fresh().stored
    if name in stored:
        return stored[name]
    return key.default(current_app.config)


def needs_setup() -> bool:
    """The first run: the office has no address, and its name was never set here."""
    return not get("office.address") and not is_stored("office.name")


def values(prefix: str = "") -> dict[str, Any]:
    """Every setting whose name starts with `prefix` ("office."), by name."""
    return {name: get(name) for name in KEYS if name.startswith(prefix)}


def is_stored(name: str) -> bool:
    """Whether `name` was ever set here (else it reads its default)."""
    return name in _fresh().stored


def is_shipped_default(name: str, value: Any) -> bool:
    """Whether `value` is what the product itself ships for `name` (the demo office's
    name, billing@clientele.localhost): never set here, and not the operator's own
    configuration either."""
    shipped = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    return not is_stored(name) and value == KEYS[name].default(shipped)


def update(changes: dict[str, Any], *, user=None, ip: str | None = None) -> dict[str, tuple]:
    """Store `changes` ({name: value}), audited as one entry with old → new per setting,
    and commit. Returns what actually changed ({name: (old, new)}); ValueError names the
    first value that is not acceptable, and nothing is stored then."""
    if problems(changes):
        raise ValueError(next(iter(problems(changes).values())))
    changed = pending(changes)
    if not changed:
        return {}
    for name, (_old, new) in changed.items():
        row = db.session.get(Setting, name) or Setting(key=name)
        row.value = json.dumps(new)
        row.updated_by_id = getattr(user, "id", None)
        db.session.add(row)
    stamp = db.session.get(Setting, STAMP_KEY) or Setting(key=STAMP_KEY)
    stamp.value = json.dumps(uuid.uuid4().hex)
    db.session.add(stamp)
    audit.record("settings.changed", user=user, ip=ip, details={"changes": {
        KEYS[n].label: [old, new] if KEYS[n].audit_value else ["", "changed"]
        for n, (old, new) in changed.items()}})
    db.session.commit()
    forget()
    return changed


def problems(changes: dict[str, Any]) -> dict[str, str]:
    """What is wrong with each proposed value, by name ({} when `update` would accept all):
    a form shows them all at once, beside their fields."""
    return _proposed(changes)[1]


def pending(changes: dict[str, Any]) -> dict[str, tuple]:
    """What `update(changes)` would change ({name: (old, new)}), the values normalised as
    they would be stored (an IBAN typed without spaces is no change)."""
    proposed, errors = _proposed(changes)
    return {n: (get(n), proposed[n]) for n in changes
            if n not in errors and proposed[n] != get(n)}


def _proposed(changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Every setting as it would be after `changes` (normalised), and the refusals."""
    proposed, errors = values(), {}
    for name, value in changes.items():
        try:
            proposed[name] = coerce(KEYS[name], value)
        except ValueError as error:
            errors[name] = str(error)
    for name in changes:  # in the order given: an IBAN is read before its BIC
        if name not in errors:
            try:
                proposed[name] = check(name, proposed[name], proposed)
            except ValueError as error:
                errors[name] = str(error)
    return proposed, errors


def forget() -> None:
    """Drop this process's copy: the next read loads the settings again."""
    current_app.extensions.pop(_CACHE, None)


def recheck() -> None:
    """Make the next read compare the stamp (called as each web request starts)."""
    cache = current_app.extensions.get(_CACHE)
    if cache is not None:
        cache.checked_at = float("-inf")


def _fresh() -> _Cache:
    app = current_app._get_current_object()
    cache: _Cache | None = app.extensions.get(_CACHE)
    wait = app.config.get("SETTINGS_RECHECK_SECONDS", RECHECK_SECONDS)
    if cache is not None and time.monotonic() - cache.checked_at < wait:
        return cache
    # Its own connection: committed values only, and no flush of the caller's session.
    with db.engine.connect() as conn:
        stamp = conn.scalar(select(Setting.value).where(Setting.key == STAMP_KEY))
        if cache is not None and cache.stamp == stamp:
            cache.checked_at = time.monotonic()
            return cache
        rows = conn.execute(select(Setting.key, Setting.value)).all()
    stored = {}
    for name, raw in rows:
        if name in KEYS:  # a key a later version dropped is ignored, not an error
            try:
                stored[name] = coerce(KEYS[name], json.loads(raw))
            except ValueError:
                continue  # unreadable: the default applies
    cache = _Cache(stamp, stored)
    app.extensions[_CACHE] = cache
    return cache
