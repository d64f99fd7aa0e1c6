"""The access matrix: every route declares a permission, and every role gets what it may."""
from __future__ import annotations

import re

import pytest
from flask import Flask

from app.models import ROLES
from app.permissions import PUBLIC, ROLE_PERMISSIONS
from app.web.auth import declared_permission

SKIP_ENDPOINTS = {"static"}


def undeclared_routes(app: Flask) -> list[str]:
    """Rules whose view declares no permission (neither @requires nor @public)."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        if declared_permission(app.view_functions[rule.endpoint]) is None:
            missing.append(f"{rule.rule} ({rule.endpoint})")
    return missing


def _fill(rule) -> str:
    # Any id works for the access check: permissions are checked before lookups.
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "1", rule.rule)


def _routes(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        permission = declared_permission(app.view_functions[rule.endpoint])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method, permission


def test_every_route_declares_a_permission(app):
    assert undeclared_routes(app) == []


def test_a_route_without_a_permission_is_caught(app):
    @app.route("/sneaky")
    def sneaky():
        return "no permission declared"

    assert undeclared_routes(app) == ["/sneaky (sneaky)"]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_for_every_route(app, client, login_as, role):
    """Denied routes answer 403 to pages and fragments; allowed ones never do."""
    login_as(role)
    token = None
    checked = 0
    for rule, method, permission in _routes(app):
        if permission == PUBLIC or rule.endpoint == "auth.logout":
            continue
        allowed = permission in ROLE_PERMISSIONS[role]
        url = _fill(rule)
        for headers in ({}, {"HX-Request": "true"}):
            if method != "GET":
                from tests.conftest import csrf_token

                token = token or csrf_token(client)
                headers = {**headers, "X-CSRFToken": token}
            response = client.open(url, method=method, headers=headers)
            checked += 1
            if allowed:
                assert response.status_code != 403, f"{role} denied {method} {url}"
            else:
                assert response.status_code == 403, \
                    f"{role} got {response.status_code} for {method} {url}"
                assert "Log in" not in response.text
    assert checked > 0


def test_anonymous_gets_login_redirect_or_hx_redirect(app, client):
    for rule, method, permission in _routes(app):
        if permission == PUBLIC or method != "GET":
            continue
        url = _fill(rule)
        page = client.get(url)
        assert page.status_code == 302 and "/login" in page.headers["Location"], url
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 401, url
        assert fragment.headers["HX-Redirect"].startswith("/login"), url
        assert fragment.text == ""


def test_denial_is_audited(app, client, login_as, db):
    from app.models import AuditLog

    user = login_as("viewer")
    assert client.get("/admin/users").status_code == 403
    entry = db.session.scalars(db.select(AuditLog).filter_by(action="permission.denied")).one()
    assert entry.user_id == user.id
    assert entry.details["permission"] == "admin.users"


def test_nothing_shown_to_a_logged_in_user_is_cached(app, client, login_as):
    """no-store is the default for every answer to a logged-in user, pages, fragments,
    exports and errors alike; no view has to remember it."""
    login_as("admin")
    checked = 0
    for rule, method, permission in _routes(app):
        if method != "GET" or rule.endpoint in ("static", "auth.logout"):
            continue
        url = _fill(rule)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            directives = response.headers.get("Cache-Control", "").split(", ")
            assert "no-store" in directives, f"{url} ({response.status_code}) may be cached"
            checked += 1
    assert checked > 40
    static = client.get("/static/css/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
