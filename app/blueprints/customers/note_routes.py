"""Notes added inline from the file page, and the lazily loaded timeline."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import request, url_for
from flask_login import current_user

from app.blueprints.customers import bp
from app.blueprints.customers.file_routes import TEMPLATE, TIMELINE_EVENT, file_context
from app.blueprints.customers.forms import NoteForm
from app.customers.timeline import timeline_page
from app.extensions import db
from app.models import Note
from app.web.auth import requires
from app.web.endings import audit_request
from app.web.endings import see_other
from app.web.lookups import get_changeable_customer_or_404, get_customer_or_404
from app.web.render import hx_trigger, is_partial, render


@bp.route("/<int:customer_id>/notes", methods=["POST"])
@requires("customers.notes")
def note_add(customer_id: int):
    customer = get_changeable_customer_or_404(customer_id)
    form = NoteForm()
    context = file_context(customer, note_form=form)  # sets the invoice choices
    if not form.validate():
        return render(TEMPLATE, "note_form", status=422, **context)
    note = Note(customer_id=customer.id, author_id=current_user.id, kind=form.kind.data,
                body=form.body.data.strip(), invoice_id=form.invoice_id.data or None)
    db.session.add(note)
    db.session.flush()
    audit_request("customer.note_added",
                  subject_type="customer", subject_id=customer.id,
                  details={"note_id": note.id, "kind": note.kind})
    db.session.commit()
    if not is_partial():
        return see_other(url_for("customers.show", customer_id=customer.id) + "#timeline",
                         "Note added.")
    fresh = file_context(customer)  # an empty form for the next note
    response = render(TEMPLATE, "note_form", **fresh)
    return hx_trigger(response, TIMELINE_EVENT)


@bp.route("/<int:customer_id>/timeline")
@requires("customers.view")
def timeline(customer_id: int):
    """A page of the timeline: a fragment for the file page, or a plain page without JS."""
    customer = get_customer_or_404(customer_id)
    before = _cursor(request.args.get("before", ""))
    page = timeline_page(customer.id, before, viewer=current_user)
    return render("customers/timeline.html", "items", c=customer, page=page,
                           before=before)


def _cursor(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
