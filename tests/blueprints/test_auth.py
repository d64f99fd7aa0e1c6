from __future__ import annotations

from app.models import AuditLog
from tests.conftest import csrf_from, login


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Log in to Clientele" in response.text


def test_login_success_and_failure_are_audited_without_password(client, make_user, db):
    user = make_user("billing")
    bad = login(client, user.email, "wrong password here")
    assert bad.status_code == 422
    assert "don&#39;t match" in bad.text
    good = login(client, user.email)
    assert good.status_code == 302
    actions = [e.action for e in db.session.scalars(db.select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["login.failure", "login.success"]
    for entry in db.session.scalars(db.select(AuditLog)):
        assert "correct horse" not in str(entry.details) + entry.summary
        assert "wrong password" not in str(entry.details) + entry.summary


def test_login_is_throttled_per_account(client, make_user, app):
    user = make_user("staff")
    statuses = [login(client, user.email, "nope nope nope").status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    # The right password is refused too while the account is throttled.
    assert login(client, user.email).status_code == 429


def test_login_limits_count_each_attempt_once_and_only_login_posts(client, make_user, app):
    # Flask-Limiter's own before_request hook runs for every request; the limits are
    # declared on the login view only and counted by its wrapper, once per attempt.
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per 15 minutes"
    user = make_user("staff")
    statuses = [login(client, user.email, "nope nope nope").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert client.get("/login").status_code == 200  # pages are never throttled
    assert client.get("/t/c/not-a-token").status_code == 404


def test_open_redirect_via_next_is_refused(client, make_user):
    user = make_user("staff")
    page = client.get("/login")
    response = client.post("/login?next=//evil.example/x", data={
        "email": user.email, "password": "correct horse 1",
        "csrf_token": csrf_from(page.text)})
    assert response.headers["Location"] == "/"


def test_logout_invalidates_the_old_cookie(app, client, make_user):
    user = make_user("admin")
    login(client, user.email)
    cookie = client.get_cookie("session").value
    page = client.get("/")
    assert page.status_code == 200
    client.post("/logout", data={"csrf_token": csrf_from(page.text)})
    other = app.test_client()
    other.set_cookie("session", cookie)
    replay = other.get("/")
    assert replay.status_code == 302 and "/login" in replay.headers["Location"]


def test_password_change_logs_out_other_sessions(app, client, make_user):
    user = make_user("staff")
    login(client, user.email)
    second = app.test_client()
    login(second, user.email)
    assert second.get("/").status_code == 200
    page = client.get("/account/password")
    response = client.post("/account/password", data={
        "current": "correct horse 1", "new": "a brand new secret", "confirm": "a brand new secret",
        "csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert client.get("/").status_code == 200  # this browser stays in
    assert second.get("/").status_code == 302  # the other one is out


def test_post_without_csrf_token_is_400(client, make_user):
    user = make_user("staff")
    response = client.post("/login", data={"email": user.email, "password": "correct horse 1"})
    assert response.status_code == 400
    assert "expired" in response.text


def test_htmx_post_without_csrf_header_is_400(client, login_as):
    login_as("admin")
    response = client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 400
