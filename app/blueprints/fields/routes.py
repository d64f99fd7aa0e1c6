"""The office's own customer fields (Admin → Customer fields): add, change, hide, delete.

Removing a field is two steps: hiding it takes it off every page, export and import but
keeps its values; deleting its data (typing the field's name to confirm) removes both.
"""
from __future__ import annotations

from flask import abort, request, url_for

from app import fields as custom_fields
from app.blueprints.fields import bp
from app.blueprints.fields.forms import FieldForm, PurgeForm
from app.extensions import db
from app.models import CustomField
from app.web.auth import requires
from app.web.endings import audit_request, form_status, see_other
from app.web.render import render

TEMPLATE = "fields/index.html"


def _field_or_404(field_id: int) -> CustomField:
    field = db.session.get(CustomField, field_id)
    if field is None:
        abort(404)
    return field


def _page(form: FieldForm, status: int = 200, editing: CustomField | None = None):
    active = list(db.session.scalars(db.select(CustomField).where(
        CustomField.archived_at.is_(None)).order_by(CustomField.position, CustomField.id)))
    hidden = list(db.session.scalars(db.select(CustomField).where(
        CustomField.archived_at.isnot(None)).order_by(CustomField.label)))
    return render(TEMPLATE, active=active, hidden=hidden, form=form, editing=editing,
                  counts={f.id: custom_fields.value_count(f.id) for f in active + hidden},
                  purge_form=PurgeForm(formdata=None), kinds=custom_fields.FIELD_KINDS,
                  status=status)


def _label_taken(label: str, but: int | None = None) -> bool:
    found = db.session.scalar(db.select(CustomField.id).where(
        db.func.lower(CustomField.label) == label.lower()))
    return found is not None and found != but


@bp.route("/", methods=["GET", "POST"])
@requires("admin.fields")
def index():
    form = FieldForm()
    if request.method == "POST" and form.validate():
        label = " ".join(form.label.data.split())
        if _label_taken(label):
            form.label.errors.append("A field with this name exists (perhaps hidden).")
            return _page(form, 422)
        field = CustomField(label=label, kind=form.kind.data,
                            choices=custom_fields.parse_choices(form.choices.data)
                            if form.kind.data == "choice" else [],
                            required=form.required.data, in_list=form.in_list.data,
                            sensitive=form.sensitive.data,
                            position=custom_fields.next_position())
        db.session.add(field)
        db.session.flush()
        audit_request("field.created", subject_type="field", subject_id=field.id,
                      details={"label": label, "kind": field.kind,
                               "sensitive": field.sensitive},
                      summary=f"Added the customer field “{label}”")
        db.session.commit()
        return see_other(url_for("fields.index"), f"Added the field “{label}”.")
    return _page(form, form_status(form) if request.method == "POST" else 200)


@bp.route("/<int:field_id>", methods=["GET", "POST"])
@requires("admin.fields")
def edit(field_id: int):
    """Change a field's name, choices and flags; its kind stays (values are typed)."""
    field = _field_or_404(field_id)
    if request.method == "GET":
        form = FieldForm(formdata=None, obj=field)
        form.choices.data = "\n".join(field.choices or [])
        return _page(form, editing=field)
    form = FieldForm()
    form.kind.data = field.kind
    if not form.validate():
        return _page(form, 422, editing=field)
    label = " ".join(form.label.data.split())
    if _label_taken(label, but=field.id):
        form.label.errors.append("A field with this name exists (perhaps hidden).")
        return _page(form, 422, editing=field)
    if form.sensitive.data != field.sensitive and custom_fields.value_count(field.id):
        form.sensitive.errors.append("This field holds values: its encryption can't change. "
                                     "Add a new field instead.")
        return _page(form, 422, editing=field)
    if field.kind == "choice":
        field.choices = custom_fields.parse_choices(form.choices.data)
    field.label, field.required = label, form.required.data
    field.in_list, field.sensitive = form.in_list.data, form.sensitive.data
    audit_request("field.updated", subject_type="field", subject_id=field.id,
                  details={"label": label}, summary=f"Changed the customer field “{label}”")
    db.session.commit()
    return see_other(url_for("fields.index"), f"Saved the field “{label}”.")


@bp.route("/<int:field_id>/hide", methods=["POST"])
@requires("admin.fields")
def hide(field_id: int):
    field = _field_or_404(field_id)
    custom_fields.archive(field)
    audit_request("field.hidden", subject_type="field", subject_id=field.id,
                  summary=f"Hid the customer field “{field.label}” (its data is kept)")
    db.session.commit()
    return see_other(url_for("fields.index"),
                     f"Hid “{field.label}”. Its data is kept until you delete it.")


@bp.route("/<int:field_id>/restore", methods=["POST"])
@requires("admin.fields")
def restore(field_id: int):
    field = _field_or_404(field_id)
    custom_fields.restore(field)
    audit_request("field.restored", subject_type="field", subject_id=field.id,
                  summary=f"Brought back the customer field “{field.label}”")
    db.session.commit()
    return see_other(url_for("fields.index"), f"“{field.label}” is shown again.")


@bp.route("/<int:field_id>/purge", methods=["POST"])
@requires("admin.fields")
def purge(field_id: int):
    """Delete a hidden field and its values, once its name is typed to confirm."""
    field = _field_or_404(field_id)
    form = PurgeForm()
    if not form.validate() or (form.confirm.data or "").strip().lower() != field.label.lower():
        return see_other(url_for("fields.index"),
                         f"Nothing deleted: type “{field.label}” to confirm.", "error")
    try:
        gone = custom_fields.purge(field)
    except custom_fields.FieldError as exc:
        return see_other(url_for("fields.index"), str(exc), "error")
    audit_request("field.deleted", subject_type="field", subject_id=field_id,
                  details={"label": field.label, "values": gone},
                  summary=f"Deleted the customer field “{field.label}” and {gone} values")
    db.session.commit()
    return see_other(url_for("fields.index"),
                     f"Deleted “{field.label}” and the {gone} values it held.")
