"""The office's settings: `settings.get("office.name")` reads one (cached, its default when
never set); `settings.update({...}, user=admin)` changes some, audited. The keys, their types
and defaults are in app.settings.keys; what makes a value acceptable in app.settings.checks."""
from app.settings.keys import KEYS, Key
from app.settings.store import (
    forget, get, is_shipped_default, is_stored, needs_setup, pending, problems, recheck,
    update, values,
)

__all__ = ["KEYS", "Key", "forget", "get", "is_shipped_default", "is_stored", "needs_setup",
           "pending", "problems", "recheck", "update", "values"]
