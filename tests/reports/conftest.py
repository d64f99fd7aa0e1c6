from __future__ import annotations

from datetime import date

import pytest

from app.reports import cache

TODAY = date(2026, 12, 15)


@pytest.fixture(autouse=True)
def _pinned_today(app):
    app.config["TODAY"] = TODAY
    cache.clear()
    yield
    cache.clear()
