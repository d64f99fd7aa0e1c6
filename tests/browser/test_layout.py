"""Nothing scrolls sideways, on a phone or a laptop: the page itself, and no box inside it
(issue #19). Wide tables become stacked cards; long unbroken values wrap."""
from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.browser.site import EMAILS, PASSWORDS, PUBLIC_PAGES, ROLES, pages_for, seed_site

pytestmark = pytest.mark.browser

VIEWPORTS = ((390, 844), (1280, 800), (1366, 768))

# Every element that scrolls or is cut off sideways, as "tag.class#id (scroll/client)".
# Clipping on purpose is left out: the 1 px visually-hidden labels and ellipsis cells.
# A field holding a value of up to 24 characters must be wide enough to show it.
_SIDEWAYS = """() => {
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth) {
    const past = [...document.body.querySelectorAll("*")].filter(el =>
      el.getBoundingClientRect().right > window.innerWidth + 1 &&
      ![...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1));
    found.push(`the page (${page.scrollWidth} > ${window.innerWidth}: ` +
               past.slice(0, 3).map(el => el.tagName.toLowerCase() + "." +
                                    [...el.classList].join(".")).join(", ") + ")");
  }
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || el.clientWidth <= 1) continue;
    if (!["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) continue;
    if (style.textOverflow === "ellipsis") continue;
    // A text field may scroll a long sentence inside itself; a short value (an amount, a
    // date, a number) must show whole.
    if (el.tagName === "INPUT" && el.value.length > 24) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")}` +
                 `${el.id ? "#" + el.id : ""} (${el.scrollWidth} > ${el.clientWidth})`);
    }
  }
  return found;
}"""


def sideways(page) -> list[str]:
    return page.evaluate(_SIDEWAYS)


@pytest.fixture
def site(app):
    return seed_site()


def _check(page, name: str, failures: dict) -> None:
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        if found := sideways(page):
            failures[f"{name} at {width}x{height}"] = found


def _report(failures: dict) -> str:
    return "\n".join(f"{where}: " + "; ".join(found[:5]) for where, found in failures.items())


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways(page, site, role):
    browser_login(page, EMAILS[role], PASSWORDS[role])
    failures: dict[str, list[str]] = {}
    for p in pages_for(role):
        assert page.goto(p.url(site)).status == 200, p.name
        _check(page, p.name, failures)
    assert not failures, _report(failures)


def test_public_pages_and_open_popups_do_not_scroll_sideways(page, site):
    failures: dict[str, list[str]] = {}
    for p in PUBLIC_PAGES:
        assert page.goto(p.url(site)).status == 200, p.name
        _check(page, p.name, failures)
    browser_login(page, EMAILS["billing"], PASSWORDS["billing"])
    page.goto(f"/invoices/{site['invoice']}")
    page.click('[data-testid="email-invoice"]')
    page.locator('[data-testid="send-dialog"]').wait_for()
    _check(page, "email dialog", failures)
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/invoices/?customer={site['customer']}")
        page.focus(f'[data-testid="email-icon-{site["invoice"]}"]')
        page.locator(".hovercard [data-testid=email-history]").wait_for()
        if found := sideways(page):
            failures[f"email history popup at {width}x{height}"] = found
    assert not failures, _report(failures)


def test_the_finish_a_bookkeeper_notices(page, site):
    """The review's polish list: no white band under the footer, one card for the login
    form, the breadcrumb in one line, Finalize level with its neighbours, the search
    placeholder whole, the whole message in the email dialog."""
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/login")
    assert page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") \
        == page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    footer = page.locator("footer").bounding_box()
    assert footer["y"] + footer["height"] >= 768 - 40  # the footer sits at the bottom
    assert page.locator("main article, main .card").count() == 0  # no card in the card

    browser_login(page, EMAILS["billing"], PASSWORDS["billing"])
    page.goto(f"/invoices/{site['draft']}")
    crumbs = page.locator("nav.crumbs li")
    assert len({round(crumbs.nth(i).bounding_box()["y"]) for i in range(crumbs.count())}) == 1
    assert crumbs.nth(0).bounding_box()["x"] + 300 > crumbs.nth(1).bounding_box()["x"]
    tops = page.evaluate("""() => [...document.querySelectorAll(
        '.invoice-title .actions a, .invoice-title .actions button')]
        .map(b => Math.round(b.getBoundingClientRect().top))""")
    assert len(tops) == 3 and len(set(tops)) == 1, tops

    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        for path, field in (("/customers/", "#customer-q"), ("/invoices/", "input[name=q]")):
            page.goto(path)
            whole = page.locator(field).evaluate("""el => {
                const c = document.createElement('canvas').getContext('2d');
                const s = getComputedStyle(el);
                c.font = s.font;
                return c.measureText(el.placeholder).width + parseFloat(s.paddingLeft)
                       + parseFloat(s.paddingRight) <= el.clientWidth; }""")
            assert whole, (path, width)

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/invoices/{site['invoice']}")
    page.click('[data-testid="email-invoice"]')
    box = page.locator("textarea[name=body]")
    box.wait_for()
    assert box.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
