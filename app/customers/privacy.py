"""Everything held about one customer (data export) and erasure of their personal data.

No Flask: the caller checks permissions, records the audit entry and commits.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, literal_column, or_, select, update

from app import fields as custom_fields
from app.capture import filing as capture_filing
from app.customers.consent import erase_consents
from app.customers.identifiers import identifier_text
from app.documents.store import content, erase_for_customer
from app.extensions import db
from app.invoices.snapshot import erase_buyer
from app.models import (AttentionItem, AuditLog, CapturedMail, CapturedMailLink, Customer,
                        CustomerMerge, CustomFieldValue, Document, DuplicateDismissal,
                        DuplicatePair, EmailEvent, EmailMessage, FollowUp, InboundMessage,
                        Invoice, Note, Notification, SavedFilter, search_index, utcnow)
from app.models.base import contains_text

EXPORT_VERSION = 1


@dataclass(frozen=True)
class Handling:
    """What the data export and the erasure do with one table's rows about a customer."""

    exported: bool
    erasure: str  # deleted | blanked | scrubbed | kept for accounting | nothing personal


# Every table that holds data about a customer, and its fate. A table reaching `customers`
# through foreign keys, or named in REFERENCES_WITHOUT_FOREIGN_KEY, that is missing here
# fails tests/customers/test_privacy_guard.py: a new kind of personal data must decide
# how it is exported and erased before it lands.
PERSONAL_DATA: dict[str, Handling] = {
    "customers": Handling(True, "blanked"),
    "customer_emails": Handling(True, "deleted"),
    "customer_phones": Handling(True, "deleted"),
    "customer_addresses": Handling(True, "deleted"),
    "customer_identifiers": Handling(True, "deleted"),
    "customer_tags": Handling(True, "deleted"),
    "customer_field_values": Handling(True, "deleted"),  # the office's own fields
    "notes": Handling(True, "deleted"),
    "follow_ups": Handling(True, "deleted"),
    "documents": Handling(True, "deleted"),
    # Captured correspondence: the customer's links go; a message filed on nobody else
    # goes whole (its attachments are among the documents above).
    "captured_mail_links": Handling(True, "deleted"),
    "captured_mail": Handling(True, "deleted"),
    "document_chunks": Handling(True, "deleted"),  # the content, in the export as base64
    # Kept; the buyer's copy in an issued invoice's snapshot is anonymised.
    "invoices": Handling(True, "kept for accounting"),
    "number_counters": Handling(False, "nothing personal"),
    "document_images": Handling(False, "nothing personal"),  # the office's logo
    "invoice_lines": Handling(False, "kept for accounting"),
    "payments": Handling(True, "kept for accounting"),
    "email_messages": Handling(True, "scrubbed"),
    "email_events": Handling(False, "scrubbed"),
    "email_links": Handling(False, "nothing personal"),  # the office's own links
    # Which reminder stage an invoice was sent (ids only; the email itself is scrubbed).
    "reminder_sends": Handling(False, "nothing personal"),
    "inbound_messages": Handling(False, "scrubbed"),
    "audit_log": Handling(False, "scrubbed"),
    "saved_filters": Handling(False, "deleted"),
    "customer_imports": Handling(False, "nothing personal"),  # encrypted, gone in a day
    search_index.FTS_TABLE: Handling(False, "deleted"),
    # Work about the customer and what staff were told of it: gone with them.
    "attention_items": Handling(False, "deleted"),
    "notifications": Handling(False, "deleted"),
    # A merge's undo record holds the survivor's earlier values; pairs marked "not a
    # duplicate" name the customer. Erasure also ends the undo (app.customers.merge).
    "customer_merges": Handling(True, "deleted"),
    "duplicate_dismissals": Handling(False, "deleted"),
    # The duplicate finder's last result: ids, a score and kinds, rebuilt daily.
    "duplicate_pairs": Handling(False, "deleted"),
}
# Rows that name a customer without a foreign key to them: where they point.
REFERENCES_WITHOUT_FOREIGN_KEY = {
    "audit_log": "subject_type 'customer' or 'invoice', subject_id",
    "saved_filters": "a staff member's saved search, which may name the customer",
    "customer_imports": "uploaded rows, before they become customers",
    "inbound_messages": "bounce mail from or to the customer's addresses",
    search_index.FTS_TABLE: "the customer's search text (SQLite)",
}
_CUSTOMER_FIELDS = ("id", "kind", "first_name", "last_name", "company", "born_or_founded",
                    "industry", "size", "source", "language", "preferred_channel",
                    "preference_notes", "marketing_consent", "marketing_consent_at",
                    "marketing_consent_source", "sharing_consent", "sharing_consent_at",
                    "sharing_consent_source", "status", "last_verified_on", "needs_review",
                    "needs_review_reason", "currency", "payment_terms_days", "reminders_off",
                    "reminders_off_reason", "created_at", "updated_at", "erased_at")


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj, fields) -> dict[str, Any]:
    return {f: _plain(getattr(obj, f)) for f in fields}


def _own_fields(rows: list[CustomFieldValue], show_ids: bool) -> dict[str, Any]:
    """{label: value} of the office's own fields, hidden ones included (their data is
    still held); sensitive ones only for those who see identification numbers."""
    fields = {f.id: f for f in custom_fields.defined(sensitive=show_ids)
              + custom_fields.defined(sensitive=show_ids, archived=True)}
    return {fields[r.field_id].label: _plain(custom_fields.read_value(fields[r.field_id], r))
            for r in rows if r.field_id in fields}


def export_document(customer: Customer, show_ids: bool,
                    show_private: bool = True) -> dict[str, Any]:
    """A JSON-ready document with everything held about `customer`; captured mail marked
    private is listed without its words unless `show_private` (its filer and admins')."""
    notes = db.session.scalars(select(Note).where(Note.customer_id == customer.id)
                               .order_by(Note.occurred_at))
    invoices = db.session.scalars(select(Invoice).where(Invoice.customer_id == customer.id)
                                  .order_by(Invoice.issue_date, Invoice.id))
    messages = db.session.scalars(select(EmailMessage)
                                  .where(EmailMessage.customer_id == customer.id)
                                  .order_by(EmailMessage.created_at))
    followups = db.session.scalars(select(FollowUp).where(FollowUp.customer_id == customer.id)
                                   .order_by(FollowUp.created_at, FollowUp.id))
    field_values = list(db.session.scalars(select(CustomFieldValue).where(
        CustomFieldValue.customer_id == customer.id)))
    documents = db.session.scalars(select(Document).where(Document.customer_id == customer.id)
                                   .order_by(Document.uploaded_at, Document.id))
    merges = db.session.scalars(select(CustomerMerge).where(_merges_of(customer.id))
                                .order_by(CustomerMerge.merged_at))
    captured = list(db.session.scalars(
        select(CapturedMail).where(CapturedMail.id.in_(
            select(CapturedMailLink.captured_id).where(
                CapturedMailLink.customer_id == customer.id)))
        .order_by(CapturedMail.received_at, CapturedMail.id)))
    withheld = set() if show_private else {m.id for m in captured if m.private}
    return {
        "export_version": EXPORT_VERSION,
        "exported_at": utcnow().isoformat(),
        "customer": _row(customer, _CUSTOMER_FIELDS) | {
            "owner": customer.owner.email if customer.owner else None,
            "tags": [t.name for t in customer.tags],
        },
        "identifiers": [{"kind": i.kind, "value": identifier_text(i, show_ids)}
                        for i in customer.identifiers],
        "fields": _own_fields(field_values, show_ids),
        "emails": [_row(e, ("address", "label", "is_primary", "state", "state_reason",
                            "suppressed", "suppressed_reason", "suppressed_at",
                            "problem", "problem_at"))
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
        "follow_ups": [_row(f, ("title", "notes", "due_on", "due_time", "state", "rule",
                                "created_at", "completed_at")) | {
            "invoice": f.invoice.number if f.invoice else None,
            "responsible": f.assignee.email if f.assignee else None,
            "completed_by": f.completed_by.email if f.completed_by else None}
            for f in followups],
        # Each document with its content (document_chunks, decrypted) as base64.
        "documents": [_document(d, show_ids, d.captured_id in withheld) for d in documents],
        "merges": [_row(m, ("survivor_id", "merged_id", "merged_at", "undone_at"))
                   | {"record": m.record} for m in merges],
        # Mail staff filed on the file (its attachments are among the documents).
        "captured_mail": [_captured(m, show_private) for m in captured],
    }


def _captured(mail: CapturedMail, show_private: bool) -> dict[str, Any]:
    """A filed email; a private one, for someone who may not read it, only as held (an
    admin's export has it whole)."""
    row = _row(mail, ("received_at", "sent_at", "private")) | {
        "filed_by": mail.filed_by.email if mail.filed_by else None}
    if mail.private and not show_private:
        return row | {"subject": None, "people": None, "body": None, "attachments": None}
    return row | _row(mail, ("subject", "people", "body")) | {
        "attachments": [a["name"] for a in mail.attachments or []]}


def _document(document: Document, show_ids: bool, withheld: bool = False) -> dict[str, Any]:
    """A document's details and content; an identity scan's content only for someone who
    may see identification numbers (as the numbers themselves), a private email's
    attachment only for someone who may read that email."""
    row = _row(document, ("name", "kind", "mime", "size", "identity", "uploaded_at")) | {
        "uploaded_by": document.uploaded_by.email if document.uploaded_by else None}
    if withheld:
        return row | {"name": None, "content_base64": None}
    if document.identity and not show_ids:
        return row | {"content_base64": None}
    return row | {"content_base64": base64.b64encode(content(document)).decode("ascii")}


def erase_customer(customer: Customer) -> dict[str, int]:
    """Anonymise `customer`'s personal data; invoices and payments stay for accounting.

    Contacts, identification numbers, notes, documents and tags are deleted; names and free-text
    fields are blanked; the addresses, bodies and SMTP replies of sent invoice emails are
    replaced; their delivery events lose the recipient, bounce text, IP address and user
    agent; bounce mail matched to them keeps its row (state, kind, dates) but loses its
    raw content, summary and recipient; the personal values kept in the audit log for
    this customer and for the sending of their invoices are scrubbed (the entries
    themselves stay, so the history of who did what remains); the buyer in the snapshot of
    their issued invoices loses name, address, email and tax numbers.
    """
    sent_to = db.session.scalars(select(EmailMessage.to_address).distinct()
                                 .where(EmailMessage.customer_id == customer.id)).all()
    personal = list(dict.fromkeys(
        [e.address for e in customer.emails] + [p.e164 for p in customer.phones]
        + [a for a in sent_to if a]))
    addresses = sorted({a.lower() for a in personal if "@" in a})
    names = [n for n in (customer.display_name, customer.company) if n and len(n) >= 3]
    counts = {"emails": len(customer.emails), "phones": len(customer.phones),
              "addresses": len(customer.addresses), "identifiers": len(customer.identifiers)}
    customer.emails, customer.phones, customer.addresses, customer.identifiers = [], [], [], []
    customer.tags = []
    for field in ("first_name", "last_name", "company", "industry", "size", "source",
                  "language", "preference_notes", "needs_review_reason",
                  "reminders_off_reason"):  # free text about the person
        setattr(customer, field, "")
    customer.born_or_founded = None
    erase_consents(customer)
    customer.needs_review = False
    customer.status = "archived"
    customer.erased_at = utcnow()
    customer.last_name = f"Erased customer #{customer.id}"  # the model keeps no search text
    counts["field_values"] = db.session.execute(db.delete(CustomFieldValue).where(
        CustomFieldValue.customer_id == customer.id)).rowcount or 0
    notes = db.session.execute(db.delete(Note).where(Note.customer_id == customer.id))
    counts["notes"] = notes.rowcount or 0
    counts["follow_ups"] = db.session.execute(db.delete(FollowUp).where(
        FollowUp.customer_id == customer.id)).rowcount or 0
    counts["documents"] = erase_for_customer(customer.id)  # and their document_chunks
    # Their captured_mail_links, and the captured_mail filed on no one else.
    counts["captured_mail"] = capture_filing.erase_for_customer(customer.id, addresses)
    # Notifications first: they point at the attention items (SET NULL otherwise).
    counts["notifications"] = db.session.execute(db.delete(Notification).where(
        Notification.customer_id == customer.id)).rowcount or 0
    counts["attention_items"] = db.session.execute(db.delete(AttentionItem).where(
        AttentionItem.customer_id == customer.id)).rowcount or 0
    messages = select(EmailMessage.id).where(EmailMessage.customer_id == customer.id)
    counts["email_events_scrubbed"] = _scrub_events(messages, addresses)
    counts["inbound_messages_scrubbed"] = _scrub_inbound(messages, addresses)
    mails = db.session.execute(
        update(EmailMessage).where(EmailMessage.customer_id == customer.id).values(
            to_address=f"erased-{customer.id}@erased.invalid", to_name="", cc_addresses="",
            body_text="[erased]",
            smtp_response=_erased_unless_empty(EmailMessage.smtp_response)))
    counts["email_messages"] = mails.rowcount or 0
    counts["audit_entries_scrubbed"] = _scrub_audit(customer.id, personal)
    counts["customer_merges"] = db.session.execute(
        db.delete(CustomerMerge).where(_merges_of(customer.id))).rowcount or 0
    counts["duplicate_dismissals"] = db.session.execute(db.delete(DuplicateDismissal).where(
        or_(DuplicateDismissal.first_id == customer.id,
            DuplicateDismissal.second_id == customer.id))).rowcount or 0
    counts["duplicate_pairs"] = db.session.execute(db.delete(DuplicatePair).where(
        or_(DuplicatePair.first_id == customer.id,
            DuplicatePair.second_id == customer.id))).rowcount or 0
    counts["saved_filters"] = _forget_saved_searches(personal + names)
    # Issued invoices print their own copy of the buyer: it is anonymised the same way.
    counts["invoice_snapshots"] = erase_buyer(db.session, customer)
    db.session.flush()
    # A file merged into this one is the same customer; what stayed on it (an address
    # both held) is erased with them, since its id now leads here.
    for part in db.session.scalars(select(Customer).where(
            Customer.merged_into_id == customer.id, Customer.erased_at.is_(None))).all():
        counts["merged_files"] = counts.get("merged_files", 0) + 1
        erase_customer(part)
    search_index.purge(db.session.connection())
    return counts


def _merges_of(customer_id: int):
    return or_(CustomerMerge.survivor_id == customer_id, CustomerMerge.merged_id == customer_id)


def _forget_saved_searches(values: list[str]) -> int:
    """Saved searches for this customer's name, address or phone go: a saved search is
    kept in its query string, where the value would outlive the erasure."""
    from urllib.parse import unquote_plus

    wanted = [v.lower() for v in values if v]
    searches = [f for f in db.session.scalars(select(SavedFilter))
                if any(v in unquote_plus(f.query).lower() for v in wanted)]
    for search in searches:
        db.session.delete(search)
    return len(searches)


def _erased_unless_empty(column):
    return case((column == "", ""), else_="[erased]")


def _erase_json_keys(column, keys: tuple[str, ...]):
    """`column` (JSON) with the values of those of `keys` it holds set to "[erased]"."""
    if db.engine.dialect.name == "postgresql":
        expr = f"{column.table.name}.{column.name}::jsonb"
        for key in keys:
            expr = f"jsonb_set({expr}, '{{{key}}}', '\"[erased]\"', false)"
        return literal_column(f"({expr})::json", column.type)
    paths = [arg for key in keys for arg in (f"$.{key}", "[erased]")]
    return func.json_replace(column, *paths, type_=column.type)


def _scrub_events(messages, addresses: list[str]) -> int:
    """Delivery events of these messages: recipient, bounce text, IP, user agent and a
    person's note on an overturned verdict go.

    The type, source, code, time and flags stay, so the message's status history and
    the reports' counts are unchanged. Event keys that embed the address (bounce mail's)
    are replaced by a key made from the row id; providers' own event ids are kept.
    """
    values = {"diagnostic": _erased_unless_empty(EmailEvent.diagnostic), "ip": "",
              "overturn_note": _erased_unless_empty(EmailEvent.overturn_note),
              "user_agent": "",
              "details": _erase_json_keys(EmailEvent.details, ("recipient", "address"))}
    if addresses:
        in_key = or_(*[contains_text(EmailEvent.dedupe_key, a) for a in addresses])
        values["dedupe_key"] = case(
            (in_key, literal("erased:") + cast(EmailEvent.id, String)),
            else_=EmailEvent.dedupe_key)
    result = db.session.execute(
        update(EmailEvent).where(EmailEvent.message_id.in_(messages)).values(**values))
    return result.rowcount or 0


def _scrub_inbound(messages, addresses: list[str]) -> int:
    """Bounce / complaint / reply mail about these messages or from/to these addresses.

    The row stays (when it came, how, what kind, what became of it) for the bounce
    history; the raw mail, its summary and the personal envelope addresses go.
    """
    personal_from = func.lower(InboundMessage.envelope_from).in_(addresses)
    result = db.session.execute(
        update(InboundMessage).where(or_(
            InboundMessage.matched_message_id.in_(messages),
            func.lower(InboundMessage.envelope_to).in_(addresses), personal_from)).values(
            raw=b"[erased]", summary="[erased]", envelope_to="", error="",
            envelope_from=case((personal_from, ""), else_=InboundMessage.envelope_from)))
    return result.rowcount or 0


# Keys of audit details that hold personal values, by the entry's subject.
_PERSONAL_KEYS = {"customer": ("address", "email", "phone", "name"),
                  "invoice": ("recipients",)}


def _scrub_audit(customer_id: int, personal: list[str]) -> int:
    """Blank personal values in the audit entries about this customer and their invoices.

    Who/what/when stay, and so do an invoice entry's number, total and payment figures.
    """
    invoices = select(Invoice.id).where(Invoice.customer_id == customer_id)
    entries = db.session.scalars(select(AuditLog).where(or_(
        and_(AuditLog.subject_type == "customer", AuditLog.subject_id == customer_id),
        and_(AuditLog.subject_type == "invoice", AuditLog.subject_id.in_(invoices)))))
    scrubbed = 0
    for entry in entries:
        details, summary = dict(entry.details or {}), entry.summary or ""
        if entry.subject_type == "customer" and "changes" in details:
            details["changes"] = {k: "[erased]" for k in details["changes"]}
        for key in _PERSONAL_KEYS[entry.subject_type]:
            if key in details:
                value = details[key]
                details[key] = (["[erased]"] * len(value) if isinstance(value, list)
                                else "[erased]")
        for value in personal:
            summary = summary.replace(value, "[erased]")
        if details != entry.details or summary != entry.summary:
            entry.details, entry.summary = details, summary
            scrubbed += 1
    return scrubbed
