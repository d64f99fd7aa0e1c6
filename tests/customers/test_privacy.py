"""Erasure reaches the mail trail: events, bounce mail and the invoice's audit entries."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import text

from app import audit
from app.customers.privacy import erase_customer
from app.models import EmailEvent, EmailMessage, InboundMessage
from tests.factories import make_customer, make_invoice

ADDRESS = "grace@navy.example"
IP = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (GraceBook; Hopper OS 1.0)"
WHEN = datetime(2025, 1, 11, 9, 0, tzinfo=timezone.utc)


def _sent_message(customer, invoice, address: str, n: int) -> EmailMessage:
    message = EmailMessage(invoice_id=invoice.id, customer_id=customer.id, to_address=address,
                           to_name="Grace Hopper", subject=f"Invoice {invoice.number}",
                           body_text="Dear Grace", message_id=f"m{n}@clientele.test",
                           state="sent", status="sent", sent_at=WHEN,
                           smtp_code=550, smtp_response=f"550 5.1.1 <{address}> unknown")
    return message


def _trail(db, customer, invoice, address: str, n: int) -> EmailMessage:
    """A sent message, opened (ip, user agent) then bounced (DSN + webhook), and audited."""
    message = _sent_message(customer, invoice, address, n)
    db.session.add(message)
    db.session.flush()
    inbound = InboundMessage(via="smtp", envelope_from="", envelope_to=f"bounces+{n}@x.test",
                             raw=f"Final-Recipient: rfc822; {address}\r\n".encode(),
                             sha256=f"{n:064d}", state="processed", kind="dsn",
                             summary=f"{address}: rejected (5.1.1)",
                             matched_message_id=message.id)
    db.session.add(inbound)
    db.session.flush()
    db.session.add_all([
        EmailEvent(message_id=message.id, type="opened", occurred_at=WHEN, source="pixel",
                   ip=IP, user_agent=USER_AGENT, dedupe_key=f"open-{n}"),
        EmailEvent(message_id=message.id, type="rejected", occurred_at=WHEN, source="dsn",
                   code="5.1.1", diagnostic=f"550 5.1.1 <{address}>: user unknown",
                   details={"inbound_id": inbound.id, "address": address},
                   dedupe_key=f"inbound:{inbound.sha256}:{address}:rejected"),
        EmailEvent(message_id=message.id, type="rejected", occurred_at=WHEN,
                   source="webhook:postmark", code="5.1.1",
                   diagnostic=f"The server rejected {address}",
                   details={"recipient": address}, dedupe_key=f"postmark:evt-{n}"),
    ])
    audit.record("invoice.emailed", actor="admin@clientele.test", subject_type="invoice",
                 subject_id=invoice.id, details={"recipients": [address]},
                 summary=f"Sent to {address}")
    db.session.commit()
    return message


def _raw_rows(db, message_id: int) -> str:
    """Every column of the message's rows as the database holds them, as one string."""
    rows = []
    for sql in ("SELECT * FROM email_messages WHERE id = :id",
                "SELECT * FROM email_events WHERE message_id = :id",
                "SELECT * FROM inbound_messages WHERE matched_message_id = :id"):
        for row in db.session.execute(text(sql), {"id": message_id}):
            rows.append(" ".join(bytes(v).decode("latin-1") if isinstance(v, (bytes, memoryview))
                                 else str(v) for v in row))
    return "\n".join(rows)


def test_erasure_scrubs_events_bounce_mail_and_invoice_audit(db):
    grace = make_customer(first_name="Grace", last_name="Hopper", emails=(ADDRESS,))
    invoice = make_invoice(grace, status="paid", total="120.00", issue_date=date(2025, 1, 10))
    other = make_customer(first_name="Alan", last_name="Turing",
                          emails=("alan@bletchley.example",))
    other_invoice = make_invoice(other, status="paid", total="80.00", issue_date=date(2025, 1, 10))
    message = _trail(db, grace, invoice, ADDRESS, 1)
    kept = _trail(db, other, other_invoice, "alan@bletchley.example", 2)
    before = _raw_rows(db, message.id)
    assert ADDRESS in before and IP in before and USER_AGENT in before

    counts = erase_customer(grace)
    db.session.commit()

    after = _raw_rows(db, message.id)
    for value in (ADDRESS, IP, USER_AGENT, "Grace"):
        assert value not in after, value
    assert counts["email_events_scrubbed"] == 3
    assert counts["inbound_messages_scrubbed"] == 1
    audit_rows = db.session.execute(text(
        "SELECT details, summary FROM audit_log WHERE subject_type = 'invoice' "
        "AND subject_id = :id"), {"id": invoice.id}).all()
    assert audit_rows and ADDRESS not in str(audit_rows)
    assert counts["audit_entries_scrubbed"] >= 1

    # What the bounce history and the reports count on stays.
    db.session.expire_all()
    events = db.session.scalars(db.select(EmailEvent).filter_by(message_id=message.id)
                                .order_by(EmailEvent.id)).all()
    assert [(e.type, e.source, e.code) for e in events] == [
        ("opened", "pixel", ""), ("rejected", "dsn", "5.1.1"),
        ("rejected", "webhook:postmark", "5.1.1")]
    assert events[1].details["inbound_id"] and events[1].details["address"] == "[erased]"
    assert events[2].details == {"recipient": "[erased]"}
    assert events[2].dedupe_key == "postmark:evt-1"
    inbound = db.session.scalars(db.select(InboundMessage)
                                 .filter_by(matched_message_id=message.id)).one()
    assert (inbound.state, inbound.kind) == ("processed", "dsn")
    # The other customer's trail is untouched.
    assert _raw_rows(db, kept.id).count("alan@bletchley.example") >= 5
