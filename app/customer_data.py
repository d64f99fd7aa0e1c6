"""Everything held about one customer (data export) and erasure of their personal data.

No Flask: the caller checks permissions, records the audit entry and commits.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from app.customer_records import masked
from app.extensions import db
from app.models import AuditLog, Customer, EmailMessage, Invoice, Note, search_index, utcnow

EXPORT_VERSION = 1
_CUSTOMER_FIELDS = ("id", "kind", "first_name", "last_name", "company", "born_or_founded",
                    "industry", "size", "source", "language", "preferred_channel",
                    "preference_notes", "marketing_consent", "marketing_consent_at",
                    "marketing_consent_source", "sharing_consent", "sharing_consent_at",
                    "sharing_consent_source", "status", "last_verified_on", "needs_review",
                    "needs_review_reason", "created_at", "updated_at", "erased_at")


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj, fields) -> dict[str, Any]:
    return {f: _plain(getattr(obj, f)) for f in fields}


def export_document(customer: Customer, show_ids: bool) -> dict[str, Any]:
    """A JSON-ready document with everything held about `customer`."""
    notes = db.session.scalars(select(Note).where(Note.customer_id == customer.id)
                               .order_by(Note.occurred_at))
    invoices = db.session.scalars(select(Invoice).where(Invoice.customer_id == customer.id)
                                  .order_by(Invoice.issue_date, Invoice.id))
    messages = db.session.scalars(select(EmailMessage)
                                  .where(EmailMessage.customer_id == customer.id)
                                  .order_by(EmailMessage.created_at))
    return {
        "export_version": EXPORT_VERSION,
        "exported_at": utcnow().isoformat(),
        "customer": _row(customer, _CUSTOMER_FIELDS) | {
            "owner": customer.owner.email if customer.owner else None,
            "tags": [t.name for t in customer.tags],
        },
        "identifiers": [{"kind": i.kind,
                         "value": i.value if show_ids else masked(i.last4)}
                        for i in customer.identifiers],
        "emails": [_row(e, ("address", "label", "is_primary", "state", "state_reason",
                            "suppressed", "suppressed_reason", "suppressed_at"))
                   for e in customer.emails],
        "phones": [_row(p, ("e164", "display", "label")) for p in customer.phones],
        "addresses": [_row(a, ("label", "line1", "line2", "postal_code", "city", "region",
                               "country")) for a in customer.addresses],
        "notes": [_row(n, ("kind", "body", "occurred_at", "invoice_id")) | {
            "author": n.author.email if n.author else None} for n in notes],
        "invoices": [_row(i, ("number", "issue_date", "due_date", "currency", "status",
                              "total", "amount_paid")) | {
            "payments": [_row(p, ("paid_on", "amount", "method", "reference"))
                         for p in i.payments]} for i in invoices],
        "emails_sent": [_row(m, ("created_at", "to_address", "subject", "status", "sent_at"))
                        for m in messages],
    }


def erase_customer(customer: Customer) -> dict[str, int]:
    """Anonymise `customer`'s personal data; invoices and payments stay for accounting.

    Contacts, identification numbers, notes and tags are deleted; names and free-text
    fields are blanked; the addresses on sent invoice emails are replaced; the values
    kept in the audit log's change records for this customer are scrubbed (the entries
    themselves stay, so the history of who did what remains).
    """
    personal = [e.address for e in customer.emails] + [p.e164 for p in customer.phones]
    counts = {"emails": len(customer.emails), "phones": len(customer.phones),
              "addresses": len(customer.addresses), "identifiers": len(customer.identifiers)}
    customer.emails, customer.phones, customer.addresses, customer.identifiers = [], [], [], []
    customer.tags = []
    for field in ("first_name", "last_name", "company", "industry", "size", "source",
                  "language", "preference_notes", "marketing_consent_source",
                  "sharing_consent_source", "needs_review_reason"):
        setattr(customer, field, "")
    customer.born_or_founded = None
    customer.marketing_consent = customer.sharing_consent = False
    customer.marketing_consent_at = customer.sharing_consent_at = utcnow()
    customer.needs_review = False
    customer.status = "archived"
    customer.erased_at = utcnow()
    customer.last_name = f"Erased customer #{customer.id}"
    customer.refresh_search_fields()
    customer.search_text = ""
    notes = db.session.execute(db.delete(Note).where(Note.customer_id == customer.id))
    counts["notes"] = notes.rowcount or 0
    mails = db.session.execute(
        update(EmailMessage).where(EmailMessage.customer_id == customer.id).values(
            to_address=f"erased-{customer.id}@erased.invalid", to_name="", cc_addresses="",
            body_text="[erased]"))
    counts["email_messages"] = mails.rowcount or 0
    counts["audit_entries_scrubbed"] = _scrub_audit(customer.id, personal)
    db.session.flush()
    search_index.purge(db.session.connection())
    return counts


def _scrub_audit(customer_id: int, personal: list[str]) -> int:
    """Blank personal values in this customer's audit entries; who/what/when stay."""
    entries = db.session.scalars(select(AuditLog).where(AuditLog.subject_type == "customer",
                                                        AuditLog.subject_id == customer_id))
    scrubbed = 0
    for entry in entries:
        details, summary = dict(entry.details or {}), entry.summary or ""
        if "changes" in details:
            details["changes"] = {k: "[erased]" for k in details["changes"]}
        for key in ("address", "email", "phone", "name"):
            if key in details:
                details[key] = "[erased]"
        for value in personal:
            summary = summary.replace(value, "[erased]")
        if details != entry.details or summary != entry.summary:
            entry.details, entry.summary = details, summary
            scrubbed += 1
    return scrubbed
