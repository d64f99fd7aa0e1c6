from __future__ import annotations

import logging
import time

import pytest

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


# -- throttling that never locks the office out (app/web/login_throttle.py)

OTHER_ADDRESS = {"REMOTE_ADDR": "10.20.30.40"}


def _login_from(app, email, password="correct horse 1", environ=None):
    client = app.test_client()
    page = client.get("/login", environ_base=environ or {})
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_from(page.text)},
                       environ_base=environ or {})


@pytest.fixture
def hashes(monkeypatch):
    """Counts the argon2 verifications the login runs (the real ones still run)."""
    from app.models import users

    calls = []

    class Counting:
        def __init__(self, real):
            self.real = real

        def verify(self, *args, **kwargs):
            calls.append(1)
            return self.real.verify(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.real, name)

    monkeypatch.setattr(users, "_hasher", Counting(users._hasher))
    return calls


def test_thirty_people_behind_one_address_all_log_in(app, make_user, db):
    """One office router: successful logins do not count, and a third of the office
    mistyping first locks nobody out."""
    from app.models import User

    first = make_user("staff")
    people = [first] + [User(email=f"person{i}@example.com", role="staff",
                             password_hash=first.password_hash) for i in range(29)]
    db.session.add_all(people[1:])
    db.session.commit()
    mistyped = [_login_from(app, p.email, "not my password").status_code for p in people[::3]]
    logged_in = [_login_from(app, p.email).status_code for p in people]
    assert mistyped == [422] * 10
    assert logged_in == [302] * 30


def test_an_account_under_attack_answers_429_at_once_and_its_owner_still_logs_in(
        app, make_user, db, hashes):
    user = make_user("billing")
    attacker = app.test_client()
    token = csrf_from(attacker.get("/login").text)
    answers = []
    for _ in range(20):
        before, started = len(hashes), time.perf_counter()
        response = attacker.post("/login", data={"email": user.email, "password": "guess",
                                                 "csrf_token": token})
        answers.append((response, time.perf_counter() - started, len(hashes) - before))
    statuses = [r.status_code for r, _, _ in answers]
    assert statuses == [422] * 10 + [429] * 10
    checked = [seconds for r, seconds, _ in answers if r.status_code == 422]
    for response, seconds, hashed in answers[10:]:
        assert hashed == 0  # no password checked: nothing to learn, nothing to spend
        assert seconds < max(1.0, 3 * max(checked))  # at once, never a sleep
        wait = int(response.headers["Retry-After"])
        assert 1 <= wait <= 15 * 60
        assert "Try again in" in response.text
    # The owner, at the office, is not locked out; the attacker's address still is.
    assert _login_from(app, user.email, environ=OTHER_ADDRESS).status_code == 302
    assert attacker.post("/login", data={"email": user.email, "password": "correct horse 1",
                                         "csrf_token": token}).status_code == 429
    throttled = db.session.scalars(db.select(AuditLog).filter_by(
        action="login.throttled")).all()
    assert len(throttled) == 11
    assert {e.actor for e in throttled} == {user.email} and throttled[0].ip == "127.0.0.1"


def test_one_address_trying_many_accounts_is_throttled(app, make_user):
    app.config["LOGIN_LIMIT_PER_IP"] = "5 per 15 minutes"
    people = [make_user("staff") for _ in range(6)]
    statuses = [_login_from(app, p.email, "guess").status_code for p in people]
    assert statuses == [422] * 5 + [429]
    assert _login_from(app, people[5].email, environ=OTHER_ADDRESS).status_code == 302


def test_a_deactivated_account_runs_the_same_password_hash(app, make_user, hashes):
    active = make_user("staff")
    inactive = make_user("staff", active=False)

    def timed(email, password):
        before, started = len(hashes), time.perf_counter()
        response = _login_from(app, email, password)
        assert response.status_code == 422
        return time.perf_counter() - started, len(hashes) - before

    for password in ("correct horse 1", "a wrong one"):
        assert timed(inactive.email, password)[1] == 1
    assert timed(active.email, "a wrong one")[1] == 1
    assert timed("nobody@example.com", "a wrong one")[1] == 1
    deactivated = sorted(timed(inactive.email, "correct horse 1")[0] for _ in range(3))[1]
    wrong = sorted(timed(active.email, "a wrong one")[0] for _ in range(3))[1]
    assert 1 / 3 < deactivated / wrong < 3, (deactivated, wrong)


def test_proxy_count_without_a_proxy_is_warned_once(app_config, caplog):
    from app import create_app

    behind = create_app({**app_config, "PROXY_COUNT": 1})
    with caplog.at_level(logging.WARNING, logger="app.web.security"):
        behind.test_client().get("/login")
        behind.test_client().get("/login")
    warnings = [r for r in caplog.records if "PROXY_COUNT=1" in r.getMessage()]
    assert len(warnings) == 1 and "forge" in warnings[0].getMessage()
    caplog.clear()
    proxied = create_app({**app_config, "PROXY_COUNT": 1})
    with caplog.at_level(logging.WARNING, logger="app.web.security"):
        proxied.test_client().get("/login", headers={"X-Forwarded-For": "203.0.113.9"})
    assert not [r for r in caplog.records if "PROXY_COUNT" in r.getMessage()]


def test_gunicorn_warns_at_start_up_when_it_listens_beyond_the_proxy(monkeypatch):
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    said = []
    log = SimpleNamespace(warning=lambda text, *args: said.append(text % args))
    monkeypatch.setenv("PROXY_COUNT", "1")
    conf["when_ready"](SimpleNamespace(cfg=SimpleNamespace(bind=["127.0.0.1:8000"]), log=log))
    assert said == []
    conf["when_ready"](SimpleNamespace(cfg=SimpleNamespace(bind=["0.0.0.0:8000"]), log=log))
    assert len(said) == 1 and "0.0.0.0:8000" in said[0]
    monkeypatch.setenv("PROXY_COUNT", "0")
    conf["when_ready"](SimpleNamespace(cfg=SimpleNamespace(bind=["0.0.0.0:8000"]), log=log))
    assert len(said) == 1


def test_throttling_counts_in_memory_when_redis_is_unreachable(app_config, make_user, caplog):
    """Never no limit, and never a 500 at the login page."""
    from app import create_app

    user = make_user("staff")
    cut_off = create_app({**app_config, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
                          "LOGIN_LIMIT_PER_ACCOUNT": "2 per 15 minutes"})
    statuses = [_login_from(cut_off, user.email, "guess").status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    assert "counting in memory" in caplog.text
    assert _login_from(cut_off, user.email, environ=OTHER_ADDRESS).status_code == 302
