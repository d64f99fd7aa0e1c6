"""Adding a colleague: an invitation by email to choose their own password; the pending
invitations are listed on the users page, to send again or withdraw."""
from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user

from app.admin import accounts
from app.blueprints.admin import bp
from app.blueprints.admin.forms import InviteForm
from app.extensions import db
from app.mail import outbox
from app.models import User
from app.web.auth import requires
from app.web.endings import audit_request, form_status, see_other
from app.web.render import render


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.users")
def user_new():
    form = InviteForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if db.session.execute(db.select(User.id).filter_by(email=email)).first():
            form.email.errors.append("A user with this email already exists.")
        else:
            user = accounts.add_user(email, form.name.data or "", form.role.data)
            message_ids = accounts.invite(user, _me())
            audit_request("user.invited", subject_type="user", subject_id=user.id,
                          details={"email": email, "role": user.role})
            db.session.commit()
            outbox.enqueue(message_ids)
            return see_other(url_for("admin.users"),
                             f"Invitation sent to {email} ({user.role}).")
    return render("admin/user_form.html", form=form, user=None, status=form_status(form))


@bp.route("/users/<int:user_id>/invitation/resend", methods=["POST"])
@requires("admin.users")
def invitation_resend(user_id: int):
    user = _invited_or_404(user_id)
    message_ids = accounts.invite(user, _me())
    audit_request("user.invitation_resent", subject_type="user", subject_id=user.id,
                  details={"email": user.email})
    db.session.commit()
    outbox.enqueue(message_ids)
    return see_other(url_for("admin.users"),
                     f"Invitation sent again to {user.email}; the earlier link no longer works.")


@bp.route("/users/<int:user_id>/invitation/revoke", methods=["POST"])
@requires("admin.users")
def invitation_revoke(user_id: int):
    user = _invited_or_404(user_id)
    accounts.revoke_invitation(user)
    audit_request("user.invitation_revoked", subject_type="user", subject_id=user.id,
                  details={"email": user.email})
    db.session.commit()
    return see_other(url_for("admin.users"),
                     f"Invitation to {user.email} withdrawn; the account is switched off.")


def _invited_or_404(user_id: int) -> User:
    """Someone invited who has not chosen a password yet (a withdrawn one may be re-sent)."""
    user = db.session.get(User, user_id)
    if user is None or user.has_password:
        abort(404)
    return user


def _me() -> User:
    return db.session.get(User, current_user.id)
