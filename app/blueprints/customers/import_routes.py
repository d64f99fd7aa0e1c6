"""CSV import: upload, map columns with a preview, review every row, confirm (all or nothing).

The upload lives in a `CustomerImport` row between the steps (never in the session
cookie), its rows encrypted; it belongs to the user who uploaded it, its rows are dropped
when it is applied, and a periodic job deletes it if nobody confirms it within a day.
"""
from __future__ import annotations

from flask import abort, current_app, request, url_for
from flask_login import current_user

from app import settings
from app.blueprints.customers import bp
from app.blueprints.customers.forms import ImportUploadForm
from app.customers.access import get_by_id
from app.customers.csv_import import (
    MAX_BYTES, TARGETS, ImportFileError, apply, read_csv, suggest_mapping, validate,
)
from app.extensions import db
from app.models import CustomerImport, utcnow
from app.web.auth import requires
from app.web.endings import see_other
from app.web.render import render

PREVIEW_ROWS = 5


def _get_import(import_id: int) -> CustomerImport:
    upload = get_by_id(CustomerImport, import_id)
    if upload is None or upload.user_id != current_user.id or upload.state != "uploaded":
        abort(404)
    return upload


@bp.route("/import", methods=["GET", "POST"])
@requires("customers.import")
def import_upload():
    form = ImportUploadForm()
    error = None
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error = "Choose a CSV file to upload."
        else:
            raw = upload.stream.read(MAX_BYTES + 1)
            try:
                data = read_csv(raw, form.encoding.data)
            except ImportFileError as exc:
                error = str(exc)
            else:
                record = CustomerImport(user_id=current_user.id, data=data,
                                        filename=upload.filename[-200:],
                                        mapping=suggest_mapping(data["header"]))
                db.session.add(record)
                db.session.commit()
                return see_other(url_for("customers.import_map", import_id=record.id))
    elif request.method == "POST":
        error = "The form expired; please choose the file again."
    return render("customers/import_upload.html", form=form, error=error,
                           status=422 if error else 200)


@bp.route("/import/<int:import_id>", methods=["GET", "POST"])
@requires("customers.import")
def import_map(import_id: int):
    """Map each column to a field, with a preview of the first rows."""
    upload = _get_import(import_id)
    header = upload.data["header"]
    if request.method == "POST":
        upload.mapping = [request.form.get(f"col-{i}", "") if request.form.get(f"col-{i}", "")
                          in TARGETS else "" for i in range(len(header))]
        upload.mode = "update" if request.form.get("mode") == "update" else "skip"
        upload.updated_at = utcnow()  # even when nothing changed: the day counts from here
        db.session.commit()
        return see_other(url_for("customers.import_review", import_id=upload.id))
    return render("customers/import_map.html", upload=upload, header=header,
                           preview=upload.data["rows"][:PREVIEW_ROWS], targets=TARGETS,
                           total=len(upload.data["rows"]))


def _review(upload: CustomerImport):
    return validate(upload.data, upload.mapping, upload.mode,
                    settings.get("office.country"))


@bp.route("/import/<int:import_id>/review")
@requires("customers.import")
def import_review(import_id: int):
    upload = _get_import(import_id)
    return render("customers/import_review.html", upload=upload,
                           review=_review(upload), targets=TARGETS)


@bp.route("/import/<int:import_id>/confirm", methods=["POST"])
@requires("customers.import")
def import_confirm(import_id: int):
    """Apply every row in one transaction, or none of them."""
    upload = _get_import(import_id)
    review = _review(upload)
    if not review.ok:
        return render("customers/import_review.html", upload=upload, review=review,
                               targets=TARGETS, status=422)
    try:
        counts = apply(review, user=current_user, filename=upload.filename,
                       ip=request.remote_addr)
        upload.state, upload.summary, upload.data = "done", counts, None
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("customer import %s failed", upload.id)
        return see_other(url_for("customers.import_review", import_id=upload.id),
                         "The import failed and nothing was imported. Please try again.",
                         "error")
    return see_other(url_for("customers.index", sort="added"),
                     f"Imported {upload.filename}: {counts['created']} added, "
                     f"{counts['updated']} updated, {counts['skipped']} duplicates skipped.")
