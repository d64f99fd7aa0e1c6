"""Each role's pages promise only what the role can do (issue #19 E2): on every main page a
role opens, every link, button and form in the menus and the page's actions leads to a
route that role may use (read from the permission table), and each link it may follow
answers something other than 403."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app.permissions import PUBLIC, role_can
from app.web.auth import declared_permission
from tests.browser.site import EMAILS, PASSWORDS, ROLES, pages_for, seed_site
from tests.conftest import login

HX_METHODS = {"hx-get": "GET", "hx-post": "POST", "hx-put": "PUT", "hx-patch": "PATCH",
              "hx-delete": "DELETE"}


class _Targets(HTMLParser):
    """(method, url, what) of every link, form and htmx request on a page."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.found: list[tuple[str, str, str]] = []
        self._form_method = "GET"
        self._form_action = page_url

    def _add(self, method: str, url: str | None, what: str) -> None:
        if url is None:
            return
        url = urljoin(self.page_url, url)
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
            return  # mailto:, another site
        self.found.append((method.upper(), parts.path, what))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") and not attrs["href"].startswith("#"):
            self._add("GET", attrs["href"], f"link {attrs['href']}")
        if tag == "form":
            self._form_method = (attrs.get("method") or "GET").upper()
            self._form_action = attrs.get("action") or self.page_url
            self._add(self._form_method, self._form_action, f"form {self._form_action}")
        if tag == "button" and attrs.get("formaction"):
            self._add(self._form_method, attrs["formaction"], f"button {attrs['formaction']}")
        for attribute, method in HX_METHODS.items():
            if attrs.get(attribute):
                self._add(method, attrs[attribute], f"{tag} {attribute}={attrs[attribute]}")


def promises(app, role: str, html: str, page_url: str) -> list[str]:
    """What the page offers `role` that the role may not do (or that leads nowhere)."""
    parser = _Targets(page_url)
    parser.feed(html)
    adapter = app.url_map.bind("localhost")
    broken = []
    for method, path, what in parser.found:
        if path.startswith("/static/"):
            continue
        try:
            endpoint, _ = adapter.match(path, method=method)
        except (NotFound, MethodNotAllowed):
            broken.append(f"{what}: no {method} route")
            continue
        permission = declared_permission(app.view_functions[endpoint])
        if permission != PUBLIC and not role_can(role, permission):
            broken.append(f"{what}: needs {permission}")
    return broken


@pytest.fixture
def site(app):
    return seed_site()


@pytest.mark.parametrize("role", ROLES)
def test_every_action_shown_to_a_role_is_one_it_may_take(app, site, role):
    client = app.test_client()
    assert login(client, EMAILS[role], PASSWORDS[role]).status_code == 302
    failures: dict[str, list[str]] = {}
    followed: set[str] = set()
    pages = pages_for(role)
    assert len(pages) >= 6
    for page in pages:
        url = page.url(site)
        response = client.get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        if broken := promises(app, role, response.text, url):
            failures[page.name] = broken
        # Follow the links the page offers (once each): none may answer 403.
        parser = _Targets(url)
        parser.feed(response.text)
        for method, path, what in parser.found:
            if method != "GET" or path in followed or path.startswith("/static/"):
                continue
            followed.add(path)
            if client.get(path).status_code == 403:
                failures.setdefault(page.name, []).append(f"{what}: 403")
    assert not failures, "\n".join(f"{name}: {', '.join(found)}"
                                   for name, found in failures.items())
    assert len(followed) > 10


def test_the_check_finds_a_promise_the_role_cannot_keep(app):
    html = """<nav><a href="/admin/users">Users</a></nav>
              <form method="post" action="/invoices/new"><button>New invoice</button></form>
              <a href="/customers/">Customers</a><a href="/nowhere/at/all">?</a>"""
    assert promises(app, "viewer", html, "/") == [
        "link /admin/users: needs admin.users",
        "form /invoices/new: needs invoices.edit",
        "link /nowhere/at/all: no GET route"]
    assert promises(app, "admin", html, "/") == ["link /nowhere/at/all: no GET route"]
