"""Documents at rest: encrypted in the database and its backups, re-keyed by
`flask keys rotate`, restored by `flask backup restore`, gone with an erasure, and in
the customer's data export."""
from __future__ import annotations

import base64
import tarfile
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from app import backups
from app.customers.privacy import export_document
from app.models import Customer, Document, DocumentChunk
from tests.conftest import TEST_KEYS, csrf_token
from tests.documents import samples
from tests.documents.test_documents import count, only_document, upload
from tests.factories import make_customer


def _use_keys(app, keys):
    app.config["ENCRYPTION_KEYS"] = keys
    app.extensions.pop("fernet", None)


def _raw_chunks(db) -> list[str]:
    return list(db.session.scalars(sa.text("SELECT data FROM document_chunks ORDER BY id")))


def _raw_dump(db) -> bytes:
    """Every value in every table, as the database holds it (no type decoding)."""
    parts = []
    for table in db.metadata.sorted_tables:
        query = sa.select(*[sa.type_coerce(c, sa.Text) for c in table.columns])
        for row in db.session.execute(query):
            parts.extend(str(v) for v in row)
    return " ".join(parts).encode()


def _database_files(db) -> list[Path]:
    """The SQLite database and its write-ahead log, as on disk."""
    path = Path(db.engine.url.database)
    return [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]


def _uploaded(client, login_as, name="Passport Ada Lovelace.pdf", size=2_300_000):
    login_as("admin")
    customer = make_customer()
    data = samples.pdf(size)
    assert upload(client, customer, data, name).status_code == 200
    return customer, data


def test_neither_the_content_nor_the_name_is_stored_in_plain(app, db, client, login_as):
    customer, data = _uploaded(client, login_as)
    tokens = _raw_chunks(db)
    assert len(tokens) == 3 and all(t.startswith("gAAAAA") for t in tokens)
    dump = _raw_dump(db)
    assert samples.MARKER not in dump and b"Passport Ada" not in dump
    if db.engine.dialect.name == "sqlite":  # and not in the files themselves
        for path in _database_files(db):
            raw = path.read_bytes()
            assert samples.MARKER not in raw and b"Passport Ada" not in raw


def test_backup_restore_brings_the_document_back_identical(app, db, client, login_as,
                                                           tmp_path):
    customer, data = _uploaded(client, login_as)
    path, manifest = backups.create_backup(db.engine, tmp_path / "b.tar.gz")
    assert manifest["row_counts"]["document_chunks"] == 3
    with tarfile.open(path) as tar:
        dump = tar.extractfile(backups.DUMP_NAMES[db.engine.dialect.name]).read()
    assert samples.MARKER not in dump  # the backup holds ciphertext only
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "verify", str(path)]).exit_code == 0

    document = only_document(db)
    client.post(f"/documents/{document.id}/delete", data={"csrf_token": csrf_token(client)})
    assert count(db, DocumentChunk) == 0
    result = runner.invoke(args=["backup", "restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    db.session.remove()

    restored = only_document(db)
    assert restored.name == "Passport Ada Lovelace.pdf" and restored.size == len(data)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login_as("admin")
    assert client.get(f"/documents/{restored.id}/download").data == data


def test_rotated_keys_still_download_and_the_old_key_can_go(app, db, client, login_as):
    customer, data = _uploaded(client, login_as)
    before = _raw_chunks(db)
    new_key = Fernet.generate_key().decode()
    _use_keys(app, [new_key, *TEST_KEYS])
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "document_chunks.data: 3 re-encrypted" in result.output
    assert "documents.name: 1 re-encrypted" in result.output
    db.session.expire_all()
    after = _raw_chunks(db)
    assert set(after).isdisjoint(before)
    _use_keys(app, [new_key])  # the old key is gone
    db.session.expire_all()
    document = only_document(db)
    assert document.name == "Passport Ada Lovelace.pdf"
    assert client.get(f"/documents/{document.id}/download").data == data


def test_erasure_deletes_the_documents_and_their_bytes(app, db, client, login_as):
    customer, data = _uploaded(client, login_as)
    kept = make_customer()
    upload(client, kept, samples.png(), "other.png")
    doomed = db.session.scalars(sa.select(Document).filter_by(customer_id=customer.id)).one()
    tokens = [t for (t,) in db.session.execute(sa.text(
        "SELECT data FROM document_chunks WHERE document_id = :d"), {"d": doomed.id})]
    response = client.post(f"/customers/{customer.id}/erase", data={
        "csrf_token": csrf_token(client, f"/customers/{customer.id}/erase"),
        "confirm": "ERASE"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalars(sa.select(Document)).one().customer_id == kept.id
    assert count(db, DocumentChunk) == 1
    assert client.get(f"/documents/{doomed.id}/download").status_code == 404
    if db.engine.dialect.name == "sqlite":
        # secure_delete: the freed pages are zeroed, so once the log is checkpointed the
        # file holds no trace of the (encrypted) bytes.
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        raw = b"".join(p.read_bytes() for p in _database_files(db))
        assert not any(t[100:200].encode() in raw for t in tokens)


def test_the_data_export_holds_the_documents(app, db, client, login_as):
    customer, data = _uploaded(client, login_as, size=30_000)
    upload(client, customer, samples.png(), "id-card.png", identity=True)
    response = client.get(f"/customers/{customer.id}/export.json")
    documents = {d["name"]: d for d in response.json["documents"]}
    assert base64.b64decode(documents["Passport Ada Lovelace.pdf"]["content_base64"]) == data
    assert documents["id-card.png"]["identity"] is True
    assert documents["id-card.png"]["content_base64"]
    # Without customers.view_ids an identity scan is listed, its content left out.
    masked = export_document(db.session.get(Customer, customer.id), show_ids=False)
    by_name = {d["name"]: d for d in masked["documents"]}
    assert by_name["id-card.png"]["content_base64"] is None
    assert by_name["Passport Ada Lovelace.pdf"]["kind"] == "pdf"
