"""A small in-process cache for figures that must scan a customer's whole history.

Segments, lifetime value and first purchases read every billed invoice; their cost grows
with the years of history, while the figures change only when an invoice, a payment or
a customer changes. Results are kept per process under a key that includes a cheap
"data version" (the newest id and update time of invoices, payments and customers, each
read from an index), so any change through the app makes a fresh key. A time limit
bounds staleness from changes that bypass `updated_at` (bulk SQL).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, Invoice, Payment

T = TypeVar("T")
TTL_SECONDS = 300
MAX_ENTRIES = 256

_lock = threading.Lock()
_entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()


def data_version() -> tuple:
    """Changes whenever an invoice, payment or customer is added or updated.

    A report page asks for several cached figures: its view reads this once and passes it
    to each `cached` call.
    """
    row = db.session.execute(select(
        select(func.max(Invoice.id)).scalar_subquery(),
        select(func.max(Invoice.updated_at)).scalar_subquery(),
        select(func.max(Payment.id)).scalar_subquery(),
        select(func.max(Customer.updated_at)).scalar_subquery(),
    )).one()
    return (db.engine.url.render_as_string(), *row)


def cached(key: Hashable, version: tuple, compute: Callable[[], T]) -> T:
    """`compute()`'s result for `key` at data `version`, computed at most once per TTL."""
    full_key = (key, version)
    now = time.monotonic()
    with _lock:
        hit = _entries.get(full_key)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            _entries.move_to_end(full_key)
            return hit[1]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _entries[full_key] = (now, value)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
