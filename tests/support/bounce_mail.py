"""Bounce mail about our own emails, as receiving servers write it, and the sent email
it is about."""
from __future__ import annotations

from app.extensions import db
from app.mail import outbox
from app.models.base import utcnow
from tests.factories import make_customer, make_invoice


def sent_email(address: str, owner=None):
    """A customer with `address` and an invoice email to it, already sent."""
    customer = make_customer(emails=(address,), owner=owner)
    invoice = make_invoice(customer)
    (message,) = outbox.add_messages(recipients=[outbox.Recipient(address)], subject="Invoice",
                                     body="Hi", invoice=invoice, attach_pdf=False)
    message.state = message.status = "sent"
    message.sent_at = utcnow()
    db.session.commit()
    return customer, message


def dsn(message, status: str, diagnostic: str, action: str = "failed") -> bytes:
    """A standard delivery status notification (RFC 3464) about our `message`."""
    return f"""From: MAILER-DAEMON@mx.example.org
To: bounces+{message.verp_token}@bounces.clientele.localhost
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {message.to_address}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--B
Content-Type: text/rfc822-headers

Message-ID: <{message.message_id}>
Subject: Invoice

--B--
""".replace("\n", "\r\n").encode()
