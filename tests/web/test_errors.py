"""Error pages (and their htmx notices) in the office's words: what happened, what to do,
and nothing the person may not know."""
from __future__ import annotations

import re

import pytest

from tests.factories import make_customer

HX = {"HX-Request": "true"}
NOT_FOUND = "Not found, or not one of your customers — ask an admin if you need it."


def _without_tokens(text: str) -> str:
    return re.sub(r'"X-CSRFToken": ?"[^"]*"|name="csrf_token"[^>]*', "", text)


def test_a_customer_one_may_not_see_looks_like_one_that_does_not_exist(client, login_as,
                                                                       make_user):
    login_as("staff")
    theirs = make_customer(owner=make_user("staff"))
    hidden = client.get(f"/customers/{theirs.id}")
    missing = client.get(f"/customers/{theirs.id + 1000}")
    assert hidden.status_code == missing.status_code == 404
    assert NOT_FOUND in hidden.text
    assert _without_tokens(hidden.text) == _without_tokens(missing.text)
    assert theirs.display_name not in hidden.text
    assert "requested URL was not found" not in hidden.text  # no developer's wording


def test_the_htmx_version_is_a_notice_for_the_notice_area(client, login_as, make_user):
    login_as("staff")
    theirs = make_customer(owner=make_user("staff"))
    response = client.get(f"/customers/{theirs.id}", headers=HX)
    assert response.status_code == 404
    assert "<html" not in response.text and 'role="alert"' in response.text
    assert NOT_FOUND in response.text
    assert response.headers["HX-Retarget"] == "#notices"


@pytest.mark.parametrize("headers", [{}, HX])
def test_403_says_whom_to_ask_and_which_role_one_has(client, login_as, headers):
    login_as("viewer")
    response = client.get("/admin/users", headers=headers)
    assert response.status_code == 403
    assert "Ask an admin if you need it." in response.text
    if headers:
        assert "<html" not in response.text and response.headers["HX-Retarget"] == "#notices"
    else:
        assert "You are logged in as viewer." in response.text


@pytest.mark.parametrize("headers", [{}, HX])
def test_500_says_nothing_was_lost_and_gives_a_time_to_quote(app, client, login_as, headers):
    @app.route("/test-only/boom")
    def boom():
        raise RuntimeError("secret internals")

    boom.permission = "public"
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as("staff")
    response = client.get("/test-only/boom", headers=headers)
    assert response.status_code == 500
    assert "nothing you saved before was lost" in response.text
    assert re.search(r"\d\d:\d\d:\d\d UTC", response.text)
    assert "secret internals" not in response.text and "RuntimeError" not in response.text
    assert ("<html" in response.text) is not bool(headers)


def test_a_views_own_words_are_kept(client, login_as, db):
    """abort(409, "…") written for the office shows; Werkzeug's defaults never do."""
    from app.models.base import utcnow

    login_as("admin")
    response = client.get("/no/such/page")
    assert "If you typed the address, check it for typos." in response.text
    assert "If you entered the URL manually" not in response.text
    erased = make_customer(erased_at=utcnow())
    closed = client.get(f"/customers/{erased.id}/identity/edit")
    assert closed.status_code == 409
    assert "personal data was erased" in closed.text
