from __future__ import annotations

import re

from flask import Response, abort, current_app, redirect, request, url_for
from flask_login import current_user

from app.admin import accounts
from app.admin.audit_text import describe
from app.blueprints.admin import bp
from app.blueprints.admin.forms import UserForm
from app.extensions import db
from app.models import AuditLog, User, utcnow
from app.models.base import contains_text, parse_id, starts_with_text
from app.web.auth import requires
from app.web.endings import audit_request, form_status, see_other
from app.web.pagination import paginate
from app.web.render import render


@bp.route("/")
@requires("admin.users")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/users")
@requires("admin.users")
def users():
    query = db.select(User).order_by(User.email)
    q = request.args.get("q", "").strip()
    if q:
        query = query.where(db.or_(contains_text(User.email, q), contains_text(User.name, q)))
    page = paginate(query, per_page=25)
    return render("admin/users.html", "results", page=page, q=q,
                  invitations=accounts.pending_invitations(), now=utcnow())


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("admin.users")
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        clash = db.session.execute(
            db.select(User.id).where(User.email == email, User.id != user.id)).first()
        if clash:
            form.email.errors.append("A user with this email already exists.")
        elif user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
            form.role.errors.append("You can't remove your own admin access.")
        else:
            changes = {f: [getattr(user, f), getattr(form, f).data]
                       for f in ("email", "name", "role", "active")
                       if getattr(user, f) != getattr(form, f).data}
            user.email, user.name = email, form.name.data or ""
            user.role, user.active = form.role.data, form.active.data
            if form.password.data:
                user.set_password(form.password.data)
                changes["password"] = "changed"
            elif changes.get("role") or changes.get("active"):
                user.rotate_session_token()  # new rights take effect at once
            audit_request("user.updated",
                          subject_type="user", subject_id=user.id, details=changes)
            db.session.commit()
            return see_other(url_for("admin.users"), f"Saved {user.email}.")
    return render("admin/user_form.html", form=form, user=user,
                  status=form_status(form))


@bp.route("/audit")
@requires("admin.audit")
def audit_log():
    query = db.select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    user_id = parse_id(request.args.get("user"))
    action = request.args.get("action", "").strip()
    subject = request.args.get("subject", "").strip()
    if user_id:
        query = query.where(AuditLog.user_id == user_id)
    if action:
        query = query.where(starts_with_text(AuditLog.action, action))
    if subject and ":" in subject:
        kind, _, ident = subject.partition(":")
        if (subject_id := parse_id(ident)) is not None:
            query = query.where(AuditLog.subject_type == kind, AuditLog.subject_id == subject_id)
    page = paginate(query, per_page=50)
    staff = db.session.scalars(db.select(User).order_by(User.email)).all()
    return render("admin/audit.html", "results", page=page, lines=describe(page.items),
                  staff=staff, user_id=user_id, action=action, subject=subject)


@bp.route("/mailbox")
@requires("admin.mailbox")
def mailbox():
    from app.dev.mailbox import list_messages

    sink = current_app.config.get("MAIL_SINK_DIR")
    if not sink:
        abort(404)
    page_no = max(request.args.get("page", 1, type=int), 1)
    messages, total = list_messages(sink, page=page_no, per_page=25)
    return render("admin/mailbox.html", "results", messages=messages,
                           total=total, page_no=page_no, per_page=25)


@bp.route("/mailbox/<name>")
@requires("admin.mailbox")
def mailbox_message(name: str):
    return render("admin/mailbox_message.html", message=_caught_or_404(name), name=name)


def _caught_or_404(name: str):
    from app.dev.mailbox import read_message

    sink = current_app.config.get("MAIL_SINK_DIR")
    message = read_message(sink, name) if sink else None
    if message is None:
        abort(404)
    return message


@bp.route("/mailbox/<name>/html")
@requires("admin.mailbox")
def mailbox_html(name: str):
    """The HTML part alone, for the sandboxed frame (see PREVIEW_CSP)."""
    from app.dev.mailbox import PREVIEW_CSP, preview_html

    message = _caught_or_404(name)
    if message.html is None:
        abort(404)
    response = Response(preview_html(message.html), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/mailbox/<name>/attachments/<int:number>")
@requires("admin.mailbox")
def mailbox_attachment(name: str, number: int):
    """An attachment (numbered from 1): a PDF opens in the browser, anything else downloads."""
    message = _caught_or_404(name)
    if not 1 <= number <= len(message.attachments):
        abort(404)
    filename, content_type, _ = message.attachments[number - 1]
    inline = content_type == "application/pdf"
    response = Response(message.payloads[number - 1],
                        mimetype=content_type if inline else "application/octet-stream")
    safe = re.sub(r'[^\w.() -]', "_", filename)[:120] or "attachment"
    response.headers["Content-Disposition"] = \
        f'{"inline" if inline else "attachment"}; filename="{safe}"'
    return response
