from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app import settings
from app.blueprints.auth import bp
from app.blueprints.auth.forms import LoginForm, PasswordForm
from app.extensions import db
from app.models import User
from app.models.users import check_dummy_password
from app.permissions import role_can
from app.web import login_throttle
from app.web.auth import public, requires
from app.web.endings import audit_request, form_status, see_other
from app.web.render import render


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect through ?next=.
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        ip = request.remote_addr or ""
        if wait := login_throttle.wait_seconds(email, ip):
            return _throttled(form, email, wait)
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        # The same password hash runs for an unknown address, a deactivated account and a
        # wrong password: how long the answer takes tells nothing about the account.
        if user is None:
            check_dummy_password(form.password.data)
            right = False
        else:
            right = user.check_password(form.password.data)
        if user is not None and user.active and right:
            login_user(user, remember=form.remember.data)
            user.last_login_at = db.func.now()
            audit_request("login.success", user=user)
            db.session.commit()
            if not request.args.get("next") and role_can(user.role, "admin.settings") \
                    and settings.needs_setup():
                return redirect(url_for("settings.setup"))  # the first run
            return redirect(_safe_next(request.args.get("next")))
        login_throttle.count_failure(email, ip)
        audit_request("login.failure", actor=email, user=user)
        db.session.commit()
        form.password.errors.append("That email and password don't match an active account.")
    return render("auth/login.html", form=form, status=form_status(form))


def _throttled(form: LoginForm, email: str, wait: int):
    """429 at once, no password checked, and when to try again."""
    audit_request("login.throttled", actor=email, user=None, details={"retry_after": wait})
    db.session.commit()
    form.password.errors.append(
        f"Too many failed attempts for this account from here. Try again in "
        f"{login_throttle.in_words(wait)}, or ask an admin to set a new password.")
    response = render("auth/login.html", form=form, status=429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        user.rotate_session_token()  # every other copy of the cookie dies too
        audit_request("logout", user=user)
        db.session.commit()
    logout_user()
    return see_other(url_for("auth.login"), "You are logged out.", "info")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@requires("dashboard.view")
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        if not user.check_password(form.current.data):
            form.current.errors.append("That is not your current password.")
        else:
            user.set_password(form.new.data)
            audit_request("password.changed", user=user)
            db.session.commit()
            login_user(user)  # keep this browser logged in with the new token
            return see_other(url_for("main.index"),
                             "Password changed. Other sessions were logged out.")
    return render("auth/password.html", form=form, status=form_status(form))
