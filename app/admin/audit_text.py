"""The audit log in words: who did what to which invoice, customer or user, and what changed
(before → after), instead of `invoice.emailed` and JSON. The stored entries are unchanged."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.extensions import db
from app.models import AuditLog, Customer, Invoice, User


@dataclass
class AuditLine:
    entry: AuditLog
    who: str
    text: str
    changes: list[str] = field(default_factory=list)


_VERBS = {
    "login.success": "Logged in",
    "login.failure": "Failed to log in",
    "logout": "Logged out",
    "password.changed": "Changed a password",
    "keys.rotated": "Rotated the encryption keys",
    "invoice.created": "Created invoice {invoice}",
    "invoice.updated": "Edited draft invoice {invoice}",
    "invoice.finalized": "Finalized invoice {invoice}",
    "invoice.voided": "Voided invoice {invoice}",
    "invoice.emailed": "Invoice {invoice} emailed to {recipients}",
    "invoice.payment_recorded": "Recorded a payment of {amount} on invoice {invoice}",
    "customer.created": "Added customer {customer}",
    "customer.viewed": "Opened the file of {customer}",
    "customer.updated": "Changed {customer}",
    "customer.exported": "Exported the data of {customer}",
    "customer.erased": "Erased the personal data of {customer}",
    "customer.note_added": "Added a note to {customer}",
    "customer.consent_withdrawn": "Withdrew a consent of {customer}",
    "customer.contact_verified": "Marked the contact details of {customer} verified",
    "customer.imported": "Imported {customer} from a CSV file",
    "customer.email_bounced": "Marked an address of {customer} invalid after a bounce",
    "customer.spam_complaint": "Recorded a spam complaint from {customer}",
    "customers.exported": "Exported a customer list",
    "customers.imported": "Imported customers from a CSV file",
    "customers.import_skipped_downloaded": "Downloaded the rows an import set aside",
    "user.created": "Added user {user}",
    "user.updated": "Changed user {user}",
    "user.invited": "Invited {user}",
    "user.invitation_resent": "Sent the invitation to {user} again",
    "user.invitation_revoked": "Withdrew the invitation to {user}",
    "invitation.accepted": "Accepted the invitation and chose a password",
    "password.reset_requested": "Asked for a link to set a new password",
    "password.reset": "Set a new password with an emailed link",
    "job.retried": "Retried a failed background job",
    "bounce.confirm": "Confirmed a bounce matched by address",
    "bounce.reprocess": "Processed a received bounce again",
    "bounce.ignore": "Dismissed a received bounce",
    "settings.changed": "Changed the office settings",
}

# Details already said by the sentence; the rest are listed as "name: value".
_SAID = {"recipients", "number", "amount", "changes", "section", "customer_id"}


def _label(key: str) -> str:
    if not key.islower():  # already words ("IBAN", "Reply-To" from the settings' labels)
        return key
    return key.replace("_", " ").capitalize()


def _value(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value)
    return str(value)


def change_lines(details: dict[str, Any]) -> list[str]:
    """`{field: [old, new]}` (and a nested "changes" dict) as "Field: old → new" lines."""
    found = dict(details.get("changes") or {}) if isinstance(details.get("changes"), dict) \
        else {}
    found.update({k: v for k, v in details.items() if k not in _SAID})
    lines = []
    for key, value in found.items():
        if isinstance(value, (list, tuple)) and len(value) == 2:
            lines.append(f"{_label(key)}: {_value(value[0])} → {_value(value[1])}")
        elif not isinstance(value, dict):
            lines.append(f"{_label(key)}: {_value(value)}")
    return lines


def describe(entries: list[AuditLog]) -> list[AuditLine]:
    """Each entry in words; the names of the people, invoices and customers it points at are
    read in one query per kind."""
    ids: dict[str, set[int]] = {"invoice": set(), "customer": set(), "user": set()}
    for e in entries:
        if e.subject_type in ids and e.subject_id is not None:
            ids[e.subject_type].add(e.subject_id)
        if e.user_id is not None:
            ids["user"].add(e.user_id)
    invoices = {i.id: i.number for i in db.session.scalars(
        db.select(Invoice).where(Invoice.id.in_(ids["invoice"])))} if ids["invoice"] else {}
    customers = {c.id: c.display_name for c in db.session.scalars(
        db.select(Customer).where(Customer.id.in_(ids["customer"])))} if ids["customer"] else {}
    users = {u.id: u for u in db.session.scalars(
        db.select(User).where(User.id.in_(ids["user"])))} if ids["user"] else {}

    lines = []
    for e in entries:
        details = e.details or {}
        person = users.get(e.user_id)
        who = (person.display_name if person else "") or e.actor or "—"
        subject = e.subject_id
        names = {
            "invoice": invoices.get(subject) or details.get("number") or f"#{subject}",
            "customer": customers.get(subject) or f"#{subject}",
            "user": (users[subject].email if subject in users else details.get("email"))
                    or f"#{subject}",
            "recipients": ", ".join(details.get("recipients") or []) or "nobody",
            "amount": details.get("amount", ""),
        }
        template = _VERBS.get(e.action)
        text = template.format(**names) if template else \
            (e.summary or _label(e.action.replace(".", " ")))
        changes = change_lines(details) if e.action != "customer.imported" else []
        if template and e.summary and e.action.startswith(("customer.email", "customer.spam")):
            changes.insert(0, e.summary)
        lines.append(AuditLine(e, who, text, changes))
    return lines
