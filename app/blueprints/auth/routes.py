from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import LoginForm, PasswordForm
from app.extensions import db, limiter
from app.models import User
from app.models.users import check_dummy_password
from app.web.auth import public, requires
from app.web.endings import audit_request, form_status, see_other
from app.web.render import render


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect through ?next=.
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"],
               error_message="Too many login attempts from this address. "
                             "Wait a few minutes and try again.")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_account_key,
               error_message="Too many login attempts for this account. "
                             "Wait a few minutes and try again.")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        if user is None:
            check_dummy_password(form.password.data)
        if user is not None and user.active and user.check_password(form.password.data):
            login_user(user, remember=form.remember.data)
            user.last_login_at = db.func.now()
            audit_request("login.success", user=user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        audit_request("login.failure", actor=email, user=user)
        db.session.commit()
        form.password.errors.append("That email and password don't match an active account.")
    return render("auth/login.html", form=form, status=form_status(form))


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
