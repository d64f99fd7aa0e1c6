"""CSV import: upload, map columns with a preview, review every row, confirm, follow it.

The upload lives in a `CustomerImport` row between the steps (never in the session
cookie), its rows encrypted; it belongs to the user who uploaded it, and only they see
its pages. Confirming imports a small file at once and hands a large one to the worker;
either way the user lands on the import's own page, which shows its progress and, at
the end, what was imported and the rows set aside (a CSV to download and correct). A
periodic job deletes an import nobody confirms within a day, and the rows set aside a
day after it finished.
"""
from __future__ import annotations

from flask import abort, make_response, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app import settings
from app import fields as custom_fields
from app.blueprints.customers import bp
from app.blueprints.customers.forms import ImportUploadForm
from app.customers import import_runs
from app.customers.access import get_by_id
from app.customers.csv_import import (
    KEEP_FOR, MAX_BYTES, ImportFileError, read_csv, suggest_mapping, targets, validate,
)
from app.customers.import_columns import ignored_email_warnings
from app.extensions import db
from app.models import CustomerImport, utcnow
from app.web.auth import requires
from app.web.endings import audit_request, see_other
from app.web.render import render

PREVIEW_ROWS = 3
HTMX_STOP_POLLING = 286


def _own_import(import_id: int) -> CustomerImport:
    """The current user's import in any state; 404 for anyone else's."""
    upload = get_by_id(CustomerImport, import_id)
    if upload is None or upload.user_id != current_user.id:
        abort(404)
    return upload


def _get_import(import_id: int) -> CustomerImport | None:
    """The user's import still being prepared, or None once confirmed (show its page)."""
    upload = _own_import(import_id)
    return upload if upload.state == "uploaded" else None


def _to_status(import_id: int):
    # Back (or a second click) after confirming: the import's own page, not a 404.
    return see_other(url_for("customers.import_status", import_id=import_id))


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
                                        mapping=suggest_mapping(
                                            data, custom_fields.fields_for(current_user)))
                db.session.add(record)
                db.session.commit()
                return see_other(url_for("customers.import_map", import_id=record.id))
    elif request.method == "POST":
        error = "The form expired; please choose the file again."
    recent = db.session.scalars(
        select(CustomerImport).where(CustomerImport.user_id == current_user.id,
                                     CustomerImport.state != "uploaded",
                                     CustomerImport.created_at > utcnow() - KEEP_FOR)
        .order_by(CustomerImport.id.desc()).limit(10)).all()
    return render("customers/import_upload.html", form=form, error=error, recent=recent,
                  status=422 if error else 200)


@bp.route("/import/<int:import_id>", methods=["GET", "POST"])
@requires("customers.import")
def import_map(import_id: int):
    """Map each column to a field, with a few values of each as a sample."""
    upload = _get_import(import_id)
    if upload is None:
        return _to_status(import_id)
    header = upload.data["header"]
    if request.method == "POST":
        known = _targets()
        upload.mapping = [request.form.get(f"col-{i}", "") if request.form.get(f"col-{i}", "")
                          in known else "" for i in range(len(header))]
        upload.mode = "update" if request.form.get("mode") == "update" else "skip"
        upload.updated_at = utcnow()  # even when nothing changed: the day counts from here
        db.session.commit()
        return see_other(url_for("customers.import_review", import_id=upload.id))
    rows = upload.data["rows"]
    samples = [[r[i] for r in rows if r[i].strip()][:PREVIEW_ROWS] for i in range(len(header))]
    return render("customers/import_map.html", upload=upload, header=header, samples=samples,
                  targets=_targets(), total=len(rows),
                  warnings=ignored_email_warnings(upload.data, upload.mapping))


def _targets() -> dict[str, str]:
    return targets(custom_fields.fields_for(current_user))


def _review(upload: CustomerImport):
    return validate(upload.data, upload.mapping, upload.mode,
                    settings.get("office.country"), custom_fields.fields_for(current_user))


def _review_page(upload: CustomerImport, review, status: int = 200):
    return render("customers/import_review.html", upload=upload, review=review,
                  targets=_targets(), warnings=ignored_email_warnings(upload.data, upload.mapping),
                  status=status)


@bp.route("/import/<int:import_id>/review")
@requires("customers.import")
def import_review(import_id: int):
    upload = _get_import(import_id)
    if upload is None:
        return _to_status(import_id)
    return _review_page(upload, _review(upload))


@bp.route("/import/<int:import_id>/confirm", methods=["POST"])
@requires("customers.import")
def import_confirm(import_id: int):
    """Import every good row; rows with problems block the file unless the user chose to
    set them aside. Small files now, large ones in the worker, which checks every row
    again itself (the database may have changed since the review)."""
    upload = _get_import(import_id)
    if upload is None:
        return _to_status(import_id)
    import_runs.confirm(upload, skip_problems=request.form.get("skip_problems") == "1")
    db.session.commit()
    if not import_runs.runs_inline(upload):
        import_runs.enqueue(upload.id)
        return _to_status(upload.id)
    try:
        state = import_runs.run(upload.id, settings.get("office.country"),
                                ip=request.remote_addr)
    except Exception:  # noqa: BLE001 - logged by run; the import's page says it stopped
        db.session.rollback()
        state = "failed"
    if state == "uploaded":  # refused: rows with problems, and no choice to set them aside
        return _review_page(upload, _review(upload), status=422)
    return _to_status(upload.id)


@bp.route("/import/<int:import_id>/status")
@requires("customers.import")
def import_status(import_id: int):
    """The import's page: its progress while it runs (htmx polls the block), then what
    happened. A page still being prepared goes back to its step."""
    upload = _own_import(import_id)
    if upload.state == "uploaded":
        return see_other(url_for("customers.import_review", import_id=upload.id))
    finished = upload.state not in import_runs.OPEN_STATES
    response = render("customers/import_status.html", "progress", upload=upload,
                      finished=finished)
    response.headers["Cache-Control"] = "no-store"
    if finished and request.headers.get("HX-Request"):
        response.status_code = HTMX_STOP_POLLING
    return response


@bp.route("/import/<int:import_id>/skipped.csv")
@requires("customers.import")
def import_skipped(import_id: int):
    """The rows set aside with their problems, for the user who imported the file."""
    upload = _own_import(import_id)
    if upload.state != "done" or not upload.skipped:
        abort(404)
    audit_request("customers.import_skipped_downloaded",
                  details={"file": upload.filename, "rows": len(upload.skipped["rows"])},
                  summary=f"Downloaded the rows set aside from {upload.filename}")
    db.session.commit()
    stem = upload.filename.rsplit(".", 1)[0] or "import"
    response = make_response(import_runs.skipped_csv(upload))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{_safe_filename(stem)}-rows-set-aside.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_filename(stem: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem)[:80] or "import"
