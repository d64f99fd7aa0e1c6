"""Demo email in the drop-boxes: each person's Bcc to a customer with a PDF, a customer's
email they forwarded, and one about nobody waiting to be filed. Delivered through the
inbound path the worker runs, so it is read and filed as real mail would be."""
from __future__ import annotations

import email.policy
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select

from app import clock
from app.capture import dropbox
from app.extensions import db
from app.mail import inbound
from app.models import Customer, User

_LETTER = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
           b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
           b"trailer << /Root 1 0 R >>\n%%EOF\n")


def _message(sender: str, to: str, subject: str, body: str, days_ago: int, n: str,
             attachment: tuple[str, bytes] | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = format_datetime(clock.now() - timedelta(days=days_ago, hours=2))
    message["Message-ID"] = f"<demo-{n}@clientele.example>"
    message.set_content(body)
    if attachment:
        message.add_attachment(attachment[1], maintype="application", subtype="pdf",
                               filename=attachment[0])
    return message.as_bytes(policy=email.policy.SMTP)


def seed_demo_capture() -> int:
    made = 0
    people = db.session.scalars(select(User).where(User.role.in_(("admin", "staff")))
                                .order_by(User.id)).all()
    for user in people:
        customer = db.session.scalar(
            select(Customer).where(Customer.owner_id == user.id, Customer.erased_at.is_(None))
            .order_by(Customer.id))
        if customer is None or customer.primary_email is None:
            continue
        to = customer.primary_email.address
        mails = [
            _message(user.email, f"{customer.display_name} <{to}>", "Your engagement letter",
                     f"Dear {customer.display_name},\n\nas discussed, the engagement letter "
                     "is attached. Please sign and return it by Friday.\n\nKind regards\n"
                     f"{user.display_name}", 6, f"{user.id}-1",
                     ("Engagement letter.pdf", _LETTER)),
            _message(user.email, dropbox.address_of(user), "Fwd: Question about my invoice",
                     "For the file.\n\n---------- Forwarded message ---------\n"
                     f"From: {customer.display_name} <{to}>\nSubject: Question about my "
                     f"invoice\nTo: {user.email}\n\nHello, could you send the invoice "
                     "again with our new address?\n", 2, f"{user.id}-2"),
            _message(user.email, "reception@cityhall.example", "Parking permit for visitors",
                     "Hello, could we renew the two visitor permits for next year?", 1,
                     f"{user.id}-3"),
        ]
        for raw in mails:
            inbound.process(inbound.store(raw, via="pipe", enqueue=False,
                                          envelope_to=dropbox.address_of(user)))
            made += 1
    db.session.commit()
    return made
