"""Messages as written for SMTP, read back with the standard library's parser."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser

from app.extensions import db
from app.mail import outbox
from app.mail.build import build
from tests.factories import make_customer, make_invoice


def _parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_unicode_headers_bodies_and_the_pdf_read_back(app):
    invoice = make_invoice(make_customer(emails=("zoe@example.org",)))
    (message,) = outbox.add_messages(
        recipients=[outbox.Recipient("zoe@example.org", "Zoë Müller")],
        subject="Rechnung für Müller\r\nBcc: evil@example.net", body="Grüße 😀\nhttps://x.example/a",
        invoice=invoice, attach_pdf=True)
    db.session.commit()
    parsed = _parse(build(message))
    assert parsed["Subject"] == "Rechnung für Müller Bcc: evil@example.net"
    assert parsed["Bcc"] is None  # a line break can't smuggle a header in
    assert parsed["To"].addresses[0].display_name == "Zoë Müller"
    assert parsed["Message-ID"] == f"<{message.message_id}>"
    assert "Grüße 😀" in parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Grüße" in html and "/t/o/" in html and "/t/c/" in html
    (pdf,) = list(parsed.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"invoice-{invoice.number}.pdf"
    assert pdf.get_content().startswith(b"%PDF")


def test_bcc_copy_names_no_recipient(app):
    invoice = make_invoice(make_customer())
    messages = outbox.add_messages(recipients=[outbox.Recipient("to@example.org"),
                                               outbox.Recipient("hidden@example.org", role="bcc")],
                                   subject="Invoice", body="Hi", invoice=invoice,
                                   attach_pdf=False)
    db.session.commit()
    hidden = _parse(build(messages[1]))
    assert hidden["To"] is None and "hidden@example.org" not in build(messages[1]).decode()
    assert _parse(build(messages[0]))["To"].addresses[0].addr_spec == "to@example.org"


def test_an_international_cc_leaves_the_other_copies_plain_ascii(app):
    """Each copy names the visible Cc; one address that needs SMTPUTF8 must not make
    everyone's copy need it (RFC 6857's group form), and a foreign-script domain is
    written in ASCII (IDNA)."""
    invoice = make_invoice(make_customer())
    messages = outbox.add_messages(
        recipients=[outbox.Recipient("ann@example.org"),
                    outbox.Recipient("müller@example.org", role="cc"),
                    outbox.Recipient("zoe@bücher.example", role="cc")],
        subject="Invoice", body="Hi", invoice=invoice, attach_pdf=False)
    db.session.commit()
    raw = build(messages[0])
    assert raw.isascii()
    cc = _parse(raw)["Cc"]
    assert "müller@example.org" in str(cc)
    assert [a.addr_spec for a in cc.addresses] == ["zoe@xn--bcher-kva.example"]
