"""Backups on the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""
from __future__ import annotations

import io
import json
import tarfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import backups
from app.models import Customer, CustomerIdentifier, Tag


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _customer_with_id_number(db, number: str = "DE123456789") -> Customer:
    customer = Customer(first_name="Ada", last_name="Lovelace")
    customer.identifiers.append(CustomerIdentifier(kind="VAT", value=number,
                                                   last4=number[-4:]))
    db.session.add(customer)
    db.session.commit()
    return customer


def _rewrite(path: Path, out: Path, *, dump: bytes | None = None,
             manifest_changes: dict | None = None) -> Path:
    """Copy a backup archive, replacing the dump bytes and/or manifest fields."""
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members[backups.MANIFEST])
    manifest.update(manifest_changes or {})
    members[backups.MANIFEST] = json.dumps(manifest).encode()
    if dump is not None:
        members[manifest["dump"]] = dump
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def test_backup_made_during_writes_verifies(app, db, tmp_path):
    """Rows committed while the backup runs are either wholly in it or wholly not."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    tags = db.metadata.tables["tags"]
    stop, written = threading.Event(), []

    def write():
        n = 0
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(tags.insert().values(name=f"tag-{n}"))
            written.append(n)
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        path, manifest = backups.create_backup(db.engine, tmp_path / "during.tar.gz")
        before_stop = len(written)
    finally:
        stop.set()
        writer.join()
        engine.dispose()
    assert 20 <= manifest["row_counts"]["tags"] <= len(written)
    assert len(written) > 20 and before_stop >= 20

    verdict = backups.verify_backup(db.engine, path)
    assert verdict.ok, verdict.problems
    assert verdict.restored_counts["tags"] == manifest["row_counts"]["tags"]
    assert manifest["database"] == db.engine.dialect.name
    assert manifest["schema_revision"] in backups.code_heads()
    assert len(manifest["dump_sha256"]) == 64 and manifest["app_version"] not in ("", "unknown")
    assert manifest["created_at"].endswith("Z")


def test_cli_create_uses_default_name_and_verify_says_verified(app, db, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "bk")
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", "create"])
    assert made.exit_code == 0, made.output
    [path] = backups.list_backups(tmp_path / "bk")
    assert path.stat().st_mode & 0o077 == 0  # not readable by other users
    checked = runner.invoke(args=["backup", "verify", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "VERIFIED" in checked.output


def test_tampered_dump_fails_verification(app, db, tmp_path):
    _customer_with_id_number(db)
    path, _ = backups.create_backup(db.engine, tmp_path / "good.tar.gz")
    with tarfile.open(path) as tar:
        dump = bytearray(tar.extractfile(backups.DUMP_NAMES[db.engine.dialect.name]).read())
    dump[len(dump) // 2] ^= 0xFF
    bad = _rewrite(path, tmp_path / "bad.tar.gz", dump=bytes(dump))

    verdict = backups.verify_backup(db.engine, bad)
    assert not verdict.ok and "checksum mismatch" in verdict.problems[0]
    result = app.test_cli_runner().invoke(args=["backup", "verify", str(bad)])
    assert result.exit_code == 1 and "FAILED" in result.output


def test_manifest_with_wrong_counts_fails_verification(app, db, tmp_path):
    _customer_with_id_number(db)
    path, manifest = backups.create_backup(db.engine, tmp_path / "good.tar.gz")
    counts = dict(manifest["row_counts"], customers=manifest["row_counts"]["customers"] + 1)
    bad = _rewrite(path, tmp_path / "bad.tar.gz", manifest_changes={"row_counts": counts})
    verdict = backups.verify_backup(db.engine, bad)
    assert not verdict.ok
    assert verdict.problems == ["customers: manifest 2 rows, restored 1"]


def test_not_a_backup_is_a_clear_error(app, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    result = app.test_cli_runner().invoke(args=["backup", "verify", str(junk)])
    assert result.exit_code == 1 and "not a Clientele backup" in result.output


def test_restore_round_trip_decrypts_identification_numbers(app, db, tmp_path):
    customer = _customer_with_id_number(db, "DE987654321")
    path, _ = backups.create_backup(db.engine, tmp_path / "b.tar.gz")
    # The dump holds ciphertext, never the number itself.
    with tarfile.open(path) as tar:
        raw = tar.extractfile(backups.DUMP_NAMES[db.engine.dialect.name]).read()
    assert b"DE987654321" not in raw

    db.session.delete(customer)
    db.session.add(Tag(name="after-the-backup"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["backup", "restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output

    db.session.remove()
    assert _count(db, Tag) == 0
    restored = db.session.scalars(sa.select(CustomerIdentifier)).one()
    assert restored.value == "DE987654321" and restored.customer.last_name == "Lovelace"
    stored = db.session.scalar(sa.text("SELECT value FROM customer_identifiers"))
    assert stored.startswith("gAAAAA")  # still a Fernet token at rest
    # Sequences come back too: a new row gets a fresh id.
    db.session.add(Customer(first_name="New"))
    db.session.commit()


def test_restore_with_wrong_keys_cannot_read_the_numbers(app, db, tmp_path):
    from cryptography.fernet import Fernet

    _customer_with_id_number(db)
    path, _ = backups.create_backup(db.engine, tmp_path / "b.tar.gz")
    assert app.test_cli_runner().invoke(
        args=["backup", "restore", "--yes", str(path)]).exit_code == 0
    db.session.remove()
    app.config["ENCRYPTION_KEYS"] = [Fernet.generate_key().decode()]
    app.extensions.pop("fernet", None)
    with pytest.raises(Exception, match="ENCRYPTION_KEYS"):
        db.session.scalars(sa.select(CustomerIdentifier)).one()


def test_restore_asks_first_and_no_changes_nothing(app, db, tmp_path):
    path, _ = backups.create_backup(db.engine, tmp_path / "b.tar.gz")
    db.session.add(Tag(name="keep-me"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(path)], input="n\n")
    assert result.exit_code != 0 and "Replace EVERYTHING" in result.output
    assert _count(db, Tag) == 1


@pytest.mark.parametrize("change, message", [
    ({"manifest_changes": {"schema_revision": "9999_from_the_future"}},
     "newer than this code"),
    ({"dump": b"garbage"}, "checksum"),
], ids=["schema-from-newer-code", "tampered-dump"])
def test_restore_refuses_and_changes_nothing(app, db, tmp_path, change, message):
    path, _ = backups.create_backup(db.engine, tmp_path / "b.tar.gz")
    refused = _rewrite(path, tmp_path / "refused.tar.gz", **change)
    db.session.add(Tag(name="keep-me"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["backup", "restore", "--yes", str(refused)])
    assert result.exit_code != 0 and message in result.output
    assert _count(db, Tag) == 1


def test_scheduled_backup_is_registered_and_prunes_to_keep(app, db, tmp_path):
    from app.jobs.backups import make_scheduled_backup
    from app.jobs.schedule import SCHEDULE

    assert "app.jobs.backups.make_scheduled_backup" in {job.func for job in SCHEDULE}
    directory = tmp_path / "bk"
    directory.mkdir()
    app.config.update(BACKUP_DIR=str(directory), BACKUP_KEEP=3, BACKUP_EVERY_SECONDS=86400)
    old = [directory / f"clientele-2020010{d}T030000Z.tar.gz" for d in range(1, 5)]
    for path in old:
        path.write_bytes(b"old")
    unrelated = directory / "keep-me.tar.gz"
    unrelated.write_bytes(b"mine")

    assert "backup written" in make_scheduled_backup()
    remaining = backups.list_backups(directory)
    assert len(remaining) == 3 and remaining[:2] == old[2:]
    assert backups.verify_backup(db.engine, remaining[-1]).ok
    assert unrelated.exists()

    assert "not due" in make_scheduled_backup()
    later = datetime.now(timezone.utc) + timedelta(days=1)
    assert "backup written" in make_scheduled_backup(now=later)
    assert len(backups.list_backups(directory)) == 3

    app.config["BACKUP_EVERY_SECONDS"] = 0
    assert "off" in make_scheduled_backup(now=later + timedelta(days=5))


def test_default_names_never_collide(tmp_path):
    now = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    first = backups.default_backup_path(tmp_path, now)
    first.write_bytes(b"x")
    second = backups.default_backup_path(tmp_path, now)
    assert first.name == "clientele-20240506T070809Z.tar.gz"
    assert second.name == "clientele-20240506T070809Z-1.tar.gz"
    second.write_bytes(b"x")
    assert backups.list_backups(tmp_path) == [first, second]


def test_postgres_restore_as_a_role_that_does_not_own_pg_trgm(app, db, tmp_path):
    """Where a DBA created the extension, the app's own role can still restore."""
    import uuid

    from tests.conftest import _migrate

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    suffix = uuid.uuid4().hex[:8]
    role, name = f"clientele_app_{suffix}", f"clientele_role_{suffix}"
    admin = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}" OWNER "{role}"'))
    dba = sa.create_engine(db.engine.url.set(database=name), isolation_level="AUTOCOMMIT")
    with dba.connect() as conn:
        conn.execute(sa.text("CREATE EXTENSION pg_trgm"))  # owned by the superuser
    dba.dispose()
    app_url = db.engine.url.set(username=role, password=None, database=name)
    engine = sa.create_engine(app_url)
    try:
        _migrate(app_url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO tags (name) VALUES ('kept')"))
        path, _ = backups.create_backup(engine, tmp_path / "b.tar.gz")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO tags (name) VALUES ('after')"))
        backups.restore_backup(engine, path)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM tags")).scalars().all() == ["kept"]
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
