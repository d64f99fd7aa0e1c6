"""The office's email templates and reminder stages (Admin → Settings): edit, preview
live from a real invoice, send oneself a test. Fragments are blocks of the form's page."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_login import current_user

from app import clock, settings
from app.blueprints.reminders import bp
from app.extensions import db
from app.mail.placeholders import PLACEHOLDERS
from app.models import Invoice, ReminderStage
from app.models.base import parse_id
from app.reminders import stages
from app.web.auth import requires
from app.web.endings import audit_request, see_other
from app.web.render import is_partial, render

_FORM = "reminders/template_form.html"


def _sample(invoices: list[Invoice]) -> Invoice | None:
    """The invoice the preview reads: the one chosen, else the latest."""
    chosen = parse_id(request.values.get("invoice"))
    for invoice in invoices:
        if invoice.id == chosen:
            return invoice
    return invoices[0] if invoices else None


def _editor(*, title: str, subject: str, body: str, problems: dict[str, str],
            action_url: str, stage: ReminderStage | None = None, offset: int | None = None,
            notice: str = "", status: int = 200):
    """The form page (or, for htmx, its preview block): one context for both."""
    invoices = stages.sample_invoices()
    sample = _sample(invoices)
    shown_subject, shown_body = stages.preview(subject, body, sample, clock.today())
    response = render(
        _FORM, "preview", status=status, title=title, subject=subject, body=body,
        problems=problems, action_url=action_url, stage=stage, offset=offset,
        invoices=invoices, sample=sample, preview_subject=shown_subject,
        preview_body=shown_body, placeholders=PLACEHOLDERS, notice=notice)
    response.headers["Cache-Control"] = "no-store"
    return response


def _posted_texts() -> tuple[str, str]:
    return (request.form.get("subject", "")[:2000].replace("\r\n", "\n"),
            request.form.get("body", "")[:40000].replace("\r\n", "\n"))


def _preview_or_test(editor_kwargs: dict):
    """Answer a "Preview" or "Send me a test" post; None when the post is a save."""
    action = request.form.get("action", "save")
    subject, body = editor_kwargs["subject"], editor_kwargs["body"]
    problems = stages.template_problems(subject, body)
    if action == "preview":
        return _editor(problems=problems if not is_partial() else
                       {k: v for k, v in problems.items() if "placeholder" in v},
                       status=422 if problems else 200, **editor_kwargs)
    if action == "test":
        if problems:
            return _editor(problems=problems, status=422, **editor_kwargs)
        sample = _sample(stages.sample_invoices())
        shown_subject, shown_body = stages.preview(subject, body, sample, clock.today())
        stages.send_test(current_user, shown_subject, shown_body)
        return _editor(problems={}, notice=f"A test is on its way to {current_user.email}.",
                       **editor_kwargs)
    if action != "save":
        abort(400, "Save, preview or send a test.")
    return None


@bp.route("/admin/settings/emails", methods=["GET", "POST"])
@requires("reminders.templates")
def invoice_template():
    kwargs = dict(title="Invoice email", action_url=url_for("reminders.invoice_template"))
    if request.method == "GET":
        return _editor(subject=settings.get("templates.invoice_subject"),
                       body=settings.get("templates.invoice_body"), problems={}, **kwargs)
    subject, body = _posted_texts()
    answer = _preview_or_test(dict(subject=subject, body=body, **kwargs))
    if answer is not None:
        return answer
    problems = stages.save_invoice_template(subject, body, user=current_user,
                                            ip=request.remote_addr)
    if problems:
        return _editor(subject=subject, body=body, problems=problems, status=422, **kwargs)
    return see_other(url_for("reminders.invoice_template"), "The invoice email is saved.")


@bp.route("/admin/settings/reminders")
@requires("reminders.templates")
def stage_list():
    response = render("reminders/stages.html", stages=stages.all_stages())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/settings/reminders/new", methods=["GET", "POST"])
@bp.route("/admin/settings/reminders/<int:stage_id>", methods=["GET", "POST"])
@requires("reminders.templates")
def stage(stage_id: int | None = None):
    if stage_id is None:
        record = stages.new_stage(7)
        url = url_for("reminders.stage")
    else:
        record = db.session.get(ReminderStage, stage_id) or abort(404)
        url = url_for("reminders.stage", stage_id=stage_id)
    kwargs = dict(title="Reminder stage" if stage_id else "New reminder stage",
                  action_url=url, stage=record)
    if request.method == "GET":
        return _editor(subject=record.subject, body=record.body, offset=record.offset_days,
                       problems={}, **kwargs)
    subject, body = _posted_texts()
    offset, offset_problem = _posted_offset()
    answer = _preview_or_test(dict(subject=subject, body=body, offset=offset, **kwargs))
    if answer is not None:
        return answer
    problems = ({"offset_days": offset_problem} if offset_problem else
                stages.save_stage(record, offset_days=offset, subject=subject, body=body,
                                  enabled=request.form.get("enabled") == "1",
                                  user=current_user, ip=request.remote_addr))
    if problems:
        db.session.rollback()
        return _editor(subject=subject, body=body, offset=offset, problems=problems,
                       status=422, **kwargs)
    return see_other(url_for("reminders.stage_list"), f"Stage saved: {record.label}.")


def _posted_offset() -> tuple[int, str]:
    """Days from the due date (negative: before) from the "days" and "when" fields."""
    days = request.form.get("days", "").strip()
    if not (days.isascii() and days.isdigit()) or len(days) > 4:
        return 0, "Days: a whole number, 0 or more."
    when = request.form.get("when")
    if when not in ("before", "after"):
        return 0, "Choose before or after the due date."
    return (-int(days) if when == "before" else int(days)), ""


@bp.route("/admin/settings/reminders/<int:stage_id>/switch", methods=["POST"])
@requires("reminders.templates")
def stage_switch(stage_id: int):
    record = db.session.get(ReminderStage, stage_id) or abort(404)
    record.enabled = request.form.get("enabled") == "1"
    audit_request("reminders.stage_switched", subject_type="reminder_stage",
                  subject_id=record.id, details={"when": record.label, "on": record.enabled})
    db.session.commit()
    return see_other(url_for("reminders.stage_list"),
                     f"{record.label}: {'on' if record.enabled else 'off'}.")
