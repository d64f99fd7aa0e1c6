"""Reminders due: what the next run sends and skips, and "Send now" (confirmed)."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_login import current_user

from app import clock
from app.blueprints.reminders import bp
from app.reminders import run
from app.web.auth import requires
from app.web.endings import see_other
from app.web.render import render


def _chosen() -> tuple[list[int] | None, int | None]:
    """The invoice (and stage) a "Send now" names, or None for all; 400 when garbled."""
    source = request.form if request.method == "POST" else request.args
    if source.get("all") == "1":
        return None, None
    try:
        return [int(source["invoice"])], int(source["stage"])
    except (KeyError, ValueError):
        abort(400, "Choose a reminder to send, or all of them.")


def _dues(invoice_ids: list[int] | None, stage_id: int | None) -> list[run.Due]:
    """What the run would do now, among `current_user`'s customers; a stage that is no
    longer the one due (sent meanwhile, the stages changed) drops out."""
    dues = run.due_list(clock.today(), user=current_user, invoice_ids=invoice_ids)
    return [d for d in dues if stage_id is None or d.stage.id == stage_id]


@bp.route("/reminders")
@requires("reminders.view")
def index():
    dues = run.due_list(clock.today(), user=current_user)
    response = render("reminders/index.html", going=[d for d in dues if not d.skip],
                      skipped=[d for d in dues if d.skip], stages=run.enabled_stages())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/reminders/send", methods=["GET", "POST"])
@requires("reminders.send")
def send():
    invoice_ids, stage_id = _chosen()
    dues = [d for d in _dues(invoice_ids, stage_id) if not d.skip]
    if request.method == "GET":  # the confirmation: what exactly will go, to whom
        response = render("reminders/confirm.html", dues=dues, all=invoice_ids is None,
                          invoice_ids=invoice_ids, stage_id=stage_id)
        response.headers["Cache-Control"] = "no-store"
        return response
    if request.form.get("confirm") != "yes":
        abort(400, "Confirm the sending first.")
    sent = run.send(dues, user=current_user, source="now", ip=request.remote_addr)
    if not sent:
        return see_other(url_for("reminders.index"),
                         "Nothing was sent: these reminders were sent already or are no "
                         "longer due.", "info")
    return see_other(url_for("reminders.index"), f"{sent} reminder(s) on their way.")
