"""Captured mail at rest and in the customer's rights: encrypted, in backups, re-keyed,
exported, erased, moved by a merge."""
from __future__ import annotations

import tarfile

import sqlalchemy as sa
from cryptography.fernet import Fernet

from app import backups
from app.capture import access
from app.customers.merge import merge_customers, undo_merge
from app.customers.privacy import erase_customer, export_document
from app.documents.store import content, documents_for
from app.extensions import db
from app.models import CapturedMail, CapturedMailLink, Customer, CustomerMerge, Document
from tests.capture.mail import bcc, deliver
from tests.conftest import TEST_KEYS
from tests.documents import samples
from tests.factories import make_customer


def _filed_with_attachment(make_user, addresses=("ana@client.example",)):
    admin = make_user("admin")
    customers = [make_customer(emails=(a,)) for a in addresses]
    pdf = samples.pdf(1_500_000)  # two chunks
    deliver(bcc(admin.email, list(addresses), subject="Signed lease",
                attachments=[("lease.pdf", pdf, "application/pdf")]), admin)
    return admin, customers, pdf


def test_captured_mail_survives_backup_restore_and_key_rotation(app, make_user, tmp_path):
    admin, (ana,), pdf = _filed_with_attachment(make_user)
    path, manifest = backups.create_backup(db.engine, tmp_path / "b.tar.gz")
    assert manifest["row_counts"]["captured_mail"] == 1
    with tarfile.open(path) as tar:
        dump = tar.extractfile(backups.DUMP_NAMES[db.engine.dialect.name]).read()
    assert samples.MARKER not in dump and b"Signed lease" not in dump
    runner = app.test_cli_runner()
    # Lose it, then restore.
    for mail in db.session.scalars(sa.select(CapturedMail)):
        from app.capture import filing
        filing.remove(mail)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    result = runner.invoke(args=["backup", "restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    # Re-key everything, then drop the old key.
    new_key = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = [new_key, *TEST_KEYS]
    app.extensions.pop("fernet", None)
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "captured_mail.raw: 1 re-encrypted" in result.output
    app.config["ENCRYPTION_KEYS"] = [new_key]
    app.extensions.pop("fernet", None)
    db.session.expire_all()
    mail = db.session.scalars(sa.select(CapturedMail)).one()
    assert mail.subject == "Signed lease" and b"Signed lease" in mail.raw
    assert [c.id for c in access.filed_on(mail)] == [ana.id]
    document = db.session.scalars(sa.select(Document)).one()
    assert document.captured_id == mail.id and content(document) == pdf


def test_the_export_holds_the_mail_and_erasure_takes_what_is_only_theirs(app, make_user):
    admin, (ana, bob), pdf = _filed_with_attachment(
        make_user, ("ana@client.example", "bob@client.example"))
    deliver(bcc(admin.email, ["ana@client.example"], subject="Only Ana",
                message_id="<only-ana@x>"), admin)
    exported = export_document(db.session.get(Customer, ana.id), show_ids=True)
    assert sorted(m["subject"] for m in exported["captured_mail"]) == ["Only Ana",
                                                                      "Signed lease"]
    shared = next(m for m in exported["captured_mail"] if m["subject"] == "Signed lease")
    assert shared["attachments"] == ["lease.pdf"] and shared["filed_by"] == admin.email
    assert shared["people"]["to"][0][1] == "ana@client.example"

    counts = erase_customer(db.session.get(Customer, ana.id))
    db.session.commit()
    assert counts["captured_mail"] == 1  # "Only Ana" went whole
    subjects = [m.subject for m in db.session.scalars(sa.select(CapturedMail))]
    assert subjects == ["Signed lease"]  # still Bob's correspondence
    links = db.session.scalars(sa.select(CapturedMailLink)).all()
    assert [link.customer_id for link in links] == [bob.id]
    assert [d.customer_id for d in db.session.scalars(sa.select(Document))] == [bob.id]


def test_a_merge_moves_the_mail_and_its_undo_moves_it_back(app, make_user):
    admin, (ana, ana2), _ = _filed_with_attachment(
        make_user, ("ana@client.example", "ana.work@client.example"))
    mail = db.session.scalars(sa.select(CapturedMail)).one()
    record = merge_customers(ana, ana2, {}, user=admin)
    db.session.commit()
    assert [c.id for c in access.filed_on(mail)] == [ana.id]  # once, on the survivor
    assert access.may_see(mail, admin)
    # Filed on both files: the survivor's copy of the attachment only, not two.
    assert [d.name for d in documents_for(ana.id, admin).shown] == ["lease.pdf"]
    undo_merge(db.session.get(CustomerMerge, record.id), user=admin)
    db.session.commit()
    assert [c.id for c in access.filed_on(mail)] == sorted([ana.id, ana2.id])
    for customer in (ana, ana2):
        assert [d.name for d in documents_for(customer.id, admin).shown] == ["lease.pdf"]


def test_a_merge_moves_an_email_only_the_merged_file_had(app, make_user):
    admin = make_user("admin")
    ana, ana2 = make_customer(emails=("ana@client.example",)), make_customer(
        emails=("ana.work@client.example",))
    deliver(bcc(admin.email, ["ana.work@client.example"],
                attachments=[("plan.pdf", samples.pdf(3000), "application/pdf")]), admin)
    mail = db.session.scalars(sa.select(CapturedMail)).one()
    merge_customers(ana, ana2, {}, user=admin)
    db.session.commit()
    db.session.expire_all()
    assert [c.id for c in access.filed_on(mail)] == [ana.id]
    assert [d.customer_id for d in db.session.scalars(sa.select(Document))] == [ana.id]


def test_a_private_email_is_exported_whole_only_for_those_who_may_read_it(app, make_user):
    admin, (ana,), pdf = _filed_with_attachment(make_user)
    mail = db.session.scalars(sa.select(CapturedMail)).one()
    mail.private = True
    db.session.commit()
    whole = export_document(db.session.get(Customer, ana.id), show_ids=True)
    assert whole["captured_mail"][0]["subject"] == "Signed lease"
    assert whole["documents"][0]["content_base64"]
    held = export_document(db.session.get(Customer, ana.id), show_ids=True,
                           show_private=False)
    (entry,) = held["captured_mail"]
    assert entry["private"] is True and entry["subject"] is None and entry["body"] is None
    (document,) = held["documents"]
    assert document["content_base64"] is None and document["name"] is None


def test_erasure_takes_the_customer_out_of_mail_that_stays(app, make_user):
    admin, (ana, bob), pdf = _filed_with_attachment(
        make_user, ("ana@client.example", "bob@client.example"))
    # Mail naming Ana, waiting to be filed (no customer matched for its filer: a stranger
    # wrote, Ana in Cc is not theirs to see).
    staff = make_user("staff")
    deliver(bcc(staff.email, ["stranger@else.example"], cc=["ana@client.example"],
                subject="Waiting", body="Ana (ana@client.example) asked.",
                message_id="<w@x>"), staff)
    erase_customer(db.session.get(Customer, ana.id))
    db.session.commit()
    db.session.expire_all()
    for mail in db.session.scalars(sa.select(CapturedMail)):
        assert mail.raw is None, mail.subject
        assert "ana@client.example" not in str(mail.people) + mail.body.lower()
    waiting = [m for m in db.session.scalars(sa.select(CapturedMail)) if m.subject == "Waiting"]
    assert waiting[0].people["cc"] == [["an erased customer", ""]]
    assert "[erased]" in waiting[0].body
    # Bob's copy of the attachment stays his.
    assert [d.customer_id for d in db.session.scalars(sa.select(Document))] == [bob.id]
