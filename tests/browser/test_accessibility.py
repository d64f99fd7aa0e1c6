"""axe-core on every main page, for each role, and in the states a page only shows after a
click or a focus: zero critical and zero serious violations (WCAG 2.2 AA, issue #19)."""
from __future__ import annotations

import pytest

from app.permissions import role_can
from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login
from tests.browser.site import EMAILS, PASSWORDS, PUBLIC_PAGES, ROLES, pages_for, seed_site

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app):
    return seed_site()


def _login(page, role: str) -> None:
    browser_login(page, EMAILS[role], PASSWORDS[role])


def _report(failures: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in failures.items())


@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_has_no_serious_violation(page, site, role):
    _login(page, role)
    failures = {}
    for p in pages_for(role):
        response = page.goto(p.url(site))
        assert response.status == 200, (p.name, response.status)
        if found := axe_violations(page):
            failures[p.name] = found
    assert not failures, _report(failures)


def test_public_and_error_pages_have_no_serious_violation(page, site):
    failures = {}
    for p in PUBLIC_PAGES:
        assert page.goto(p.url(site)).status == 200, p.name
        if found := axe_violations(page):
            failures[p.name] = found
    _login(page, "viewer")
    for name, path, status in (("403", "/admin/users", 403), ("404", "/customers/999999", 404),
                               ("404 invoice", "/invoices/999999", 404)):
        assert page.goto(path).status == status, name
        if found := axe_violations(page):
            failures[name] = found
    assert not failures, _report(failures)


@pytest.mark.parametrize("role", ROLES)
def test_popups_dialog_and_timeline_have_no_serious_violation(page, site, role):
    """The email history popups open, the email dialog open, the customer timeline loaded."""
    _login(page, role)
    failures = {}

    page.goto(f"/invoices/?customer={site['customer']}")
    page.focus(f'[data-testid="email-icon-{site["invoice"]}"]')
    page.locator(".hovercard [data-testid=email-history]").wait_for()
    failures["invoices, email history popup"] = axe_violations(page)

    if role_can(role, "reports.accounting"):
        page.goto(f"/reports/accounting?customer={site['customer']}")
        page.locator(f'.hovercard-anchor:has([data-testid="status-{site["message"]}"])').focus()
        page.locator(".hovercard [data-testid=message-history]").wait_for()
        failures["report, email history popup"] = axe_violations(page)

    if role_can(role, "invoices.send"):
        page.goto(f"/invoices/{site['invoice']}")
        page.click('[data-testid="email-invoice"]')
        page.locator('[data-testid="send-dialog"]').wait_for()
        failures["invoice, email dialog"] = axe_violations(page)

    page.goto(f"/customers/{site['customer']}")
    page.locator("#timeline-items").scroll_into_view_if_needed()  # it loads when revealed
    page.locator("#timeline-items .timeline-item").first.wait_for()
    failures["customer file, timeline loaded"] = axe_violations(page)

    failures = {where: found for where, found in failures.items() if found}
    assert not failures, _report(failures)
