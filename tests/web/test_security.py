from __future__ import annotations

import re

from tests.conftest import login

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
PAGES = ["/", "/customers/", "/invoices/", "/reports/accounting", "/admin/users",
         "/admin/audit", "/account/password"]


def test_pages_have_security_headers_and_no_inline_code(app, client, make_user):
    user = make_user("admin")
    anonymous = app.test_client()
    login(client, user.email)
    for path in PAGES + ["/login"]:
        response = (anonymous if path == "/login" else client).get(path)
        assert response.status_code == 200, path
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert not INLINE_SCRIPT.search(response.text), path
        assert not INLINE_HANDLER.search(response.text), path
        assert "hx-on" not in response.text


def test_pages_with_data_are_not_cached_and_vary_on_htmx(client, make_user):
    user = make_user("admin")
    login(client, user.email)
    response = client.get("/admin/users")
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_is_served_locally_without_eval(client):
    page = client.get("/login").text
    assert "/static/vendor/htmx.min.js" in page
    assert '"allowEval":false' in page and '"includeIndicatorStyles":false' in page
    assert client.get("/static/vendor/htmx.min.js").status_code == 200


def test_too_large_body_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "too large" in response.text


def test_session_cookie_flags(client, make_user):
    user = make_user("staff")
    response = login(client, user.email)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_unknown_page_is_friendly_404(client, make_user):
    user = make_user("staff")
    login(client, user.email)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.text


def test_healthz_reports_parts_without_data(client):
    response = client.get("/healthz")
    body = response.get_json()
    assert set(body) == {"status", "database", "redis", "workers", "worker", "receiver"}
    assert body["database"] is True and body["redis"] is True


def test_the_development_mailbox_is_never_on_in_production():
    from app.config import Config

    assert Config.from_env({"MAIL_SINK_DIR": "/tmp/sink"})["MAIL_SINK_DIR"] == "/tmp/sink"
    assert Config.from_env({"MAIL_SINK_DIR": "/tmp/sink",
                            "CLIENTELE_ENV": "production"})["MAIL_SINK_DIR"] is None


def test_nul_characters_are_dropped_from_query_and_form_values(app, client, make_user):
    """They reach no handler: PostgreSQL can't compare text holding them (it was a 500)."""
    from tests.conftest import csrf_token

    login(client, make_user("admin").email)
    for url in ("/admin/users?q=%00", "/admin/audit?action=%00x", "/customers/?q=a%00b",
                "/invoices/?q=%00"):
        assert client.get(url).status_code == 200, url
    with app.test_request_context("/?q=a%00b&x%00=1", method="POST", data={"n": "c\x00d"}):
        from flask import request

        assert request.args["q"] == "ab" and "x" in request.args
        assert request.form["n"] == "cd"
    token = csrf_token(client)
    assert client.post("/customers/filters", data={"csrf_token": token, "name": "x\x00",
                                                   "query": "q=a"}).status_code < 500


def _framing_refused(response) -> bool:
    return (response.headers.get("X-Frame-Options") == "DENY"
            and "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", ""))


def test_every_answer_refuses_framing_image_and_errors_included(app, client, make_user):
    @app.route("/test-only/boom")
    def boom():  # an unexpected failure inside a view
        raise RuntimeError("boom")

    boom.permission = "public"
    app.config["PROPAGATE_EXCEPTIONS"] = False
    anonymous = app.test_client()
    answers = {
        "image": anonymous.get("/t/o/garbage.gif"),
        "image HEAD": anonymous.head("/t/o/garbage.gif"),
        "404": anonymous.get("/no/such/page"),
        "405": anonymous.delete("/login"),
        "413": anonymous.post("/login", data={"email": "x" * (3 * 1024 * 1024)}),
        "500": anonymous.get("/test-only/boom"),
        "static": anonymous.get("/static/vendor/htmx.min.js"),
        "webhook 404": anonymous.post("/webhooks/mailgun", data=b"{}"),
    }
    assert answers["image"].mimetype == "image/gif" and answers["500"].status_code == 500
    assert {name: _framing_refused(r) for name, r in answers.items()} == \
        {name: True for name in answers}
    # The image keeps its own strict policy, with framing added to it.
    assert answers["image"].headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_hsts_follows_the_public_address_not_the_request(app_config):
    from app import create_app

    published = create_app({**app_config, "PUBLIC_BASE_URL": "https://office.example"})
    for response in (published.test_client().get("/login"),  # plain http behind TLS proxy
                     published.test_client().get("/t/o/garbage.gif"),
                     published.test_client().get("/no/such/page")):
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    local = create_app({**app_config, "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})
    https_request = local.test_client().get("/login", base_url="https://localhost")
    assert "Strict-Transport-Security" not in https_request.headers
