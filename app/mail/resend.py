"""Fix and resend: an email rejected because the address is wrong or gone goes again, to
another address of the customer or to the corrected one. The change is recorded on the
customer's file and the new email names the one it replaces."""
from __future__ import annotations

from sqlalchemy import select

from app import audit
from app.attention.items import resolve
from app.customers.contacts import ContactError, normalise_email
from app.events.reasons import ADDRESS, MAILBOX, MESSAGE, OFFICE
from app.extensions import db
from app.mail import outbox
from app.mail.failures import failure_class
from app.models import CustomerEmail, EmailMessage

# What to do instead, for the classes a new address does not fix.
ADVICE: dict[str, str] = {
    MAILBOX: "The mailbox exists but cannot take mail now (full or paused). Wait a day "
             "and send again, or call the customer.",
    OFFICE: "The receiving server refused mail from your office, not this address. Ask "
            "whoever runs your office's mail to check its set-up (SPF, DKIM, blocklists); "
            "a new address will not help.",
    MESSAGE: "The receiving server refused this message itself. Send it again without "
             "the PDF attached (the link lets them open the invoice), or a smaller one.",
}


def _addresses(customer_id: int) -> list[CustomerEmail]:
    # Re-read: a bounce may have marked them since the session loaded them (objects stay
    # loaded across commits here), and a change must be made to the stored state.
    return list(db.session.scalars(
        select(CustomerEmail).where(CustomerEmail.customer_id == customer_id)
        .order_by(CustomerEmail.id).execution_options(populate_existing=True)))


def other_addresses(message: EmailMessage) -> list[CustomerEmail]:
    """The customer's other addresses that may be written to."""
    if message.customer_id is None:
        return []
    return [e for e in _addresses(message.customer_id)
            if e.address != message.to_address and not e.suppressed and e.state != "invalid"]


def resent_as(message: EmailMessage) -> EmailMessage | None:
    return db.session.scalar(select(EmailMessage).where(
        EmailMessage.resent_from_id == message.id).order_by(EmailMessage.id.desc()).limit(1))


def fix_and_resend(message: EmailMessage, user, *, address_id: int | None = None,
                   corrected: str = "", ip: str | None = None) -> EmailMessage:
    """Send `message` again to another of the customer's addresses (`address_id`) or to
    `corrected`, which replaces the rejected address on the file. Raises ContactError."""
    if failure_class(message) != ADDRESS:
        raise ContactError("Only an email rejected for its address can be sent to another.")
    if resent_as(message) is not None:
        raise ContactError("This email was already sent again.")
    customer = message.customer
    if customer is None:
        raise ContactError("This email belongs to no customer.")
    if address_id is not None:
        chosen = next((e for e in other_addresses(message) if e.id == address_id), None)
        if chosen is None:
            raise ContactError("Choose one of the customer's addresses.")
        address, what = chosen.address, f"sent again to {chosen.address}"
    else:
        address = normalise_email(corrected)
        if address == message.to_address:
            raise ContactError("That is the address that was rejected.")
        on_file = _addresses(customer.id)
        if any(e.address == address for e in on_file):
            raise ContactError(f"{address} is already on the file: choose it above.")
        old = next((e for e in on_file if e.address == message.to_address), None)
        if old is not None:  # the wrong address is corrected where it stands
            old.address, old.state, old.state_reason = address, "unverified", ""
            old.suppressed, old.suppressed_reason, old.suppressed_at = False, "", None
        else:
            customer.emails.append(CustomerEmail(address=address, state="unverified"))
        what = f"{message.to_address} corrected to {address}"
    new = outbox.add_messages(
        recipients=[outbox.Recipient(address, message.to_name, message.recipient_role)],
        subject=message.subject, body=message.body_text, invoice=message.invoice,
        customer_id=customer.id, user=user, kind=message.kind,
        attach_pdf=message.attach_pdf, include_link=message.include_link)[0]
    new.resent_from_id = message.id
    audit.record("customer.email_fixed_and_resent", user=user, ip=ip,
                 subject_type="customer", subject_id=customer.id,
                 details={"message": message.id, "new_message": new.id,
                          "from": message.to_address, "to": address},
                 summary=f"Rejected email {what}"[:500])
    resolve(f"email_rejected:{message.id}", by=user)
    db.session.flush()
    return new
