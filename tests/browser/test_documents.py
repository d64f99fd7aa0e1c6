"""Documents on a customer file, in a real Chromium: upload with htmx, listed, downloaded."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login, screenshot
from tests.browser.test_layout import sideways
from tests.documents import samples
from tests.factories import make_customer

pytestmark = pytest.mark.browser


def test_upload_lists_the_document_and_it_downloads(page, make_user, tmp_path):
    user = make_user("staff")
    customer = make_customer(kind="company", company="Paper Trail Ltd", owner=user)
    browser_login(page, user.email)
    page.goto(f"/customers/{customer.id}")
    section = page.locator("#sec-documents")
    expect(section).to_contain_text("No documents yet.")
    data = samples.pdf(1_500_000)
    scan = tmp_path / "Signed contract.txt"  # a PDF, whatever the name says
    scan.write_bytes(data)
    section.locator("input[type=file]").set_input_files(str(scan))
    section.get_by_role("button", name="Upload").click()
    listed = page.locator("[data-testid=documents] li")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Signed contract.txt")
    expect(listed.first).to_contain_text("PDF · 1.5 MB")
    expect(page.locator("#notices")).to_contain_text("Signed contract.txt was added.")
    expect(page.locator("[data-testid=upload-progress]")).to_be_hidden()
    link = listed.first.get_by_role("link", name="Signed contract.txt", exact=True)
    assert link.get_attribute("href").endswith("/download")
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename == "Signed contract.txt"
    assert open(info.value.path(), "rb").read() == data
    assert axe_violations(page, "#sec-documents") == []
    for width, height, name in ((1366, 768, "customer-file-documents"),
                                (390, 844, "customer-file-documents-phone")):
        page.set_viewport_size({"width": width, "height": height})
        assert sideways(page) == []
        section.scroll_into_view_if_needed()
        screenshot(page, name, full_page=False)
    assert page.console_errors == []


def test_a_refused_file_says_why_in_place(page, make_user, tmp_path):
    user = make_user("billing")
    customer = make_customer()
    browser_login(page, user.email)
    page.goto(f"/customers/{customer.id}")
    program = tmp_path / "invoice.pdf"
    program.write_bytes(samples.exe())
    section = page.locator("#sec-documents")
    section.locator("input[type=file]").set_input_files(str(program))
    section.get_by_role("button", name="Upload").click()
    expect(page.locator("#document-error")).to_contain_text("EXE file")
    expect(page.locator("[data-testid=documents]")).to_have_count(0)
    assert axe_violations(page, "#sec-documents") == []
