"""CSV import: good rows, bad rows, duplicates, hostile files; never half-imported."""
from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
from datetime import timedelta

import pytest

from app import backups
from app.customers.contacts import duplicate_index
from app.customers.csv_import import read_csv, suggest_mapping
from app.models import AuditLog, Customer, CustomerEmail, CustomerImport, Note, utcnow
from tests.conftest import csrf_token
from tests.factories import make_customer

GOOD = (
    "Name,Company,Email,Phone,Tags,Country,Marketing,VAT number,Notes\n"
    "Grace Hopper,,grace@example.com,020 7946 0958,vip; navy,GB,yes,GB123456789,Met at expo\n"
    "Alan Turing,Bletchley Ltd,alan@example.com,+44 20 7946 0001,,gb,no,,\n"
    ",Acme GmbH,info@acme.example,+49 30 901820,wholesale,DE,,,\n"
)


def _count(db, model=Customer) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def _upload(client, content: bytes | str, name="customers.csv", encoding="utf-8"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return client.post("/customers/import", data={
        "csrf_token": csrf_token(client, "/customers/import"), "encoding": encoding,
        "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def _import_id(response) -> int:
    assert response.status_code == 303, response.text[:1500]
    return int(re.search(r"/import/(\d+)", response.headers["Location"]).group(1))


def _map(client, import_id, mode="skip", mapping=None):
    page = client.get(f"/customers/import/{import_id}")
    data = {"csrf_token": csrf_token(client, "/customers/import"), "mode": mode}
    selected = re.findall(r'<select name="(col-\d+)"[^>]*>(.*?)</select>', page.text, re.S)
    for name, options in selected:
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        data[name] = chosen.group(1) if chosen else ""
    data.update(mapping or {})
    response = client.post(f"/customers/import/{import_id}", data=data)
    assert response.status_code == 303
    return client.get(response.headers["Location"])


def _confirm(client, import_id):
    return client.post(f"/customers/import/{import_id}/confirm",
                       data={"csrf_token": csrf_token(client, "/customers/import")})


def test_suggested_mapping():
    header = ["Name", "Company", "E-mail", "Email 2", "Mobile", "Postcode", "Mystery", "Name"]
    assert suggest_mapping({"header": header, "rows": []}) == ["full_name", "company", "email", "email", "phone",
                                       "postal_code", "", ""]


def test_good_rows_are_imported_after_confirmation(client, login_as, db):
    login_as("admin")
    import_id = _import_id(_upload(client, GOOD))
    mapping_page = client.get(f"/customers/import/{import_id}")
    assert "Grace Hopper" in mapping_page.text and "3 rows found" in mapping_page.text
    review = _map(client, import_id)
    assert review.status_code == 200
    assert 'data-testid="count-create">3<' in review.text
    assert _count(db) == 0  # nothing before confirmation
    done = _confirm(client, import_id)
    assert done.status_code == 303
    grace = db.session.scalars(db.select(Customer).filter_by(last_name="Hopper")).one()
    assert grace.first_name == "Grace" and grace.phones[0].e164 == "+442079460958"
    assert grace.identifiers[0].value == "GB123456789" and grace.marketing_consent
    assert sorted(t.name for t in grace.tags) == ["navy", "vip"]
    acme = db.session.scalars(db.select(Customer).filter_by(company="Acme GmbH")).one()
    assert acme.kind == "company" and acme.addresses[0].country == "DE"
    assert db.session.scalars(db.select(Note)).one().body == "Met at expo"
    assert _count(db) == 3
    upload = db.session.get(CustomerImport, import_id)
    assert upload.state == "done" and upload.data is None  # rows don't linger
    back = client.get(f"/customers/import/{import_id}")  # Back: the import's page
    assert back.status_code == 303 and back.headers["Location"].endswith(
        f"/customers/import/{import_id}/status")
    assert "3</strong> added" in client.get(back.headers["Location"]).text
    actions = db.session.scalars(db.select(AuditLog.action)).all()
    assert actions.count("customer.imported") == 3 and "customers.imported" in actions


def test_bad_rows_are_listed_and_block_the_file_until_set_aside(client, login_as, db):
    login_as("admin")
    content = (
        "First name,Last name,Email,Phone,Status,Owner,Country\n"
        "Ada,Lovelace,ada@example.com,,active,,GB\n"
        ",,nobody@example.com,,,,\n"
        "Bad,Email,not-an-email,,,,\n"
        "Bad,Phone,,12345,,,\n"
        "Bad,Status,,,sleeping,,\n"
        "Bad,Owner,,,,ghost@example.com,\n"
        "Bad,Country,,,,,Narnia\n"
        "Same,Email,ADA@example.com,,,,\n"
    )
    import_id = _import_id(_upload(client, content))
    review = _map(client, import_id)
    assert 'data-testid="count-errors">7<' in review.text
    for message in ("No name", "not a valid email address", "not a valid phone number",
                    "Status “sleeping”", "not a user of Clientele", "Country “Narnia”",
                    "ada@example.com is also on line 2"):
        assert message in review.text, message
    assert "Import 1 customers and set 7 aside" in review.text
    refused = _confirm(client, import_id)  # without choosing to set them aside
    assert refused.status_code == 422
    assert _count(db) == 0
    done = client.post(f"/customers/import/{import_id}/confirm", data={
        "csrf_token": csrf_token(client, "/customers/import"), "skip_problems": "1"})
    assert done.status_code == 303
    assert db.session.scalars(db.select(Customer.last_name)).all() == ["Lovelace"]
    status = client.get(done.headers["Location"])
    assert 'data-testid="done-problems">7<' in status.text
    download = client.get(f"/customers/import/{import_id}/skipped.csv")
    assert download.status_code == 200 and download.data.startswith("\ufeff".encode())
    lines = download.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Line,Problem,First name,Last name,Email,Phone,Status,Owner,Country"
    assert [line.split(",")[0] for line in lines[1:]] == ["3", "4", "5", "6", "7", "8", "9"]
    assert "Country “Narnia”" in lines[6] and lines[6].endswith(",Narnia")


def test_duplicates_skip_or_update(client, login_as, db):
    login_as("admin")
    existing = make_customer(first_name="Grace", last_name="Hopper",
                             emails=("grace@example.com",))
    import_id = _import_id(_upload(client, GOOD))
    review = _map(client, import_id, mode="skip")
    assert 'data-testid="count-skip">1<' in review.text
    assert 'data-testid="count-create">2<' in review.text
    _confirm(client, import_id)
    assert _count(db) == 3
    db.session.expire_all()
    assert db.session.get(Customer, existing.id).phones == []  # untouched

    import_id = _import_id(_upload(client, GOOD))
    review = _map(client, import_id, mode="update")
    assert 'data-testid="count-update">3<' in review.text
    _confirm(client, import_id)
    db.session.expire_all()
    grace = db.session.get(Customer, existing.id)
    assert [p.e164 for p in grace.phones] == ["+442079460958"]
    assert [e.address for e in grace.emails] == ["grace@example.com"]
    assert _count(db) == 3


def test_an_erased_customer_is_no_duplicate_but_a_live_one_sharing_the_value_is(db):
    # The look-up reads addresses and numbers first and the erased customers after: the
    # live customer must win whichever of the two the database lists first.
    erased = make_customer(emails=("shared@example.com", "gone@example.com"),
                           phones=("020 7946 0111",), erased_at=utcnow())
    live = make_customer(emails=("shared@example.com",))
    known = duplicate_index({"shared@example.com", "gone@example.com", "new@example.com"},
                            {"+442079460111"})
    assert known == {"shared@example.com": live.id}
    assert erased.id not in known.values()


def test_missing_name_column_is_explained(client, login_as, db):
    login_as("admin")
    import_id = _import_id(_upload(client, "Email,Phone\na@example.com,\n"))
    review = _map(client, import_id)
    assert "Choose the column with the name" in review.text
    assert _confirm(client, import_id).status_code == 422


@pytest.mark.parametrize("content,message", [
    (b"", "The file is empty."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, "binary data"),
    ("Name,Email\nJosé,jose@example.com\n".encode("cp1252"), "not UTF-8"),
    (b"Name,Email\n", "no customers below it"),
    (b"\n\n\n", "The file is empty."),
    (b'Name,Email\n"' + b"x" * 200_000 + b'",a@b.c\n', "could not be read as CSV"),
    (b",".join([b"c%d" % i for i in range(100)]) + b"\n1,2\n", "columns"),
    (b"Name\n" + b"row\n" * 10_002, "more than 10,000 rows"),
])
def test_hostile_files_get_a_clear_message(client, login_as, db, content, message):
    login_as("admin")
    response = _upload(client, content)
    assert response.status_code == 422
    assert message in response.text
    assert _count(db, CustomerImport) == 0


def test_windows_encoding_can_be_chosen(client, login_as, db):
    login_as("admin")
    content = "Name,Email\nJosé Núñez,jose@example.com\n".encode("cp1252")
    import_id = _import_id(_upload(client, content, encoding="cp1252"))
    assert "José Núñez" in client.get(f"/customers/import/{import_id}").text


def test_huge_upload_is_refused_before_reading(client, login_as, db, app):
    from app.web.limits import UPLOAD_BODY

    login_as("admin")
    token = csrf_token(client, "/customers/import")
    response = client.post("/customers/import", data={
        "csrf_token": token, "file": (io.BytesIO(b"x" * (UPLOAD_BODY + 1)),
                                      "big.csv")}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "Files are limited to 5 MB" in response.text


@pytest.mark.parametrize("where", ["python", "database"])
def test_a_row_that_fails_while_saving_is_set_aside_whole(client, login_as, db,
                                                           monkeypatch, where):
    """A failure writing one row (here a planted one: an exception while it is built, or
    a value the database refuses after its customer row went in) leaves no part of it,
    and the rows before and after it are imported."""
    from app.customers import csv_import as customer_import

    login_as("admin")
    import_id = _import_id(_upload(client, GOOD))
    _map(client, import_id)
    original = customer_import._fill

    def failing(customer, record, *args, **kwargs):
        original(customer, record, *args, **kwargs)  # half-built, then it fails
        if record.get("last_name") == "Turing":
            if where == "python":
                raise RuntimeError("disk full")
            customer.addresses[0].country = None  # NOT NULL: the addresses' INSERT/COPY fails

    monkeypatch.setattr(customer_import, "_fill", failing)
    response = _confirm(client, import_id)
    assert response.status_code == 303
    names = sorted(db.session.scalars(db.select(Customer.sort_name)))
    assert names == ["acme gmbh", "hopper, grace"]
    assert not db.session.scalars(db.select(Customer).where(
        Customer.search_text.contains("alan@example.com"))).all()
    assert not db.session.scalars(db.select(CustomerEmail).filter_by(
        address="alan@example.com")).all()
    upload = db.session.get(CustomerImport, import_id)
    assert upload.state == "done"
    assert upload.summary["created"] == 2 and upload.summary["problems"] == 1
    [(line, reason, *cells)] = upload.skipped["rows"]
    assert line == 3 and "could not be saved" in reason and cells[0] == "Alan Turing"
    audited = db.session.scalars(db.select(AuditLog.summary)
                                 .where(AuditLog.action == "customer.imported")).all()
    assert len(audited) == 2 and not any("line 3" in a for a in audited)


def test_uploads_belong_to_their_uploader(client, login_as, db, make_user):
    from tests.conftest import login

    login_as("admin")
    import_id = _import_id(_upload(client, GOOD))
    other = make_user("admin")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, other.email)
    assert client.get(f"/customers/import/{import_id}").status_code == 404
    assert _confirm(client, import_id).status_code == 404


def test_read_csv_semicolons_and_bom():
    data = read_csv("\ufeffName;Email\nAda;ada@example.com\n".encode("utf-8"))
    assert data == {"header": ["Name", "Email"], "rows": [["Ada", "ada@example.com"]]}



# Values that appear nowhere else in the test database, so a hit can only come from the
# upload (SQLite's free pages keep earlier tests' rows).
SECRET_CSV = ("Name,Email,VAT number,Notes\n"
              "Wilhelmina Quarrington,wq.import@example.org,ZZ4711081542,Owes us a favour\n")
SECRETS = ("Wilhelmina", "Quarrington", "wq.import@example.org", "ZZ4711081542",
           "Owes us a favour")


def _raw_imports(db) -> list[tuple]:
    """Every column of every row of customer_imports, as stored (plain SQL, no ORM)."""
    return [tuple(row) for row in db.session.execute(db.text("SELECT * FROM customer_imports"))]


def _readable_dump(db, path) -> bytes:
    """The backup's dump as a reader would search it (pg_dump's own format is compressed)."""
    with tarfile.open(path) as tar:
        dump = tar.extractfile(backups.DUMP_NAMES[db.engine.dialect.name]).read()
    if db.engine.dialect.name != "postgresql":
        return dump
    archive = path.with_name("database.pgdump")
    archive.write_bytes(dump)
    return subprocess.run(["pg_restore", "--file=-", str(archive)], check=True,
                          capture_output=True).stdout


def test_an_import_waiting_for_confirmation_is_unreadable_at_rest(app, client, login_as, db,
                                                                  tmp_path):
    login_as("admin")
    import_id = _import_id(_upload(client, SECRET_CSV))
    assert "Wilhelmina Quarrington" in client.get(f"/customers/import/{import_id}").text
    assert 'data-testid="count-create">1<' in _map(client, import_id).text
    [row] = _raw_imports(db)
    stored = " ".join(str(value) for value in row)
    assert [s for s in SECRETS if s in stored] == []

    app.config["BACKUP_DIR"] = str(tmp_path / "bk")
    made = app.test_cli_runner().invoke(args=["backup", "create"])
    assert made.exit_code == 0, made.output
    [path] = backups.list_backups(tmp_path / "bk")
    dump = _readable_dump(db, path)
    assert b"customer_imports" in dump
    assert [s for s in SECRETS if s.encode() in dump] == []

    assert _confirm(client, import_id).status_code == 303  # the flow still ends well
    customer = db.session.scalars(db.select(Customer).filter_by(last_name="Quarrington")).one()
    assert customer.identifiers[0].value == "ZZ4711081542"


def test_a_confirmed_import_keeps_its_summary_and_no_rows(client, login_as, db):
    login_as("admin")
    import_id = _import_id(_upload(client, SECRET_CSV))
    _map(client, import_id)
    assert _confirm(client, import_id).status_code == 303
    data, summary = db.session.execute(db.text(
        "SELECT data, summary FROM customer_imports WHERE id = :id"), {"id": import_id}).one()
    assert data is None
    summary = json.loads(summary) if isinstance(summary, str) else summary
    assert summary == {"created": 1, "updated": 0, "skipped": 0, "problems": 0}


def test_mapping_an_upload_keeps_it_another_day(client, login_as, db):
    from app.customers.csv_import import forget_abandoned

    login_as("admin")
    import_id = _import_id(_upload(client, SECRET_CSV))
    then = utcnow() - timedelta(hours=25)
    db.session.execute(db.update(CustomerImport).values(created_at=then, updated_at=then))
    db.session.commit()
    _map(client, import_id)
    forget_abandoned()
    db.session.commit()
    assert _confirm(client, import_id).status_code == 303
