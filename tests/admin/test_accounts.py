"""Password reset and invitations (app.admin.accounts): system mail through the real worker
and SMTP server, links that work once and expire, the same answer for any address, and
requests throttled like logins."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.admin import accounts, password_links
from app.blueprints.admin.forms import InviteForm
from app.config import Config
from app.models import AuditLog, EmailLink, EmailMessage, User, UserToken, utcnow
from app.permissions import LEAST_ROLE, ROLE_PERMISSIONS
from tests.conftest import csrf_from, login

LINK = re.compile(r"http://localhost/password/set/[A-Za-z0-9_-]+")


def _forgot(client, email, environ=None):
    page = client.get("/password/forgot", environ_base=environ or {})
    return client.post("/password/forgot", environ_base=environ or {},
                       data={"email": email, "csrf_token": csrf_from(page.text)})


def _set(client, link, password, confirm=None):
    path = link.removeprefix("http://localhost")
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={"new": password, "confirm": confirm or password,
                                   "csrf_token": csrf_from(page.text)})


def _received_link(smtp, address):
    """The link in the text part of the one email that reached `address`."""
    (mail,) = [m for m in smtp.received if m.rcpt_tos == [address]]
    parts = {p.get_content_type(): p.get_payload(decode=True).decode()
             for p in mail.message.walk() if not p.is_multipart()}
    (link,) = set(LINK.findall(parts["text/plain"]))
    return link, parts


def _link_of(message: EmailMessage) -> str:
    """The link the worker would write into a queued message."""
    (link,) = LINK.findall(password_links.fill_links(message.body_text))
    return link


def _actions(db):
    return [e.action for e in db.session.scalars(db.select(AuditLog).order_by(AuditLog.id))]


# -- password reset

def test_reset_link_arrives_as_untracked_system_mail_and_works_once(app, client, db, make_user,
                                                                    smtp, run_worker):
    user = make_user("staff", email="rosa@example.com")
    other_browser = app.test_client()
    login(other_browser, user.email)
    assert other_browser.get("/").status_code == 200

    login_page = client.get("/login").text
    assert 'href="/password/forgot"' in login_page and "Forgot your password?" in login_page
    answer = _forgot(client, "Rosa@Example.com")
    assert answer.status_code == 200
    assert "If rosa@example.com belongs to an account here" in answer.text
    run_worker()

    link, parts = _received_link(smtp, "rosa@example.com")
    assert link in parts["text/html"]  # as written: no /t/c/ redirect, no image
    assert "/t/o/" not in parts["text/html"] and "/t/c/" not in parts["text/html"]
    assert "<img" not in parts["text/html"]
    message = db.session.scalars(db.select(EmailMessage)).one()
    assert (message.kind, message.state, message.invoice_id, message.customer_id) == \
        ("system", "sent", None, None)
    assert db.session.scalar(db.select(db.func.count(EmailLink.id))) == 0
    # Stored hashed: neither the outbox nor the token row holds the token.
    token = link.rsplit("/", 1)[1]
    row = db.session.scalars(db.select(UserToken)).one()
    assert token not in message.body_text and "[[password-link:" in message.body_text
    assert token not in (row.token_hash, row.salt) and len(row.token_hash) == 64

    # A link scanner's GET (twice) does not spend it; the POST does.
    path = link.removeprefix("http://localhost")
    scanned = app.test_client().get(path)
    assert scanned.status_code == 200
    assert scanned.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in scanned.headers["Cache-Control"]
    assert _set(client, link, "short").status_code == 422  # the password rules hold
    response = _set(client, link, "a new and long secret")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # logged in with the new password
    assert other_browser.get("/").status_code == 302  # every other session ended
    assert app.test_client().get(path).status_code == 404  # used once
    assert "no longer works" in app.test_client().get(path).text

    assert login(app.test_client(), user.email).status_code == 422
    assert login(app.test_client(), user.email, "a new and long secret").status_code == 302
    actions = _actions(db)
    assert actions.count("password.reset_requested") == 1 and "password.reset" in actions


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, client, db, make_user):
    make_user("staff", email="known@example.com")
    known = _forgot(client, "known@example.com")
    unknown = _forgot(app.test_client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("known@", "nobody@") == unknown.text.replace(
        csrf_from(unknown.text), csrf_from(known.text))
    assert [m.to_address for m in db.session.scalars(db.select(EmailMessage))] == \
        ["known@example.com"]


def test_a_deactivated_or_invited_account_gets_no_reset_mail(app, client, db, make_user):
    make_user("staff", email="gone@example.com", active=False)
    accounts.add_user("new@example.com")
    db.session.commit()
    for email in ("gone@example.com", "new@example.com"):
        assert _forgot(client, email).status_code == 200
    assert db.session.scalar(db.select(db.func.count(EmailMessage.id))) == 0


def test_reset_requests_are_throttled_for_known_and_unknown_addresses_alike(app, db, make_user):
    make_user("staff", email="known@example.com")
    app.config["RESET_LIMIT_PER_ACCOUNT"] = "3 per hour"
    for email in ("known@example.com", "nobody@example.com"):
        statuses = [_forgot(app.test_client(), email).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429], email
    throttled = _forgot(app.test_client(), "known@example.com")
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert "Try again in" in throttled.text
    assert db.session.scalar(db.select(db.func.count(EmailMessage.id))) == 3
    # One network address asking about many addresses is limited too.
    app.config["RESET_LIMIT_PER_IP"] = "5 per hour"
    here = {"REMOTE_ADDR": "10.1.2.3"}
    statuses = [_forgot(app.test_client(), f"p{i}@example.com", here).status_code
                for i in range(6)]
    assert statuses == [200] * 5 + [429]


def test_a_reset_link_expires(app, client, db, make_user):
    user = make_user("staff")
    minutes = app.config["PASSWORD_RESET_MINUTES"]
    (message_id,) = accounts.request_reset(user.email,
                                           now=utcnow() - timedelta(minutes=minutes + 1))
    db.session.commit()
    link = _link_of(db.session.get(EmailMessage, message_id))
    path = link.removeprefix("http://localhost")
    assert client.get(path).status_code == 404
    page = client.get("/login")
    assert client.post(path, data={"new": "a new and long secret",
                                   "confirm": "a new and long secret",
                                   "csrf_token": csrf_from(page.text)}).status_code == 404
    assert login(app.test_client(), user.email).status_code == 302  # the old one still works


def test_a_newer_reset_link_replaces_the_earlier_one(app, client, db, make_user):
    user = make_user("staff")
    first = accounts.request_reset(user.email)
    second = accounts.request_reset(user.email)
    db.session.commit()
    old, new = (_link_of(db.session.get(EmailMessage, ids[0])) for ids in (first, second))
    assert client.get(old.removeprefix("http://localhost")).status_code == 404
    assert _set(client, new, "a new and long secret").status_code == 303


def test_a_made_up_token_opens_nothing(client, make_user):
    make_user("staff")
    for token in ("x", "A" * 43, "A" * 500):
        assert client.get(f"/password/set/{token}").status_code == 404


# -- invitations

def test_an_admin_invites_a_colleague_who_chooses_a_password(app, client, db, login_as, smtp,
                                                              run_worker):
    admin = login_as("admin", name="Ada Admin")
    form = client.get("/admin/users/new")
    assert '<option selected value="viewer">' in form.text  # the least powerful role
    assert 'name="password"' not in form.text  # nobody types a password for someone else
    response = client.post("/admin/users/new", data={
        "email": "Nina@Example.com", "name": "Nina New", "role": "staff",
        "csrf_token": csrf_from(form.text)})
    assert response.status_code == 303
    users_page = client.get("/admin/users").text
    assert "Invited, no password chosen yet" in users_page and "nina@example.com" in users_page
    run_worker()
    link, parts = _received_link(smtp, "nina@example.com")
    assert "Ada Admin" in parts["text/plain"] and "<img" not in parts["text/html"]
    assert "/t/c/" not in parts["text/html"]
    message = db.session.scalars(db.select(EmailMessage)).one()
    assert (message.kind, message.state) == ("system", "sent")

    invitee = app.test_client()
    assert login(invitee, "nina@example.com", "anything at all").status_code == 422
    page = invitee.get(link.removeprefix("http://localhost"))
    assert "choose your password" in page.text and "nina@example.com" in page.text
    assert _set(invitee, link, "nina's own secret").status_code == 303
    nina = db.session.scalars(db.select(User).filter_by(email="nina@example.com")).one()
    assert (nina.role, nina.name, nina.has_password) == ("staff", "Nina New", True)
    assert invitee.get("/").status_code == 200
    assert invitee.get(link.removeprefix("http://localhost")).status_code == 404
    assert "Invited, no password chosen yet" not in client.get("/admin/users").text
    entries = {e.action: e for e in db.session.scalars(db.select(AuditLog))}
    assert entries["user.invited"].user_id == admin.id
    assert entries["user.invited"].details == {"email": "nina@example.com", "role": "staff"}
    assert entries["invitation.accepted"].user_id == nina.id
    audit_page = client.get("/admin/audit").text
    assert "Invited nina@example.com" in audit_page
    assert "Accepted the invitation" in audit_page


def test_an_expired_invitation_is_shown_and_can_be_sent_again(app, client, db, login_as):
    admin = login_as("admin")
    user = accounts.add_user("late@example.com", "Late Larry", "billing")
    (old_id,) = accounts.invite(user, admin, now=utcnow() - timedelta(
        days=app.config["INVITATION_DAYS"], minutes=1))
    db.session.commit()
    old = _link_of(db.session.get(EmailMessage, old_id))
    assert client.get(old.removeprefix("http://localhost")).status_code == 404
    page = client.get("/admin/users").text
    assert "Expired" in page and "late@example.com" in page

    response = client.post(f"/admin/users/{user.id}/invitation/resend",
                           data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    new_message = db.session.scalars(db.select(EmailMessage).where(
        EmailMessage.id != old_id)).one()
    new = _link_of(new_message)
    assert new != old
    assert _set(app.test_client(), new, "larry's long secret").status_code == 303
    assert "user.invitation_resent" in _actions(db)


def test_a_withdrawn_invitation_no_longer_works(app, client, db, login_as):
    admin = login_as("admin")
    user = accounts.add_user("oops@example.com")
    (message_id,) = accounts.invite(user, admin)
    db.session.commit()
    link = _link_of(db.session.get(EmailMessage, message_id))
    page = client.get("/admin/users").text
    response = client.post(f"/admin/users/{user.id}/invitation/revoke",
                           data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert app.test_client().get(link.removeprefix("http://localhost")).status_code == 404
    assert db.session.get(User, user.id).active is False
    assert 'data-testid="invitation"' in page
    assert 'data-testid="invitation"' not in client.get("/admin/users").text
    assert "user.invitation_revoked" in _actions(db)
    # Only people still to choose a password have an invitation to withdraw.
    assert client.post(f"/admin/users/{admin.id}/invitation/revoke",
                       data={"csrf_token": csrf_from(page)}).status_code == 404


def test_an_invitation_stops_working_once_the_account_has_a_password(app, client, db,
                                                                     make_user):
    admin = make_user("admin")
    user = accounts.add_user("set@example.com")
    (message_id,) = accounts.invite(user, admin)
    user.set_password("an admin typed this one")
    db.session.commit()
    link = _link_of(db.session.get(EmailMessage, message_id))
    assert client.get(link.removeprefix("http://localhost")).status_code == 404


def test_inviting_an_address_already_in_use_is_refused(client, login_as, make_user):
    login_as("admin")
    make_user("staff", email="taken@example.com")
    form = client.get("/admin/users/new")
    response = client.post("/admin/users/new", data={
        "email": "taken@example.com", "role": "viewer", "csrf_token": csrf_from(form.text)})
    assert response.status_code == 422 and "already exists" in response.text


# -- the least powerful role

def test_new_users_get_the_least_powerful_role(app, db):
    assert LEAST_ROLE == "viewer"
    assert all(len(ROLE_PERMISSIONS[LEAST_ROLE]) < len(permissions)
               for role, permissions in ROLE_PERMISSIONS.items() if role != LEAST_ROLE)
    user = accounts.add_user("fresh@example.com")
    assert user.role == LEAST_ROLE and not user.has_password
    with app.test_request_context():
        assert InviteForm(meta={"csrf": False}).role.data == LEAST_ROLE


@pytest.mark.parametrize("password", ["", "wrong password here"])
def test_an_invited_account_without_a_password_cannot_log_in(app, db, password):
    user = accounts.add_user("nopass@example.com")
    db.session.commit()
    assert user.check_password(password) is False


def test_link_lifetimes_and_reset_limits_come_from_the_environment():
    settings = Config.from_env({"PASSWORD_RESET_MINUTES": "30", "INVITATION_DAYS": "3",
                                "RESET_LIMIT_PER_ACCOUNT": "2 per hour"})
    assert (settings["PASSWORD_RESET_MINUTES"], settings["INVITATION_DAYS"]) == (30, 3)
    assert settings["RESET_LIMIT_PER_ACCOUNT"] == "2 per hour"
    assert Config.from_env({})["RESET_LIMIT_PER_IP"] == "30 per hour"
