"""The send dialog's form and how its recipient choices become outbox recipients."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app import clock, settings
from app.mail.address_list import parse_addresses
from app.mail.placeholders import fill, values_for
from app.mail.outbox import Recipient as OutboxRecipient
from app.web.validators import TextLimit

ROLE_CHOICES = (("", "Don’t send"), ("to", "To"), ("cc", "Cc"), ("bcc", "Bcc"))
ROLES = tuple(value for value, _ in ROLE_CHOICES if value)


class SendForm(FlaskForm):
    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=40)])
    subject = StringField("Subject", validators=[
        DataRequired(message="Write a subject."), Length(max=300)])
    # Rows enough for the whole default message; `field-sizing: content` (app.css) grows
    # the box with what is typed where the browser supports it.
    body = TextAreaField("Message", validators=[
        DataRequired(message="Write a message."), TextLimit(20000, "The message")],
        render_kw={"rows": 10, "class": "message-box"})
    # Several at once, as Outlook writes them; no maxlength: a cut list would lose people.
    extra_to = StringField("Other addresses (optional)", validators=[
        TextLimit(5000, "The list of other addresses")])
    attach_pdf = BooleanField("Attach the invoice as PDF", default=True)
    include_link = BooleanField("Include a link to view the invoice online", default=True)
    # Shown only with the refusal of a repeat: ticking it is the person's confirmation.
    send_again = BooleanField("Yes, send it again")


@dataclass(frozen=True)
class Recipient(OutboxRecipient):
    override: bool = False


def default_texts(invoice) -> tuple[str, str]:
    """Subject and body from the office's invoice email template, placeholders filled (a
    draft's {invoice_number} stays until sending gives it one: app.mail.invoice_send)."""
    values = values_for(invoice, office_name=settings.get("office.name"), today=clock.today(),
                        locale=settings.get("locale.code"))
    return (fill(settings.get("templates.invoice_subject"), values),
            fill(settings.get("templates.invoice_body"), values))


@dataclass(frozen=True)
class AddressChoice:
    """One of the customer's addresses as the dialog shows it."""

    email: Any  # a CustomerEmail
    role: str | None  # the option selected ("" = don't send; None: none marked)
    override: bool  # "send anyway" ticked for a suppressed address


def address_choices(addresses, posted: Mapping[str, str] | None) -> list[AddressChoice]:
    """The choices as `posted` (the dialog's form), or, opening the dialog, the billing
    address as "To" unless it is suppressed."""
    if posted is None:
        return [AddressChoice(e, "to" if e.is_primary and not e.suppressed else "", False)
                for e in addresses]
    return [AddressChoice(e, posted.get(f"role_{e.id}"), posted.get(f"override_{e.id}") == "1")
            for e in addresses]


def recipients_from(choices: list[AddressChoice], extra: str | None):
    """Recipients chosen in the dialog, or an error a person can act on."""
    chosen: list[Recipient] = []
    for choice in choices:
        email, role = choice.email, choice.role or ""
        if role not in ROLES:
            continue
        if email.suppressed and not choice.override:
            return [], (f"{email.address} is suppressed ({email.suppressed_reason or 'bounced'}). "
                        "Tick “send anyway” next to it, or leave it out.")
        chosen.append(Recipient(email.address, email.customer.display_name, role,
                                choice.override))
    others, problems = parse_addresses(extra or "")
    if problems:
        return [], " ".join(problems)
    chosen += [Recipient(other.address, other.name, "to") for other in others]
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
