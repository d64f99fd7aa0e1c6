"""The send dialog's form and how its recipient choices become outbox recipients."""
from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.mail.outbox import Recipient as OutboxRecipient

ROLES = ("to", "cc", "bcc")


class SendForm(FlaskForm):
    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=40)])
    subject = StringField("Subject", validators=[
        DataRequired(message="Write a subject."), Length(max=300)])
    body = TextAreaField("Message", validators=[
        DataRequired(message="Write a message."), Length(max=20000)])
    extra_to = StringField("Another address (optional)", validators=[Length(max=254)])
    attach_pdf = BooleanField("Attach the invoice as PDF", default=True)
    include_link = BooleanField("Include a link to view the invoice online", default=True)
    # Shown only with the refusal of a repeat: ticking it is the person's confirmation.
    send_again = BooleanField("Yes, send it again")


@dataclass(frozen=True)
class Recipient(OutboxRecipient):
    override: bool = False


def default_texts(invoice, office_name: str) -> tuple[str, str]:
    """Subject and body from the template, placeholders filled in."""
    values = {
        "invoice_number": invoice.number, "customer_name": invoice.customer.display_name,
        "amount_due": f"{invoice.currency} {invoice.balance:,.2f}",
        "due_date": invoice.due_date.isoformat(), "office_name": office_name,
    }
    subject = "Invoice {invoice_number} from {office_name}".format(**values)
    body = ("Dear {customer_name},\n\nplease find invoice {invoice_number} for {amount_due}, "
            "due on {due_date}.\n\nKind regards,\n{office_name}").format(**values)
    return subject, body


def recipients_from(form, addresses, extra: str | None):
    """Recipients chosen in the dialog, or an error a person can act on."""
    chosen: list[Recipient] = []
    for email in addresses:
        role = form.get(f"role_{email.id}", "")
        if role not in ROLES:
            continue
        override = form.get(f"override_{email.id}") == "1"
        if email.suppressed and not override:
            return [], (f"{email.address} is suppressed ({email.suppressed_reason or 'bounced'}). "
                        "Tick “send anyway” next to it, or leave it out.")
        chosen.append(Recipient(email.address, email.customer.display_name, role, override))
    if extra and extra.strip():
        try:
            address = validate_email(extra.strip(), check_deliverability=False).normalized
        except EmailNotValidError as exc:
            return [], f"The other address isn't valid: {exc}"
        chosen.append(Recipient(address.lower(), "", "to"))
    if not chosen:
        return [], "Choose at least one recipient."
    if not any(r.role == "to" for r in chosen):
        return [], "Choose at least one “To” recipient."
    seen = set()
    for r in chosen:
        if r.address in seen:
            return [], f"{r.address} is chosen twice."
        seen.add(r.address)
    return chosen, None
