"""Follow-ups in a real browser: a suggestion on the home page leads to the file, where it
is accepted and completed in place (htmx, no reload); the file and My follow-ups fit a
laptop and a phone with no serious axe finding."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.followups import tasks
from app.jobs.followups import suggest_followups
from app.models import FollowUp
from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.browser
SIZES = ((1366, 768), (390, 844))


def _fits_and_is_accessible(page, name: str) -> None:
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        assert axe_violations(page) == [], (name, width)
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1366, "height": 768})


def test_accept_a_suggested_follow_up_and_complete_it(page, make_user):
    staff = make_user("staff", name="Sam Staff")
    customer = make_customer(kind="company", owner=staff,
                             company="Bartholomew-Fitzwilliam Consolidated Holdings Ltd")
    invoice = make_invoice(customer, due_date=clock.today() - timedelta(days=3))
    tasks.add(customer, tasks.Draft(title="Send the signed contract back to their "
                                          "accounts payable department",
                                    due_on=clock.today() + timedelta(days=4),
                                    assignee_id=staff.id), staff)
    db.session.commit()
    suggest_followups()
    browser_login(page, staff.email)

    item = page.locator(".attention-item", has_text="Suggested follow-up")
    assert "Chase the overdue invoice" in item.inner_text()
    assert f"invoice {invoice.number}" in item.inner_text()
    item.locator("a", has_text="Accept or dismiss").click()
    section = page.locator("#followups")
    suggestion = section.locator("[data-testid=followup]", has_text="Chase the overdue")
    suggestion.get_by_role("button", name="Accept").wait_for()
    _fits_and_is_accessible(page, "followups-file")

    page.evaluate("window.notReloaded = true")
    suggestion.get_by_role("button", name="Accept").click()
    suggestion.get_by_role("button", name="Done").wait_for()
    assert "Open" in suggestion.inner_text() and "Sam Staff" in suggestion.inner_text()
    suggestion.get_by_role("button", name="Done").click()
    section.locator(".followup-done", has_text="Chase the overdue").wait_for()
    assert "by Sam Staff" in section.locator(".followup-done").inner_text()
    assert page.evaluate("window.notReloaded") is True  # swapped in place by htmx
    page.locator("#timeline-items", has_text="Follow-up done: Chase the overdue").wait_for()

    # Adding one by hand, in place too: a missing title is said next to the field.
    section.locator("summary", has_text="Add a follow-up").click()
    form = section.locator("[data-testid=followup-form]")
    form.get_by_role("button", name="Add follow-up").click()
    section.locator(".field-error", has_text="Say what to follow up.").wait_for()
    _fits_and_is_accessible(page, "followups-form")
    section.get_by_label("What to do").fill("Ring back about the reminder letter")
    section.get_by_label("Time (optional)").fill("09:15")
    section.get_by_role("button", name="Add follow-up").click()
    section.locator("[data-testid=followup]", has_text="Ring back").wait_for()
    assert "09:15" in section.locator("[data-testid=followup]", has_text="Ring back").inner_text()
    assert page.evaluate("window.notReloaded") is True

    followup = db.session.scalar(db.select(FollowUp).where(FollowUp.rule == "overdue"))
    db.session.refresh(followup)
    assert (followup.state, followup.completed_by_id) == ("done", staff.id)

    page.goto("/followups/")
    assert page.locator("[data-testid=followup]").count() == 2
    _fits_and_is_accessible(page, "followups-mine")
    page.goto("/followups/?show=done")
    assert "Chase the overdue" in page.locator("#followup-list").inner_text()
    # Chromium logs every 4xx response; the deliberate 422 is the only one allowed.
    assert len(page.console_errors) == 1 and "status of 422" in page.console_errors[0]
