"""Documents on a customer file: upload (htmx with progress, or a plain form), download
as an attachment, delete after a confirmation page."""
from __future__ import annotations

from flask import Response, abort, current_app, request, stream_with_context, url_for
from flask_login import current_user

from app.blueprints.documents import bp
from app.documents.store import DocumentTooLarge, chunks, documents_for, remove, store
from app.documents.types import DocumentTypeError
from app.extensions import db
from app.web.auth import requires
from app.web.endings import audit_request, notify, see_other
from app.web.lookups import (get_changeable_customer_or_404,
                             get_document_or_404)
from app.web.render import attachment_disposition, is_partial, no_store, render

FILE_TEMPLATE = "customers/file.html"
# A download is never a page: nothing in it may run, load or be sniffed into HTML.
DOWNLOAD_CSP = "sandbox; default-src 'none'"


def _file_url(customer_id: int) -> str:
    return url_for("customers.show", customer_id=customer_id) + "#sec-documents"


def _section(customer, *, error: str | None = None, status: int = 200):
    """The file's Documents section (its fragment), or the file page without htmx."""
    return render(FILE_TEMPLATE, "documents", status=status, c=customer,
                  docs=documents_for(customer.id, current_user), doc_error=error)


@bp.route("/customers/<int:customer_id>/documents", methods=["GET", "POST"])
@requires("documents.upload")
def upload(customer_id: int):
    customer = get_changeable_customer_or_404(customer_id)
    if request.method == "GET":  # a reload after a plain-form refusal
        return see_other(_file_url(customer.id))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _refused(customer, "Choose a file to upload.")
    try:
        document = store(customer.id, upload.stream, upload.filename,
                         identity=request.form.get("identity") == "1", user=current_user,
                         max_bytes=current_app.config["DOCUMENT_MAX_BYTES"])
    except DocumentTooLarge:
        db.session.rollback()
        abort(413)
    except DocumentTypeError as exc:
        db.session.rollback()
        return _refused(customer, str(exc))  # 422: htmx swaps the form back in
    audit_request("document.uploaded", subject_type="customer", subject_id=customer.id,
                  details={"document_id": document.id, "kind": document.kind,
                           "size": document.size, "identity": document.identity},
                  summary=f"Document uploaded ({document.kind}, {document.size} bytes)")
    db.session.commit()
    if not is_partial():
        return see_other(_file_url(customer.id), f"{document.name} was added.")
    return notify(_section(customer), f"{document.name} was added.")


def _refused(customer, message: str):
    if not is_partial():
        return see_other(_file_url(customer.id), message, "error")
    return _section(customer, error=message, status=422)


@bp.route("/documents/<int:document_id>/download")
@requires("documents.view")
def download(document_id: int):
    document = get_document_or_404(document_id)
    audit_request("document.downloaded", subject_type="customer",
                  subject_id=document.customer_id,
                  details={"document_id": document.id, "identity": document.identity},
                  summary="Document downloaded")
    db.session.commit()
    response = Response(stream_with_context(chunks(document)), mimetype=document.mime)
    response.headers["Content-Disposition"] = attachment_disposition(document.name)
    response.headers["Content-Length"] = str(document.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return no_store(response)


@bp.route("/documents/<int:document_id>/delete", methods=["GET", "POST"])
@requires("documents.delete")
def delete(document_id: int):
    """A page asking to confirm (works without JavaScript); the POST deletes."""
    document = get_document_or_404(document_id)
    customer = get_changeable_customer_or_404(document.customer_id)
    if request.method == "GET":
        return render("documents/delete.html", c=customer, document=document)
    name, details = document.name, {"document_id": document.id, "kind": document.kind,
                                    "identity": document.identity}
    remove(document)
    audit_request("document.deleted", subject_type="customer", subject_id=customer.id,
                  details=details, summary="Document deleted")
    db.session.commit()
    return see_other(_file_url(customer.id), f"{name} was deleted.")
