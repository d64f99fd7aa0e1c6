"""Mail to a drop-box: routed before the bounce parser, read, kept encrypted, filed on
the customers it is about that its filer may see, or held for review."""
from __future__ import annotations

import smtplib
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.capture import access, dropbox, filing
from app.extensions import db
from app.models import (CapturedMail, CapturedMailLink, Customer, CustomerEmail, Document,
                        EmailEvent, InboundMessage)
from tests.capture.mail import bcc, deliver, forward
from tests.documents import samples
from tests.factories import make_customer
from tests.support.bounce_mail import dsn, sent_email

SAMPLES = Path(__file__).parent.parent / "events" / "samples"


def _only_mail() -> CapturedMail:
    return db.session.scalars(sa.select(CapturedMail)).one()


def _filed_on(mail: CapturedMail) -> list[int]:
    return sorted(c.id for c in access.filed_on(mail))


def test_a_bcc_with_an_attachment_lands_on_the_customers_file(app, make_user):
    staff = make_user("staff", name="Sam Staff")
    ana = make_customer(emails=("ana@client.example",), owner=staff)
    pdf = samples.pdf(30_000)
    raw = bcc(staff.email, ["Ana Lopez <ana@client.example>"],
              attachments=[("Contract 2027.pdf", pdf, "application/pdf")])
    assert deliver(raw, staff) == "captured"
    mail = _only_mail()
    assert (mail.state, mail.filed_by_id, mail.subject) == ("filed", staff.id, "Your renewal")
    assert _filed_on(mail) == [ana.id]
    assert mail.people["to"] == [["Ana Lopez", "ana@client.example"]]
    assert "contract attached" in mail.body
    document = db.session.scalars(sa.select(Document)).one()
    assert (document.customer_id, document.captured_id, document.name, document.kind) == (
        ana.id, mail.id, "Contract 2027.pdf", "pdf")
    assert document.uploaded_by_id == staff.id
    from app.documents.store import content
    assert content(document) == pdf
    # The inbound copy is emptied once read; what is kept is ciphertext only.
    assert db.session.scalars(sa.select(InboundMessage)).one().raw == b""
    stored = b" ".join(str(v).encode() for table in ("captured_mail", "document_chunks",
                                                     "documents", "inbound_messages")
                       for row in db.session.execute(sa.text(f"SELECT * FROM {table}"))
                       for v in row)
    assert samples.MARKER not in stored
    for secret in (b"Your renewal", b"contract attached", b"ana@client.example",
                   b"Contract 2027"):
        assert secret not in stored, secret


def test_a_forwarded_customer_mail_is_filed_by_the_address_in_the_forward(app, make_user):
    staff = make_user("staff")
    ana = make_customer(emails=("ana.lopez@client.example",), owner=staff)
    address = dropbox.address_of(staff)
    raw = forward(staff.email, address, "ana.lopez@client.example").replace(
        b"FYI", f"FYI (also sent to {address.upper()})".encode())
    deliver(raw, staff)
    mail = _only_mail()
    assert _filed_on(mail) == [ana.id]
    # The drop-box address is its owner's credential: colleagues reading it don't see it.
    assert mail.people["to"] == [["a drop-box", ""]]
    assert address.split("@")[0] not in str(mail.people) + mail.body.lower()
    assert "also sent to [a drop-box address]" in mail.body


def test_a_forwarded_bounce_is_captured_and_never_marks_the_address(app, make_user):
    staff = make_user("billing")
    customer, message = sent_email("gone@example.org")
    bounce = dsn(message, "5.1.1", "550 5.1.1 <gone@example.org>: user unknown")
    assert deliver(bounce, staff) == "captured"
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(EmailEvent.id))) == 0
    address = db.session.scalars(sa.select(CustomerEmail)).one()
    assert address.state == "ok" and not address.suppressed
    assert not db.session.get(Customer, customer.id).needs_review


@pytest.mark.parametrize("sample", ["postfix_dsn_user_unknown.eml", "exchange2010_delivery_failed.eml",
                                    "gmail_dsn_nosuchuser.eml"])
def test_real_bounces_sent_to_a_dropbox_are_not_read_as_bounces(app, make_user, sample):
    staff = make_user("admin")
    assert deliver((SAMPLES / sample).read_bytes(), staff) == "captured"
    assert db.session.scalar(sa.select(sa.func.count(EmailEvent.id))) == 0
    assert _only_mail().state == "review"


def test_imap_mail_is_routed_by_the_delivering_servers_trace_field(app, make_user):
    staff = make_user("staff")
    ana = make_customer(emails=("ana@client.example",), owner=staff)
    address = dropbox.address_of(staff)
    raw = f"Delivered-To: {address}\r\n".encode() + bcc(staff.email, ["ana@client.example"])
    assert deliver(raw, staff, via="imap") == "captured"
    assert _filed_on(_only_mail()) == [ana.id]
    # Without a drop-box in its trace fields, a mailbox message is bounce mail as before.
    from app.mail import inbound
    inbound_id = inbound.store(bcc(staff.email, ["ana@client.example"],
                                   message_id="<other@office.example>"), via="imap")
    assert inbound.process(inbound_id) == "unparsed"


def test_mail_about_no_known_customer_waits_for_review_then_is_filed_by_hand(app, make_user):
    staff = make_user("staff")
    mine = make_customer(owner=staff)
    theirs = make_customer(owner=make_user("staff"))
    deliver(bcc(staff.email, ["stranger@nowhere.example"],
                attachments=[("notes.txt", b"Meeting notes\n", "text/plain")]), staff)
    mail = _only_mail()
    assert (mail.state, _filed_on(mail)) == ("review", [])
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    with pytest.raises(filing.FilingRefused):
        filing.file_on(mail, theirs, staff)
    assert filing.file_on(mail, mine, staff) is True
    assert filing.file_on(mail, mine, staff) is False  # once
    db.session.commit()
    assert (mail.state, _filed_on(mail)) == ("filed", [mine.id])
    document = db.session.scalars(sa.select(Document)).one()
    assert (document.customer_id, document.name) == (mine.id, "notes.txt")
    assert db.session.scalars(sa.select(CapturedMailLink)).one().how == "hand"
    filing.unfile(mail, mine.id)
    db.session.commit()
    assert mail.state == "review"
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0


def test_staff_mail_is_filed_only_on_their_own_customers(app, make_user):
    staff = make_user("staff")
    mine = make_customer(emails=("mine@client.example",), owner=staff)
    make_customer(emails=("theirs@client.example",), owner=make_user("staff"))
    deliver(bcc(staff.email, ["mine@client.example", "theirs@client.example"]), staff)
    assert _filed_on(_only_mail()) == [mine.id]


def test_the_office_own_addresses_never_file_mail(app, make_user):
    staff = make_user("admin", email="sam@office.example")
    colleague = make_user("staff", email="kim@office.example")
    # A customer record holding a colleague's address (it happens) is not a reason to file.
    make_customer(emails=("kim@office.example",))
    deliver(bcc(staff.email, [colleague.email]), staff)
    assert _only_mail().state == "review"


def test_a_message_to_every_customer_waits_for_review(app, make_user):
    admin = make_user("admin")
    addresses = [f"c{i}@client.example" for i in range(filing.MAX_AUTO_CUSTOMERS + 1)]
    for address in addresses:
        make_customer(emails=(address,))
    deliver(bcc(admin.email, addresses), admin)
    assert _only_mail().state == "review"


def test_the_same_mail_twice_is_kept_once(app, make_user):
    staff = make_user("staff")
    make_customer(emails=("ana@client.example",), owner=staff)
    raw = bcc(staff.email, ["ana@client.example"],
              attachments=[("a.pdf", samples.pdf(5000), "application/pdf")])
    assert deliver(raw, staff) == "captured"
    assert deliver(raw, staff) == "captured"
    assert db.session.scalar(sa.select(sa.func.count(CapturedMail.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 1


def test_a_rotated_address_stops_at_once(app, make_user):
    staff = make_user("staff")
    old = dropbox.address_of(staff)
    new = dropbox.rotate(staff)
    db.session.commit()
    assert old != new and dropbox.owner_of(new).id == staff.id
    assert dropbox.owner_of(old) is None
    assert dropbox.owner_of(new.upper()).id == staff.id  # mail systems may fold case
    from app.mail import inbound
    state = inbound.process(inbound.store(bcc(staff.email, ["x@y.example"]), via="pipe",
                                          envelope_to=old))
    assert state == "ignored"
    assert db.session.scalar(sa.select(sa.func.count(CapturedMail.id))) == 0
    assert db.session.scalars(sa.select(InboundMessage)).one().raw == b""


def test_the_smtp_receiver_takes_dropbox_mail_and_refuses_unknown_dropboxes(app, make_user):
    from app.dev.net import free_port
    from app.mail.receiver import start_receiver

    staff = make_user("staff")
    ana = make_customer(emails=("ana@client.example",), owner=staff)
    address = dropbox.address_of(staff)
    db.session.commit()
    port = free_port()
    controller = start_receiver(app, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail(staff.email, ["file+notanyone@bounces.clientele.localhost"],
                              b"Subject: x\r\n\r\nx")
            smtp.sendmail(staff.email, [address], bcc(staff.email, ["ana@client.example"]))
    finally:
        controller.stop()
    deadline = time.monotonic() + 5
    while not db.session.scalar(sa.select(sa.func.count(InboundMessage.id))):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    from app.mail import inbound
    stored = db.session.scalars(sa.select(InboundMessage)).one()
    assert inbound.process(stored.id) == "captured"
    assert _filed_on(_only_mail()) == [ana.id]


def test_an_unreadable_message_is_kept_for_review_not_lost(app, make_user):
    staff = make_user("staff")
    raw = (b"From: =?bogus-charset?B?////?= <x@y>\r\nSubject: =?utf-8?B?not base64!?=\r\n"
           b"Content-Type: multipart/mixed; boundary=\"nope\"\r\n\r\n--nope\r\n"
           b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; "
           b"filename=\"x.pdf\"\r\n\r\n!!!!\r\n")
    assert deliver(raw, staff) == "captured"
    mail = _only_mail()
    assert mail.state == "review" and mail.raw == raw


def test_who_may_read_a_message(app, make_user):
    admin, billing, viewer = make_user("admin"), make_user("billing"), make_user("viewer")
    sam, kim = make_user("staff"), make_user("staff")
    sams = make_customer(emails=("a@client.example",), owner=sam)
    kims = make_customer(emails=("b@client.example",), owner=kim)
    deliver(bcc(admin.email, ["a@client.example", "b@client.example"]), admin)
    both = _only_mail()
    assert _filed_on(both) == sorted([sams.id, kims.id])

    people = {"admin": admin, "billing": billing, "viewer": viewer, "sam": sam, "kim": kim}

    def readers(mail):
        """Who may read it, by the rule and by its SQL twin, which must agree."""
        by_rule = {n for n, u in people.items() if access.may_see(mail, u)}
        by_sql = {n for n, u in people.items() if db.session.scalar(
            sa.select(CapturedMail.id).where(CapturedMail.id == mail.id,
                                             access.visible_clause(u)))}
        assert by_rule == by_sql
        return by_rule

    # On Sam's and Kim's customers: neither sees it, since each may not see the other's.
    assert readers(both) == {"admin", "billing", "viewer"}
    filing.unfile(both, kims.id)
    db.session.commit()
    assert readers(both) == {"admin", "billing", "viewer", "sam"}
    both.private = True
    db.session.commit()
    assert readers(both) == {"admin"}  # its filer (the admin) and admins
    deliver(bcc(sam.email, ["a@client.example"], message_id="<sam@x>"), sam)
    sams_mail = db.session.scalars(sa.select(CapturedMail).where(
        CapturedMail.filed_by_id == sam.id)).one()
    sams_mail.private = True
    db.session.commit()
    assert readers(sams_mail) == {"admin", "sam"}
    assert access.may_manage(sams_mail, sam) and not access.may_manage(sams_mail, billing)


def test_the_mailbox_poll_brings_dropbox_mail_and_bounces_each_to_its_path(app, make_user,
                                                                            monkeypatch):
    from app.mail import inbound, receiver
    from tests.jobs.test_inbound import _FakeImap, _dsn, _imap_config

    staff = make_user("staff")
    ana = make_customer(emails=("ana@client.example",), owner=staff)
    address = dropbox.address_of(staff)
    db.session.commit()
    _, message = sent_email("gone@example.org")
    captured = f"Delivered-To: {address}\r\n".encode() + bcc(staff.email, ["ana@client.example"])
    monkeypatch.setattr(receiver.imaplib, "IMAP4_SSL", _FakeImap([captured, _dsn(message)]))
    assert receiver.poll_imap(_imap_config(app)) == 2
    states = [inbound.process(i) for i in db.session.scalars(
        sa.select(InboundMessage.id).order_by(InboundMessage.id))]
    assert states == ["captured", "processed"]
    assert _filed_on(_only_mail()) == [ana.id]
    assert [e.type for e in db.session.scalars(sa.select(EmailEvent))] == ["rejected"]


def test_whatever_fails_while_filing_the_message_is_kept_encrypted_not_left_in_clear(
        app, make_user, monkeypatch, caplog):
    staff = make_user("staff")
    make_customer(emails=("ana@client.example",), owner=staff)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away mid-way")

    monkeypatch.setattr(filing, "matching_customers", broken)
    raw = bcc(staff.email, ["ana@client.example"],
              attachments=[("a.pdf", samples.pdf(3000), "application/pdf")])
    assert deliver(raw, staff) == "captured"
    mail = _only_mail()
    assert (mail.state, mail.raw, mail.subject) == ("review", raw, "Your renewal")
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 0
    stored = db.session.scalars(sa.select(InboundMessage)).one()
    assert stored.raw == b"" and "RuntimeError" in stored.error
    assert "could not be read or filed" in caplog.text
    # It can still be filed by hand: its attachment is taken from the kept message then.
    monkeypatch.undo()
    filing.file_on(mail, db.session.scalars(sa.select(Customer)).one(), staff)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 1


def test_mail_received_before_a_rotation_still_reaches_its_owner(app, make_user):
    from app.mail import inbound

    staff = make_user("staff")
    address = dropbox.address_of(staff)
    db.session.commit()
    inbound_id = inbound.store(bcc(staff.email, ["x@nowhere.example"]), via="pipe",
                               envelope_to=address, enqueue=False)  # accepted, queued
    dropbox.rotate(staff)
    db.session.commit()
    assert inbound.process(inbound_id) == "captured"
    assert _only_mail().filed_by_id == staff.id
    stored = db.session.get(InboundMessage, inbound_id)
    assert "file+" not in stored.envelope_to  # the address is a secret, not kept in clear


def test_someone_who_may_no_longer_file_mail_has_no_dropbox(app, make_user):
    from app.mail import inbound

    user = make_user("billing")
    ana = make_customer(emails=("ana@client.example",))
    address = dropbox.address_of(user)
    db.session.commit()
    queued = inbound.store(bcc(user.email, ["ana@client.example"], message_id="<q@x>"),
                           via="pipe", envelope_to=address, enqueue=False)
    user.role = "viewer"  # an admin takes the right away
    db.session.commit()
    assert dropbox.owner_of(address) is None
    # Mail received before: kept in their list for an admin, filed on nobody.
    assert inbound.process(queued) == "captured"
    assert (_only_mail().state, _filed_on(_only_mail())) == ("review", [])
    # Mail received after: refused (the SMTP receiver answers 550), never filed.
    later = inbound.store(bcc(user.email, ["ana@client.example"], message_id="<l@x>"),
                          via="pipe", envelope_to=address, enqueue=False)
    assert inbound.process(later) == "ignored"
    assert db.session.scalar(sa.select(sa.func.count(CapturedMailLink.id)).where(
        CapturedMailLink.customer_id == ana.id)) == 0


def test_the_drop_box_token_is_stored_encrypted_and_found_by_its_digest(app, make_user):
    staff = make_user("staff")
    token = dropbox.address_of(staff).split("+")[1].split("@")[0]
    db.session.commit()
    stored = db.session.execute(sa.text("SELECT dropbox_token, dropbox_key FROM users "
                                        "WHERE id = :i"), {"i": staff.id}).one()
    assert token not in stored[0] and token not in stored[1]
    assert dropbox.owner_of(f"file+{token}@bounces.clientele.localhost").id == staff.id
