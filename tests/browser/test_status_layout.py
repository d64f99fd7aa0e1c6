"""The Sent Status stays on screen (#16 B1): worst-case data — the default subject with a
long office name, long customer names and invoice numbers, three recipients per email, two
currencies — on the Invoice Email report, the invoices list, the invoice page and the Email
History popup, at 1280×800, 1366×768 and 390×844 (where tables become cards)."""
from __future__ import annotations

from pathlib import Path

import pytest

from app import settings
from app.blueprints.invoices.email_form import default_texts
from app.extensions import db
from tests.browser.axe import axe_violations
from tests.browser.conftest import browser_login
from tests.factories import add_events, at, make_customer, make_invoice, make_message

pytestmark = pytest.mark.browser

VIEWPORTS = ((1280, 800), (1366, 768), (390, 844))
SHOTS = Path("/tmp/b1status")
OFFICE = "Steuerberatungsgesellschaft Müller-Lüdenscheidt & Partner mbB"  # 60 characters
CUSTOMERS = (
    dict(kind="company", company="Internationale Vereinigung der Schornsteinfegermeister "
         "Nordrhein-Westfalen e.V."),
    dict(kind="person", first_name="Maximiliane Theodora Friederike",
         last_name="von Hohenzollern-Sigmaringen-Wittelsbach"),
    dict(kind="company", company="Zweckverband" + "Wasserversorgung" * 3 + "Nordwest"),
)
# Each send's three recipients (To, Cc, Bcc) and the events that give them their status.
SENDS = (("opened", "sent", "rejected"), ("delayed", "sent", "sent"),
         ("opened", "opened", "sent"), ("spam", "opened", "delayed"), ("sent", "sent", "sent"),
         ("rejected", "rejected", "opened"))


def _events(status: str, day: str):
    sent = ("sent", at(day, "09:00"))
    return {
        "sent": (sent,),
        "opened": (sent, ("opened", at(day, "09:30"))),
        "rejected": (sent, ("rejected", at(day, "09:01"),
                            {"code": "5.1.1", "diagnostic": "550 5.1.1 User unknown",
                             "reason": "userunknown"})),
        "delayed": (sent, ("delayed", at(day, "09:05"),
                           {"code": "4.2.2", "diagnostic": "452 4.2.2 Mailbox full",
                            "reason": "mailboxfull"})),
        "spam": (sent, ("spam", at(day, "11:00"))),
    }[status]


def seed_worst_case(app, make_user) -> dict:
    settings.update({"office.name": OFFICE})
    user = make_user("billing", name="Bernadette Billing-Buchhalterin")
    customers = [make_customer(**fields, emails=(
        f"accounts.payable.department.{i}@very-long-customer-domain-name.example.org",))
        for i, fields in enumerate(CUSTOMERS)]
    invoices = []
    for i, statuses in enumerate(SENDS):
        customer = customers[i % len(customers)]
        invoice = make_invoice(customer, total="1234567.89",
                               currency=("EUR", "GBP")[i % 2],
                               number=f"RE-2026-{i:03d}-NORDRHEIN-WESTFALEN-{customer.id:06d}")
        subject, _body = default_texts(invoice)
        day = f"2026-11-{i + 2:02d}"
        batch = f"worst-case-send-{i}"
        for role, status in zip(("to", "cc", "bcc"), statuses):
            message = make_message(
                invoice, user=user, subject=subject, created=at(day, "09:00"),
                to=f"{role}.{status}.buchhaltung.rechnungseingang@{customer.id}"
                   ".very-long-customer-domain-name.example.org")
            message.batch, message.recipient_role = batch, role
            db.session.commit()
            add_events(message, *_events(status, day))
        invoices.append(invoice)
    return {"user": user, "invoices": invoices}


@pytest.fixture
def worst(app, make_user):
    return seed_worst_case(app, make_user)


# The page is no wider than the window, and every given element lies within it sideways.
_FITS = """(selector) => {
  const width = window.innerWidth;
  const boxes = [...document.querySelectorAll(selector)]
    .filter(el => el.getClientRects().length)
    .map(el => el.getBoundingClientRect());
  return {scroll: document.documentElement.scrollWidth, width, count: boxes.length,
          outside: boxes.filter(b => b.left < 0 || b.right > width + 0.5)
                        .map(b => [Math.round(b.left), Math.round(b.right)])};
}"""


def _fits(page, selector: str, where: str, least: int) -> None:
    found = page.evaluate(_FITS, selector)
    assert found["scroll"] <= found["width"], (where, found)
    assert found["count"] >= least, (where, found)
    assert not found["outside"], (where, found)


# Nothing sticks out of its table cell sideways (a pill wider than its column).
_WITHIN = """([cells, inner]) => [...document.querySelectorAll(cells)].flatMap(cell => {
  const box = cell.getBoundingClientRect();
  return [...cell.querySelectorAll(inner)].filter(el => el.getClientRects().length)
    .map(el => el.getBoundingClientRect())
    .filter(b => b.left < box.left - 0.5 || b.right > box.right + 0.5)
    .map(b => cell.dataset.label + ": " + Math.round(b.right) + " > " + Math.round(box.right));
})"""


def _within_cells(page, cells: str, inner: str, where: str) -> None:
    assert not (found := page.evaluate(_WITHIN, [cells, inner])), (where, found)


def _axe(page, where: str, include: str | None = None) -> None:
    assert not (found := axe_violations(page, include)), (where, found)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, caret="initial")


def test_sent_status_stays_on_screen_with_worst_case_data(page, worst):
    browser_login(page, worst["user"].email)
    first = worst["invoices"][0]
    rows = 3 * len(SENDS)
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        size = f"{width}x{height}"

        page.goto("/reports/accounting?from=2026-11-01&to=2026-11-30")
        _shot(page, f"report-{size}")
        _fits(page, "[data-testid=email-rows] td[data-label='Sent Status']",
              f"report {size}", rows)
        _fits(page, "[data-testid=email-rows] td[data-label='Sent Status'] .status",
              f"report pills {size}", rows)
        _within_cells(page, "[data-testid=email-rows] td", ".status, .clip", f"report {size}")
        _axe(page, f"report {size}")
        anchor = page.locator("[data-testid=email-rows] td[data-label='Sent Status'] "
                              ".hovercard-anchor").first
        anchor.focus()
        anchor.locator("[data-testid=message-history]").wait_for()
        _fits(page, "[data-testid=email-rows] .hovercard-anchor:focus-within .hovercard",
              f"report popup {size}", 1)

        page.goto("/invoices/")
        _shot(page, f"invoices-{size}")
        _fits(page, "td.email-cell .mail-icon", f"invoices list {size}", len(SENDS))
        _within_cells(page, "table.invoices td", ".mail-icon, .clip, .inv-status",
                      f"invoices list {size}")
        _axe(page, f"invoices list {size}")

        page.goto(f"/invoices/{first.id}")
        _shot(page, f"invoice-{size}")
        _fits(page, "[data-testid=send-summary], [data-testid^=recipient-status-]",
              f"invoice page {size}", 4)
        _axe(page, f"invoice page {size}")

        page.goto("/invoices/")
        page.focus(f'[data-testid="email-icon-{first.id}"]')
        popup = f'[data-testid="email-icon-{first.id}"] .hovercard'
        page.locator(f"{popup} [data-testid=email-history]").wait_for()
        _shot(page, f"popup-{size}")
        _fits(page, f"{popup}, {popup} .status", f"popup {size}", 5)
        _axe(page, f"popup {size}", popup)
    assert not page.console_errors


def test_cut_text_is_whole_on_hover_and_on_keyboard_focus(page, worst):
    """A long subject, customer or invoice number ends in "…" in the table; its title holds
    all of it, and a keyboard user reaching it sees all of it."""
    browser_login(page, worst["user"].email)
    page.set_viewport_size({"width": 1366, "height": 768})
    for path, cell in (("/reports/accounting?from=2026-11-01", "td.subject"),
                       ("/reports/accounting?from=2026-11-01", "td.customer"),
                       ("/reports/accounting?from=2026-11-01", "td.invoice"),
                       ("/invoices/", "td[data-label=Customer]"),
                       ("/invoices/", "td[data-label=Number]")):
        page.goto(path)
        clip = page.locator(f"{cell} .clip").first
        full = clip.evaluate("el => el.textContent")
        assert clip.evaluate("el => el.scrollWidth > el.clientWidth"), (path, cell)  # cut
        assert clip.get_attribute("title").startswith(full)
        page.keyboard.press("Tab")  # into the page, then on to the cut text by keyboard
        for _ in range(200):
            if clip.evaluate("el => el === document.activeElement"):
                break
            page.keyboard.press("Tab")
        else:
            raise AssertionError(f"Tab never reached {cell} on {path}")
        assert clip.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), (path, cell)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
