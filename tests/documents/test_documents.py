"""Uploading, listing, downloading and deleting documents on a customer file."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.documents.store import clean_name
from app.models import AuditLog, Document, DocumentChunk
from app.web.render import attachment_disposition
from tests.conftest import csrf_token
from tests.documents import samples
from tests.factories import make_customer

HX = {"HX-Request": "true"}


def upload(client, customer, data: bytes, name: str, *, identity=False, htmx=True):
    form = {"csrf_token": csrf_token(client, f"/customers/{customer.id}"),
            "file": (io.BytesIO(data), name)}
    if identity:
        form["identity"] = "1"
    return client.post(f"/customers/{customer.id}/documents", data=form,
                       content_type="multipart/form-data", headers=HX if htmx else {})


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def only_document(db) -> Document:
    db.session.expire_all()
    return db.session.scalars(sa.select(Document)).one()


def test_staff_uploads_to_own_customer_and_downloads_the_same_bytes(db, client, login_as):
    staff = login_as("staff")
    customer = make_customer(owner=staff)
    data = samples.pdf(2_600_000)  # three chunks
    response = upload(client, customer, data, "Contract 2024.pdf")
    assert response.status_code == 200
    assert "Contract 2024.pdf" in response.text and 'id="sec-documents"' in response.text
    document = only_document(db)
    assert (document.kind, document.mime, document.size) == ("pdf", "application/pdf", len(data))
    assert document.uploaded_by_id == staff.id
    assert count(db, DocumentChunk) == 3
    page = client.get(f"/customers/{customer.id}").text
    assert f"/documents/{document.id}/download" in page and "Contract 2024.pdf" in page
    download = client.get(f"/documents/{document.id}/download")
    assert download.status_code == 200 and download.data == data


def test_without_javascript_the_upload_returns_to_the_file(db, client, login_as):
    login_as("billing")
    customer = make_customer()
    response = upload(client, customer, samples.png(), "scan.png", htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/customers/{customer.id}#sec-documents")
    assert only_document(db).kind == "png"


def test_a_pdf_named_txt_is_stored_as_a_pdf(db, client, login_as):
    login_as("billing")
    customer = make_customer()
    assert upload(client, customer, samples.pdf(), "notes.txt").status_code == 200
    document = only_document(db)
    assert (document.kind, document.mime) == ("pdf", "application/pdf")
    assert document.name == "notes.txt"


@pytest.mark.parametrize("data, name, words", [
    (samples.exe(), "invoice.pdf", "EXE file"),
    (samples.plain_zip(), "report.docx", "ZIP file"),
    (b"\x00\xff\x13garbage", "photo.jpg", "could not tell"),
])
def test_a_file_of_another_kind_is_refused_whatever_its_name(db, client, login_as, data,
                                                             name, words):
    login_as("billing")
    customer = make_customer()
    response = upload(client, customer, data, name)
    assert response.status_code == 422
    assert words in response.text and 'role="alert"' in response.text
    assert count(db, Document) == 0 and count(db, DocumentChunk) == 0
    plain = upload(client, customer, data, name, htmx=False)
    assert plain.status_code == 303
    assert words in client.get(plain.headers["Location"]).text


def test_no_file_chosen_is_a_clear_message(db, client, login_as):
    login_as("billing")
    customer = make_customer()
    response = client.post(f"/customers/{customer.id}/documents", headers=HX, data={
        "csrf_token": csrf_token(client, f"/customers/{customer.id}")})
    assert response.status_code == 422 and "Choose a file" in response.text


def test_a_file_over_the_cap_is_refused_and_nothing_is_stored(app, db, client, login_as):
    app.config["DOCUMENT_MAX_BYTES"] = 100_000
    login_as("billing")
    customer = make_customer()
    # The body is under the request cap (file cap + the multipart around it): the file
    # itself is counted while it is stored, and refused one chunk past the cap.
    response = upload(client, customer, samples.pdf(100_001), "big.pdf")
    assert response.status_code == 413
    assert "Documents are limited to 100 KB" in response.text
    assert count(db, Document) == 0 and count(db, DocumentChunk) == 0
    # A body declared larger than the request cap is refused before it is read.
    response = upload(client, customer, samples.pdf(400_000), "bigger.pdf")
    assert response.status_code == 413 and count(db, Document) == 0
    assert upload(client, customer, samples.pdf(100_000), "fits.pdf").status_code == 200
    assert only_document(db).size == 100_000


def test_the_cap_bounds_a_chunked_body_without_a_length(app, db, client, login_as):
    app.config["DOCUMENT_MAX_BYTES"] = 100_000
    login_as("billing")
    customer = make_customer()
    token = csrf_token(client, f"/customers/{customer.id}")
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() \
        + samples.pdf(300_000) + f"\r\n--{boundary}--\r\n".encode()
    response = client.post(  # no Content-Length: sent chunked
        f"/customers/{customer.id}/documents", input_stream=io.BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={**HX, "Transfer-Encoding": "chunked"},
        environ_base={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert count(db, Document) == 0 and count(db, DocumentChunk) == 0


def test_download_is_an_attachment_that_nothing_renders(db, client, login_as):
    login_as("billing")
    customer = make_customer()
    upload(client, customer, samples.pdf(), "Reisepass Müller; 2024.pdf")
    response = client.get(f"/documents/{only_document(db).id}/download")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"Reisepass M_ller_ 2024.pdf\"; "
        "filename*=UTF-8''Reisepass%20M%C3%BCller%3B%202024.pdf")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == \
        "sandbox; default-src 'none'; frame-ancestors 'none'"  # the last from every answer
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("name, kept", [
    ("C:\\Users\\ada\\scan.pdf", "scan.pdf"), ("../../etc/passwd", "passwd"),
    ("bad\r\nname\x00.pdf", "badname.pdf"), ("...", "document.pdf"), ("", "document.pdf"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
])
def test_a_file_name_keeps_no_folders_or_control_characters(name, kept):
    assert clean_name(name, "pdf") == kept


def test_the_disposition_header_cannot_be_broken_out_of():
    header = attachment_disposition('a"; filename=evil.html\r\nX-Bad: 1\\/%.pdf')
    assert header == ("attachment; filename=\"a__ filename=evil.html__X-Bad: 1___.pdf\"; "
                      "filename*=UTF-8''a%22%3B%20filename%3Devil.html%0D%0AX-Bad%3A%201%5C%2F%25.pdf")
    assert attachment_disposition("Ωμέγα") == \
        "attachment; filename=\"_____\"; filename*=UTF-8''%CE%A9%CE%BC%CE%AD%CE%B3%CE%B1"


def test_text_downloads_as_text_attachment(db, client, login_as):
    login_as("billing")
    customer = make_customer()
    upload(client, customer, b"<script>alert(1)</script>\n", "page.html")
    document = only_document(db)
    assert document.kind == "txt"  # HTML is text here; it is never served as HTML
    response = client.get(f"/documents/{document.id}/download")
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_staff_cannot_reach_another_staff_members_customer(db, client, login_as, make_user):
    other = make_user("staff")
    customer = make_customer(owner=other)
    login_as("billing")
    upload(client, customer, samples.pdf(), "theirs.pdf")
    document = only_document(db)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login_as("staff")
    assert client.get(f"/documents/{document.id}/download").status_code == 404
    assert client.get(f"/documents/{document.id}/delete").status_code == 404
    assert client.post(f"/documents/{document.id}/delete", data={
        "csrf_token": csrf_token(client)}).status_code == 404
    response = client.post(f"/customers/{customer.id}/documents", data={
        "csrf_token": csrf_token(client), "file": (io.BytesIO(samples.pdf()), "x.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 404
    assert count(db, Document) == 1


def test_identity_scans_follow_view_ids(db, client, login_as):
    login_as("billing")
    customer = make_customer()
    upload(client, customer, samples.png(), "passport-scan.png", identity=True)
    upload(client, customer, samples.pdf(), "contract.pdf")
    scan = db.session.scalars(sa.select(Document).filter_by(identity=True)).one()
    contract = db.session.scalars(sa.select(Document).filter_by(identity=False)).one()
    page = client.get(f"/customers/{customer.id}").text
    assert "passport-scan.png" in page and "identity document" in page
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login_as("viewer")  # reads every file, but not identification numbers
    page = client.get(f"/customers/{customer.id}").text
    assert "passport-scan.png" not in page and f"/documents/{scan.id}/" not in page
    assert "1 identity document, hidden" in page
    assert "contract.pdf" in page
    assert client.get(f"/documents/{scan.id}/download").status_code == 404
    assert client.get(f"/documents/{contract.id}/download").status_code == 200
    assert 'data-testid="document-upload"' not in page  # viewers only read
    assert upload(client, customer, samples.pdf(), "x.pdf").status_code == 403
    assert client.get(f"/documents/{contract.id}/delete").status_code == 403


def test_upload_download_and_delete_are_audited(db, client, login_as):
    user = login_as("billing")
    customer = make_customer()
    upload(client, customer, samples.pdf(), "Secret name.pdf")
    document = only_document(db)
    client.get(f"/documents/{document.id}/download")
    confirm = client.get(f"/documents/{document.id}/delete")
    assert confirm.status_code == 200 and "Delete the document" in confirm.text
    response = client.post(f"/documents/{document.id}/delete",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert count(db, Document) == 0 and count(db, DocumentChunk) == 0
    entries = db.session.scalars(sa.select(AuditLog).where(
        AuditLog.action.like("document.%")).order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["document.uploaded", "document.downloaded",
                                          "document.deleted"]
    assert all(e.user_id == user.id and e.subject_type == "customer"
               and e.subject_id == customer.id for e in entries)
    assert entries[0].details["document_id"] == document.id
    assert not any("Secret name" in (e.summary or "") + str(e.details) for e in entries)


def test_an_erased_customer_takes_no_documents(db, client, login_as):
    login_as("admin")
    customer = make_customer()
    client.post(f"/customers/{customer.id}/erase", data={
        "csrf_token": csrf_token(client, f"/customers/{customer.id}/erase"), "confirm": "ERASE"})
    assert upload(client, customer, samples.pdf(), "x.pdf").status_code == 409
    assert count(db, Document) == 0
