"""Merging two customer files in a real Chromium: from Customers → Duplicates, choosing
a field from each file, at a laptop's and a phone's size (side by side, then stacked),
axe-clean and without sideways scrolling; and a check run by the worker, its progress
shown until the list replaces it."""
from __future__ import annotations

import pytest

from app.customers import duplicate_checks
from app.extensions import db
from app.models import Customer
from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_layout import sideways
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.browser
SIZES = {"laptop": (1366, 768), "phone": (390, 844)}


def _check(page, name: str) -> None:
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        assert sideways(page) == [], (name, size)
        assert axe_violations(page) == [], (name, size)
        screenshot(page, f"{name}-{size}")


def _tops(page, name: str) -> list[float]:
    return [box["y"] for box in (label.bounding_box() for label in
                                 page.locator(f"input[name={name}]").all())]


def test_merge_two_files_choosing_fields(page, make_user):
    user = make_user("billing")
    keep = make_customer(first_name="Ada", last_name="Lovelace", company="",
                         emails=("ada@engine.example",), industry="Mathematics")
    other = make_customer(first_name="Ada", last_name="King", company="Analytical Engines",
                          emails=("ada@engine.example", "countess@engine.example"),
                          industry="Computing")
    make_invoice(other, total="120.00")
    browser_login(page, user.email)
    page.goto("/customers/")
    page.click("text=Duplicates")
    page.click("[data-testid=check-again]")  # a small office: checked at once
    page.wait_for_selector("[data-testid=candidate]")
    assert "Same email: ada@engine.example" in page.inner_text("[data-testid=candidate]")
    _check(page, "customer-duplicates")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("text=Compare and merge")
    page.wait_for_selector("[data-testid=merge-form]")
    _check(page, "customer-merge")
    # Side by side on a laptop: the two choices of a field on one line; stacked on a phone.
    page.set_viewport_size({"width": 1366, "height": 768})
    first, second = _tops(page, "company")
    assert abs(first - second) < 4
    page.set_viewport_size({"width": 390, "height": 844})
    first, second = _tops(page, "company")
    assert second > first + 10
    page.set_viewport_size({"width": 1366, "height": 768})
    page.check("[data-testid=take-company]")
    page.check("[data-testid=take-industry]")
    page.click("[data-testid=merge-submit]")
    page.wait_for_url(f"**/customers/{keep.id}")
    text = page.inner_text("main")
    assert "Merged Ada King into Ada Lovelace" in text
    assert "Analytical Engines" in text and "countess@engine.example" in text
    db.session.expire_all()
    survivor = db.session.get(Customer, keep.id)
    assert (survivor.last_name, survivor.company, survivor.industry) == (
        "Lovelace", "Analytical Engines", "Computing")
    # The merged file's address now opens the survivor.
    page.goto(f"/customers/{other.id}")
    assert page.url.endswith(f"/customers/{keep.id}")
    assert page.console_errors == []


def test_a_check_in_the_worker_shows_its_progress_then_the_list(page, make_user, run_worker,
                                                               monkeypatch):
    monkeypatch.setattr(duplicate_checks, "INLINE_CUSTOMERS", 1)  # "large": the worker
    user = make_user("admin")
    make_customer(first_name="Grace", last_name="Hopper", emails=("grace@navy.example",))
    make_customer(first_name="Amazing", last_name="Grace", emails=("Grace@Navy.example",))
    browser_login(page, user.email)
    page.goto("/customers/duplicates")
    assert "Not checked yet" in page.inner_text("[data-testid=checked-at]")
    page.click("[data-testid=check-again]")
    page.wait_for_selector("[data-testid=duplicate-check] progress")
    assert "Waiting for the background worker" in page.inner_text("main")
    assert page.locator("[data-testid=check-again]").is_disabled()
    _check(page, "customer-duplicates-progress")
    run_worker()
    # The page polls the check and shows the list once it is done, untouched.
    page.wait_for_selector("[data-testid=candidate]")
    assert "Same email: grace@navy.example" in page.inner_text("[data-testid=candidate]")
    assert "Last checked" in page.inner_text("[data-testid=checked-at]")
    assert page.locator("[data-testid=duplicate-check] progress").count() == 0
    assert page.console_errors == []
