"""Request limits (`app/web/limits.py`): one cap per request, whatever its encoding, and
the largest legitimate forms well inside them."""
from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import pytest

from app.web import limits
from tests.blueprints.helpers import invoice_form
from tests.conftest import csrf_token
from tests.factories import make_customer

TEN_MB = 10 * 1024 * 1024


@pytest.mark.parametrize("path", ["/customers/new", "/invoices/new", "/admin/users/new",
                                  "/customers/import"])
def test_ten_megabytes_get_413_urlencoded_and_multipart(client, login_as, path):
    login_as("admin")
    token = csrf_token(client)
    urlencoded = client.post(path, data={"csrf_token": token, "name": "x" * TEN_MB})
    assert urlencoded.status_code == 413, path
    multipart = client.post(path, data={"csrf_token": token,
                                        "file": (io.BytesIO(b"x" * TEN_MB), "big.csv")},
                            content_type="multipart/form-data")
    assert multipart.status_code == 413, path
    assert "Nothing was saved" in urlencoded.text or "Files are limited" in urlencoded.text


def test_a_large_body_is_refused_before_login_and_for_anyone(app):
    anonymous = app.test_client()
    for path in ("/login", "/no/such/page", "/t/o/x.gif"):
        response = anonymous.post(path, data={"email": "x" * TEN_MB})
        assert response.status_code == 413, path
        assert response.headers["X-Frame-Options"] == "DENY"


def test_a_file_is_not_accepted_by_a_form_that_takes_none(client, login_as):
    """Only the import takes files: 3 MB is over a form's cap and under the upload's."""
    login_as("admin")
    token = csrf_token(client)
    three_mb = b"x" * (3 * 1024 * 1024)
    assert client.post("/customers/new", data={"csrf_token": token,
                                               "file": (io.BytesIO(three_mb), "a.csv")},
                       content_type="multipart/form-data").status_code == 413
    upload = client.post("/customers/import", data={"csrf_token": token,
                                                    "file": (io.BytesIO(three_mb), "a.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 422  # read, and refused for what it holds, not its size
    assert "Files are limited" not in upload.text


def test_a_chunked_body_over_the_cap_is_refused_not_cut(client, login_as):
    login_as("admin")
    body = urlencode({"csrf_token": csrf_token(client),
                      "name": "x" * limits.FORM_BODY}).encode()
    response = client.post("/customers/new", input_stream=io.BytesIO(body),
                           content_type="application/x-www-form-urlencoded",
                           headers={"Transfer-Encoding": "chunked"},
                           environ_base={"wsgi.input_terminated": True})
    assert response.status_code == 413


def test_too_many_fields_get_413_urlencoded_and_multipart(client, login_as):
    login_as("admin")
    data = {"csrf_token": csrf_token(client)}
    data.update({f"f{i}": "1" for i in range(limits.FORM_PARTS + 1)})
    assert client.post("/customers/new", data=data).status_code == 413
    assert client.post("/customers/new", data=data,
                       content_type="multipart/form-data").status_code == 413


def test_one_multipart_text_field_over_its_cap_is_413(client, login_as):
    login_as("admin")
    response = client.post("/customers/new", data={
        "csrf_token": csrf_token(client), "company": "x" * (limits.FORM_FIELD + 1)},
        content_type="multipart/form-data")
    assert response.status_code == 413


@pytest.mark.parametrize("content_type", [None, "multipart/form-data"])
def test_an_invoice_with_200_long_lines_is_saved(client, login_as, db, content_type):
    """The largest legitimate form: 200 lines of 500 two-byte characters, percent-encoded
    (~600 KB, ~810 fields) — well inside every cap, in both encodings."""
    from app.models import Invoice

    login_as("billing")
    customer = make_customer()
    lines = [("é" * 500, "1", f"{i}.00", "20") for i in range(1, 201)]
    data = invoice_form(client, customer, lines, action="save")
    assert len(urlencode(data).encode()) > 500_000
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.post("/invoices/new", data=data, **kwargs)
    assert response.status_code == 303, response.text[:500]
    invoice = db.session.scalars(db.select(Invoice)).one()
    assert len(invoice.lines) == 200


def test_the_import_mapping_form_with_the_most_columns_is_accepted(client, login_as, db):
    from app.customers.csv_import import MAX_COLUMNS
    from app.models import CustomerImport

    login_as("admin")
    header = ["Name", "Email"] + [f"Extra {i}" for i in range(MAX_COLUMNS - 2)]
    rows = [["Ada Lovelace", "ada@example.com"] + ["x" * 100] * (MAX_COLUMNS - 2)]
    content = "\n".join(",".join(r) for r in [header, *rows]).encode()
    uploaded = client.post("/customers/import", data={
        "csrf_token": csrf_token(client, "/customers/import"), "encoding": "utf-8",
        "file": (io.BytesIO(content), "wide.csv")}, content_type="multipart/form-data")
    assert uploaded.status_code == 303, uploaded.text[:800]
    import_id = int(re.search(r"/import/(\d+)", uploaded.headers["Location"]).group(1))
    data = {"csrf_token": csrf_token(client, "/customers/import"), "mode": "update"}
    data.update({f"col-{i}": "note" for i in range(2, MAX_COLUMNS)})
    data.update({"col-0": "full_name", "col-1": "email"})
    response = client.post(f"/customers/import/{import_id}", data=data)
    assert response.status_code == 303
    mapping = db.session.get(CustomerImport, import_id).mapping
    assert len(mapping) == MAX_COLUMNS and mapping[-1] == "note"
