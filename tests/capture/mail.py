"""Mail as staff send it to their drop-box: a BCC of their own mail, a forward of a
customer's, with attachments as mail programs encode them."""
from __future__ import annotations

import email.policy
from email.message import EmailMessage

from app.capture import dropbox
from app.extensions import db
from app.mail import inbound


def bcc(sender: str, to: list[str], *, subject: str = "Your renewal", cc: list[str] = (),
        body: str = "Dear Ana,\n\nplease find the contract attached.\n",
        attachments: list[tuple[str, bytes, str]] = (),
        message_id: str = "<m1.20261205@office.example>") -> bytes:
    """What the staff member's mail program sends (a BCC is not in the headers)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Date"] = "Sat, 05 Dec 2026 09:12:00 +0100"
    message["Message-ID"] = message_id
    message.set_content(body)
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes(policy=email.policy.SMTP)  # CRLF, as on the wire


def forward(sender: str, dropbox_address: str, original_from: str, *,
            subject: str = "Fwd: Question about my invoice",
            message_id: str = "<fwd.20261205@office.example>") -> bytes:
    """Gmail's forward: the original's header block in the text."""
    body = ("FYI\n\n---------- Forwarded message ---------\n"
            f"From: Ana Lopez <{original_from}>\n"
            "Date: Fri, 4 Dec 2026 at 17:02\n"
            "Subject: Question about my invoice\n"
            f"To: {sender}\n\nHello, is invoice 2026-0007 paid?\n")
    return bcc(sender, [dropbox_address], subject=subject, body=body, message_id=message_id)


def deliver(raw: bytes, user, *, via: str = "pipe") -> str:
    """Store `raw` as delivered to `user`'s drop-box and process it; the inbound state."""
    address = dropbox.address_of(user)
    db.session.commit()
    envelope_to = "" if via == "imap" else address
    return inbound.process(inbound.store(raw, via=via, envelope_to=envelope_to))
