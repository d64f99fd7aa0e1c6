"""Bounce mail that could not be read or matched: a review list for admins."""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.blueprints.admin import bp
from app.events import reasons
from app.extensions import db
from app.mail import failures, inbound, review
from app.models import InboundMessage
from app.web.auth import requires
from app.web.endings import audit_request, see_other
from app.web.pagination import paginate
from app.web.render import render

REVIEW_STATES = (review.HELD, "unmatched", "unparsed")
STATES = REVIEW_STATES + ("ignored", "processed")
_RAW_LIMIT = 200_000


@bp.route("/bounces")
@requires("admin.bounces")
def bounces():
    state = request.args.get("state", "")
    states = (state,) if state in STATES else REVIEW_STATES
    query = (db.select(InboundMessage).where(InboundMessage.state.in_(states))
             .options(selectinload(InboundMessage.matched_message))
             .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()))
    page = paginate(query, per_page=25)
    # Counted apart: with no copy of our email, only a VERP envelope could have proven one.
    no_original = db.session.scalar(db.select(db.func.count(InboundMessage.id)).where(
        InboundMessage.state.in_(states), InboundMessage.has_original.is_(False)))
    return render("admin/bounces.html", "results", page=page, state=state,
                  states=STATES, no_original=no_original,
                  alerts=review.office_alerts() if not state else [])


@bp.route("/bounces/verdicts")
@requires("admin.bounces")
def bounce_verdicts():
    """Recent refusals with their verdicts (whose problem), each of which can be marked
    wrong; filterable by class."""
    chosen = request.args.get("class", "")
    chosen = chosen if chosen in reasons.CLASSES else ""
    page = paginate(review.verdicts(chosen or None), per_page=25)
    return render("admin/verdicts.html", "results", page=page, chosen=chosen,
                  classes=[(key, failures.class_words(key)) for key in reasons.CLASSES],
                  back=url_for("admin.bounce_verdicts", **({"class": chosen} if chosen else {})))


@bp.route("/bounces/<int:inbound_id>")
@requires("admin.bounces")
def bounce(inbound_id: int):
    message = db.session.get(InboundMessage, inbound_id) or abort(404)
    raw = message.raw[:_RAW_LIMIT].decode("utf-8", "replace")
    return render("admin/bounce.html", message=message, raw=raw,
                  truncated=len(message.raw) > _RAW_LIMIT, events=review.events_of(message),
                  back=url_for("admin.bounce", inbound_id=message.id),
                  in_review=message.state in REVIEW_STATES,
                  can_reprocess=inbound.can_reprocess(message))


@bp.route("/bounces/<int:inbound_id>/resolve", methods=["POST"])
@requires("admin.bounces")
def bounce_resolve(inbound_id: int):
    message = db.session.get(InboundMessage, inbound_id) or abort(404)
    action = request.form.get("action")
    if action not in ("reprocess", "ignore") or \
            (action == "reprocess" and not inbound.can_reprocess(message)):
        abort(400, "Choose to process the message again or to dismiss it.")
    if message.state not in REVIEW_STATES:
        # A stale page or a second tab: processing again would redo its consequences.
        flash(f"This message was already handled ({message.state}); nothing was changed.",
              "info")
        return see_other(url_for("admin.bounces"))
    if action == "reprocess":
        message.state = "new"
        db.session.commit()
        state = inbound.process(message.id)
        flash(f"Processed again: {state}.", "info")
    else:
        message.state = "ignored"
        message.summary = (message.summary + " · dismissed by " + current_user.email)[:2000]
        db.session.commit()
        flash("Dismissed.", "success")
    audit_request(f"bounce.{action}", subject_type="inbound", subject_id=message.id)
    db.session.commit()
    return see_other(url_for("admin.bounces"))


@bp.route("/bounces/<int:inbound_id>/confirm", methods=["POST"])
@requires("admin.bounces")
def bounce_confirm(inbound_id: int):
    db.session.get(InboundMessage, inbound_id) or abort(404)
    confirmed = review.confirm(inbound_id)
    if confirmed is None:
        # A second click, or a stale page: what it held was applied or dismissed already.
        return see_other(url_for("admin.bounces"),
                         "This message was already handled; nothing was changed.", "info")
    confirmed.summary = (confirmed.summary + " · confirmed by " + current_user.email)[:2000]
    audit_request("bounce.confirm", subject_type="inbound", subject_id=inbound_id)
    db.session.commit()
    if confirmed.state == "processed":
        flash("Confirmed: applied to the email.", "success")
    else:
        flash("The email it was matched to is no longer there; nothing was changed.", "info")
    return see_other(url_for("admin.bounces"))
