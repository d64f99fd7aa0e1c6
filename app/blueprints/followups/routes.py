"""Follow-ups: "My follow-ups", a customer's follow-ups (a section of the file, loaded
with it, and a page of its own without JS), adding, accepting, dismissing, completing."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_login import current_user

from app import clock
from app.blueprints.followups import bp
from app.blueprints.followups.forms import FollowUpForm
from app.extensions import db
from app.followups import tasks
from app.models import Invoice
from app.web.auth import can, requires
from app.web.endings import audit_request, form_status, see_other
from app.web.lookups import get_changeable_customer_or_404, get_customer_or_404
from app.web.pagination import paginate
from app.web.render import hx_trigger, is_partial, no_store, render

TIMELINE_EVENT = "timeline-changed"  # the file's history reloads on it
CUSTOMER_PAGE, MINE_PAGE = "followups/customer.html", "followups/index.html"


def _mine_context(show: str) -> dict:
    show = show if show in tasks.SHOWS else tasks.OPEN
    page = paginate(tasks.mine(current_user, show), per_page=25)
    shows = [(name, tasks.SHOW_LABELS[name]) for name in tasks.SHOWS]
    return dict(show=show, shows=shows, page=page, today=clock.today(),
                is_overdue=tasks.is_overdue)


@bp.route("/")
@requires("followups.view")
def index():
    """My follow-ups: open ones with the overdue first, suggestions, or done ones."""
    return no_store(render(MINE_PAGE, "list", **_mine_context(request.args.get("show", ""))))


def _form(customer, submitted: bool) -> FollowUpForm | None:
    """The add form (None for those who may not add); a blank one is for the current
    user, due today."""
    if not can("followups.edit") or customer.erased_at is not None:
        return None
    form = FollowUpForm() if submitted else FollowUpForm(formdata=None)
    people = tasks.assignable_users(customer)
    form.assignee_id.choices = [(u.id, u.display_name) for u in people]
    if not submitted:
        form.due_on.data = clock.today()
        form.assignee_id.data = current_user.id if tasks.may_hold(customer, current_user) \
            else (people[0].id if people else 0)
    invoices = db.session.execute(
        db.select(Invoice.id, Invoice.number).where(Invoice.customer_id == customer.id)
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc()).limit(100)).all()
    form.invoice_id.choices = [(0, "—")] + [(i.id, i.number) for i in invoices]
    return form


def _customer_context(customer, form=None, error: str = "") -> dict:
    if form is None:
        form = _form(customer, submitted=False)
    return dict(c=customer, followups=tasks.for_customer(customer), form=form, error=error,
                today=clock.today(), is_overdue=tasks.is_overdue)


@bp.route("/customers/<int:customer_id>")
@requires("followups.view")
def customer(customer_id: int):
    """A customer's follow-ups: the file's section (htmx), or a page of its own."""
    found = get_customer_or_404(customer_id)
    return no_store(render(CUSTOMER_PAGE, "section", **_customer_context(found)))


@bp.route("/customers/<int:customer_id>", methods=["POST"])
@requires("followups.edit")
def add(customer_id: int):
    found = get_changeable_customer_or_404(customer_id)
    form = _form(found, submitted=True)
    error = ""
    if form.validate():
        try:
            followup = tasks.add(found, _draft(form), current_user,
                                 link=url_for("followups.index"))
        except tasks.FollowUpError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            _audit("followup.added", followup, "Follow-up added")
            db.session.commit()
            return _after(followup, "Follow-up added.")
    context = _customer_context(found, form=form, error=error)
    return no_store(render(CUSTOMER_PAGE, "section", status=422 if error else
                           form_status(form), **context))


def _audit(action: str, followup, what: str) -> None:
    """Who did what to which follow-up, when; its words stay out of the log (they may
    name people, and the audit log outlives an erasure): they are in the follow-up."""
    assignee = followup.assignee.display_name if followup.assignee else "nobody"
    audit_request(action, subject_type="customer", subject_id=followup.customer_id,
                  details={"followup": followup.id, "state": followup.state,
                           "assignee": followup.assignee_id, "due_on":
                               followup.due_on.isoformat()},
                  summary=f"{what} (#{followup.id}, due {followup.due_on.isoformat()}, "
                          f"responsible: {assignee})")


def _after(followup, notice: str):
    """Back where the action was taken: the "My follow-ups" list or the file's section."""
    back = request.form.get("back", "")
    if back in tasks.SHOWS:
        if is_partial():
            return hx_trigger(no_store(render(MINE_PAGE, "list", **_mine_context(back))),
                              TIMELINE_EVENT)
        return see_other(url_for("followups.index", show=back), notice)
    if is_partial():
        response = render(CUSTOMER_PAGE, "section", **_customer_context(followup.customer))
        return hx_trigger(no_store(response), TIMELINE_EVENT)
    return see_other(url_for("customers.show", customer_id=followup.customer_id)
                     + "#followups", notice)


def _changeable(followup_id: int):
    followup = tasks.visible_followup(followup_id, current_user)
    if followup is None:
        abort(404)
    get_changeable_customer_or_404(followup.customer_id)
    return followup


@bp.route("/<int:followup_id>/edit", methods=["GET", "POST"])
@requires("followups.edit")
def edit(followup_id: int):
    """Change an open or suggested follow-up (a page of its own; works without JS)."""
    followup = _changeable(followup_id)
    if followup.state not in (tasks.OPEN, tasks.SUGGESTED):
        abort(409, "Only an open or suggested follow-up can be changed.")
    submitted = request.method == "POST"
    form = _form(followup.customer, submitted=submitted)
    if not submitted:
        form.title.data, form.notes.data = followup.title, followup.notes
        form.due_on.data, form.due_time.data = followup.due_on, followup.due_time
        form.assignee_id.data = followup.assignee_id or 0
        form.invoice_id.data = followup.invoice_id or 0
    error = ""
    if submitted and form.validate():
        try:
            changed = tasks.change(followup, _draft(form), current_user,
                                   link=url_for("followups.index"))
        except tasks.FollowUpError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            if changed:
                _audit("followup.changed", followup, "Follow-up changed")
            db.session.commit()
            return see_other(url_for("customers.show", customer_id=followup.customer_id)
                             + "#followups", "Follow-up saved." if changed else "No change.")
    status = 422 if error else form_status(form)
    return no_store(render("followups/edit.html", status=status, f=followup, form=form,
                           error=error))


def _draft(form) -> tasks.Draft:
    return tasks.Draft(title=form.title.data, due_on=form.due_on.data,
                       due_time=form.due_time.data, notes=form.notes.data or "",
                       assignee_id=form.assignee_id.data or None,
                       invoice_id=form.invoice_id.data or None)


@bp.route("/<int:followup_id>/accept", methods=["POST"])
@requires("followups.edit")
def accept(followup_id: int):
    followup = _changeable(followup_id)
    try:
        changed = tasks.accept(followup, current_user, link=url_for("followups.index"))
    except tasks.FollowUpError as exc:
        db.session.rollback()
        abort(409, str(exc))
    if changed:
        _audit("followup.accepted", followup, "Suggested follow-up accepted")
    db.session.commit()
    return _after(followup, "Follow-up accepted." if changed else "Already decided.")


@bp.route("/<int:followup_id>/dismiss", methods=["POST"])
@requires("followups.edit")
def dismiss(followup_id: int):
    followup = _changeable(followup_id)
    if tasks.dismiss(followup, current_user):
        _audit("followup.dismissed", followup, "Suggested follow-up dismissed")
    db.session.commit()
    return _after(followup, "Suggestion dismissed; it will not come back.")


@bp.route("/<int:followup_id>/done", methods=["POST"])
@requires("followups.edit")
def done(followup_id: int):
    followup = _changeable(followup_id)
    if tasks.complete(followup, current_user):
        _audit("followup.done", followup, "Follow-up done")
    db.session.commit()
    return _after(followup, "Marked done.")


@bp.route("/<int:followup_id>/reopen", methods=["POST"])
@requires("followups.edit")
def reopen(followup_id: int):
    followup = _changeable(followup_id)
    if tasks.reopen(followup, current_user):
        _audit("followup.reopened", followup, "Follow-up reopened")
    db.session.commit()
    return _after(followup, "Reopened.")
