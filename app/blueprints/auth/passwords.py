"""'Forgot your password?' and the page a reset or invitation link opens.

The token in the link is spent only by the POST that sets the password: a link scanner
or a preview that GETs the page leaves it whole.
"""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_login import login_user

from app.admin import accounts, password_links
from app.blueprints.auth import bp
from app.blueprints.auth.forms import ForgotForm, NewPasswordForm
from app.extensions import db
from app.mail import outbox
from app.web import login_throttle
from app.web.auth import public
from app.web.endings import form_status, see_other
from app.web.render import render

SENT = ("If {email} belongs to an account here, an email with a link to set a new "
        "password is on its way. The link works once, for {minutes} minutes.")


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        ip = request.remote_addr or ""
        # The same answer, and the same counting, whether or not the address has an
        # account: neither the page nor the limit tells which addresses exist.
        if wait := login_throttle.reset_wait_seconds(email, ip):
            form.email.errors.append(
                f"Too many requests for a new password. Try again in "
                f"{login_throttle.in_words(wait)}, or ask an admin.")
            response = render("auth/forgot.html", form=form, sent=None, status=429)
            response.headers["Retry-After"] = str(wait)
            return response
        login_throttle.count_reset(email, ip)
        message_ids = accounts.request_reset(email, ip=request.remote_addr)
        db.session.commit()
        outbox.enqueue(message_ids)
        sent = SENT.format(email=email, minutes=current_app.config["PASSWORD_RESET_MINUTES"])
        return render("auth/forgot.html", form=ForgotForm(formdata=None), sent=sent)
    return render("auth/forgot.html", form=form, sent=None, status=form_status(form))


@bp.route(password_links.LINK_PATH + "<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    row = accounts.open_token(token)
    if row is None:
        return _private(render("auth/link_used.html", status=404))
    form = NewPasswordForm()
    if form.validate_on_submit():
        user = accounts.set_password_with(token, form.new.data, ip=request.remote_addr)
        if user is None:  # spent by another tab meanwhile
            db.session.rollback()
            return _private(render("auth/link_used.html", status=404))
        db.session.commit()
        login_user(user)
        welcome = "Welcome! Your password is set." if row.purpose == "invitation" \
            else "Your new password is set. Other browsers were logged out."
        return see_other(url_for("main.index"), welcome)
    return _private(render("auth/set_password.html", form=form,
                           invitation=row.purpose == "invitation", person=row.user,
                           status=form_status(form)))


def _private(response):
    """The token is in the address: never cached, never passed on as a Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
