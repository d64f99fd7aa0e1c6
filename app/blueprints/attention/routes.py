"""Dismissing what needs attention; the notifications list and the digest choice."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_login import current_user

from app.attention import items, notify
from app.customers.access import can_see_customer
from app.customers.contacts import ContactError
from app.events.reasons import ADDRESS, CLASS_LABELS
from app.mail import outbox, resend
from app.mail.failures import failure_class
from app.models import EmailMessage
from app.blueprints.attention import bp
from app.extensions import db
from app.followups import tasks
from app.models.base import parse_id
from app.web.attention import home_context, notification_url
from app.web.auth import enforce, requires
from app.web.endings import audit_request, see_other
from app.web.render import is_partial, no_store, render


@bp.route("/attention/<int:item_id>/dismiss", methods=["POST"])
@requires("attention.dismiss")
def dismiss(item_id: int):
    item = items.visible_item(item_id, current_user)
    if item is None:
        abort(404)
    if items.dismiss(item, current_user):
        tasks.dismissed_with_item(item, current_user)  # one item: its suggestion goes too
        audit_request("attention.dismissed", subject_type="attention_item", subject_id=item.id,
                     details={"kind": item.kind}, summary=f"Dismissed: {item.detail}"[:500])
    db.session.commit()
    if is_partial():
        return no_store(render("main/index.html", "attention",
                               **home_context(current_user, request.form.get("only"))))
    return see_other(url_for("main.index", only=request.form.get("only") or None), "Dismissed.")


@bp.route("/notifications")
@requires("dashboard.view")
def notifications():
    notes = notify.recent(current_user)
    unread = notify.unread_count(current_user)
    return no_store(render("attention/notifications.html", notes=notes,
                           notification_url=notification_url, unread=unread,
                           badge_unread=unread))


@bp.route("/notifications/badge")
@requires("dashboard.view")
def badge():
    """The header's link with the unread count (fetched by each page once loaded)."""
    return no_store(render("attention/_badge.html",
                           badge_unread=notify.unread_count(current_user)))


@bp.route("/notifications/read", methods=["POST"])
@requires("dashboard.view")
def notifications_read():
    notify.mark_read(current_user, parse_id(request.form.get("upto")))
    db.session.commit()
    return see_other(url_for("attention.notifications"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@requires("dashboard.view")
def preferences():
    if request.method == "POST":
        choice = request.form.get("digest") == "daily"
        if choice != current_user.notify_digest:
            current_user.notify_digest = choice
            audit_request("user.notification_digest", subject_type="user",
                         subject_id=current_user.id, details={"digest": choice},
                         summary="Daily notification email " + ("on" if choice else "off"))
            db.session.commit()
        return see_other(url_for("attention.preferences"),
                         "You will get a daily email of your notifications." if choice
                         else "No daily email: your notifications stay in the app.")
    return render("attention/preferences.html")


@bp.route("/emails/<int:message_id>/fix", methods=["GET", "POST"])
@requires("invoices.send")
def email_fix(message_id: int):
    """Fix and resend a rejected email (also `customers.edit_contact`: it may change the
    customer's address); staff only for their own customers."""
    enforce("customers.edit_contact")
    message = db.session.get(EmailMessage, message_id)
    if message is None or message.is_system or message.status != "rejected" \
            or not can_see_customer(message.customer, current_user):
        abort(404)
    error = ""
    if request.method == "POST":
        try:
            new = resend.fix_and_resend(
                message, current_user, address_id=parse_id(request.form.get("address_id")),
                corrected=request.form.get("corrected", ""), ip=request.remote_addr)
        except ContactError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            outbox.enqueue([new.id])
            return see_other(url_for("attention.email_fix", message_id=message.id),
                             f"Sent again to {new.to_address}.")
    failure = failure_class(message)
    return render("attention/email_fix.html", status=422 if error else 200,
                  message=message, failure=failure, error=error,
                  label=CLASS_LABELS.get(failure or "", ""), advice=resend.ADVICE.get(failure),
                  fixable=failure == ADDRESS, others=resend.other_addresses(message),
                  resent=resend.resent_as(message))
