"""In a real browser: an Outlook export is matched on a laptop and a phone, imported in
the background with a progress bar that moves by itself, the page usable meanwhile, and
Back after the import shows the import's page."""
from __future__ import annotations

import pytest

from app.models import CustomerImport
from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_layout import sideways

pytestmark = pytest.mark.browser

OUTLOOK = ("First Name,Middle Name,Last Name,Company,Job Title,E-mail Address,"
           "E-mail 2 Address,Business Phone,Mobile Phone,Business Street,Business City,"
           "Business Postal Code,Business Country/Region,Categories,Notes\n")


def _outlook_file(rows: int) -> bytes:
    lines = [OUTLOOK]
    for n in range(rows):
        email = "not-an-address" if n % 100 == 99 else f"contact{n}@example.co.uk"
        lines.append(f"Ann{n},,Example{n},Acme Widgets International Holdings {n % 7},"
                     f"Head of Procurement,{email},,+44 20 {79460000 + n},,"
                     f"{n} Long Street Name With Many Words,London,SW1A 1AA,United Kingdom,"
                     "Customers;Newsletter,Met at the trade fair\n")
    return "".join(lines).encode()


def test_an_import_runs_in_the_background_with_a_progress_bar(page, make_user, run_worker,
                                                              db, tmp_path):
    user = make_user("admin")
    browser_login(page, user.email)
    path = tmp_path / "outlook contacts.csv"
    path.write_bytes(_outlook_file(600))
    page.goto("/customers/import")
    page.set_input_files("#file", str(path))
    page.click("text=Upload and continue")
    page.wait_for_url("**/customers/import/*")

    # The mapping table: recognised without help, and it fits a laptop and a phone.
    assert page.locator("#col-5").input_value() == "email"  # E-mail Address
    assert page.locator("#col-8").input_value() == "phone"  # Mobile Phone
    assert page.locator("#col-12").input_value() == "country"
    for width, height, name in ((1366, 768, "laptop"), (390, 844, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        assert sideways(page) == [], name
        screenshot(page, f"import-mapping-{name}")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1366, "height": 768})
    page.click("text=Check every row")
    page.locator('[data-testid="confirm-import"]').wait_for()
    assert page.locator('[data-testid="count-errors"]').inner_text() == "6"
    assert axe_violations(page) == []
    page.click('[data-testid="confirm-import"]')

    # Queued: the bar is there and waits for the worker.
    progress = page.locator('[data-testid="import-progress"]')
    progress.wait_for()
    assert progress.get_attribute("data-state") == "queued"
    assert page.locator("progress#import-bar").get_attribute("value") == "0"
    screenshot(page, "import-progress-waiting")
    assert axe_violations(page) == []
    status_url = page.url

    # The rest of the app is usable meanwhile; the import is listed to come back to.
    page.click("text=← Import another file")
    page.locator('[data-testid="recent-imports"]').wait_for()
    page.click('[data-testid="recent-imports"] a')
    page.wait_for_url(status_url)

    run_worker(timeout=120)  # the real worker imports the file
    page.wait_for_selector('[data-testid="import-progress"][data-state="done"]',
                           timeout=20_000)  # no reload: the bar polled its way there
    assert page.url == status_url
    assert page.locator("progress#import-bar").get_attribute("value") == "600"
    assert page.locator('[data-testid="done-created"]').inner_text() == "594"
    assert page.locator('[data-testid="done-problems"]').inner_text() == "6"
    screenshot(page, "import-progress-done")
    with page.expect_download() as download:
        page.click('[data-testid="download-skipped"]')
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert len(text.splitlines()) == 7 and text.startswith("Line,Problem,First Name,")
    assert text.count("not-an-address is not a valid email address") == 6

    # Back to the review page of an import already done: its page, not a 404.
    page.go_back()
    page.go_back()
    assert page.locator('[data-testid="import-progress"]').get_attribute(
        "data-state") == "done"
    assert db.session.scalars(db.select(CustomerImport.state)).all() == ["done"]
    assert page.console_errors == []
