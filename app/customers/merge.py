"""Merging two customer files into one, and undoing a merge within 30 days (no Flask).

The person merging chooses, field by field, which file's value the survivor keeps;
consent and an address's state are not theirs to choose: a consent stays only if both
files gave it (`consent.most_restrictive`) and an address on both files keeps the worse
state (`contacts.keep_worse_state`). Every row that refers to the merged file moves to
the survivor; `HANDLED` says how, table by table, and tests/customers/test_merge.py
fails when a table referring to customers is not in it.

The merge's record (`CustomerMerge.record`) lists the ids of exactly the rows it moved
and the survivor's values it changed. An undo moves back those rows only (rows added to
the survivor since stay), and puts back a value only where it is still what the merge
wrote. The caller checks `customers.merge`, records the audit entry and commits.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from app.customers.access import can_see_customer
from app.customers.consent import KINDS, consent_state, most_restrictive, restore_consent
from app.customers.contacts import address_state, keep_worse_state, set_address_state
from app.extensions import db
from app.followups.tasks import follow_new_owner
from app.models import (AuditLog, CapturedMailLink, Customer, CustomerMerge, CustomFieldValue,
                        search_index, utcnow)

UNDO_DAYS = 30

# The fields the person merging chooses between, with the words the page shows.
FIELDS = (("kind", "Kind"), ("first_name", "First name"), ("last_name", "Last name"),
          ("company", "Company"), ("born_or_founded", "Born / founded"),
          ("industry", "Industry"), ("size", "Size"), ("source", "Source"),
          ("language", "Language"), ("preferred_channel", "Preferred channel"),
          ("preference_notes", "Preferences"), ("owner_id", "Assigned to"),
          ("status", "Status"), ("last_verified_on", "Last verified"),
          ("currency", "Currency"), ("payment_terms_days", "Payment terms (days)"),
          ("reminders_off", "No reminders"), ("reminders_off_reason", "Why no reminders"))
_FIELD_NAMES = {name for name, _ in FIELDS}

# Tables whose rows simply change customer: every column referring to customers moves.
MOVED = ("customer_addresses", "notes", "invoices", "email_messages", "attention_items",
         "notifications", "follow_ups", "documents", "captured_mail_links")
# Every table referring to a customer (by foreign key, or as the privacy registration's
# references without one), and what a merge does with its rows.
HANDLED: dict[str, str] = {
    **{name: "moved to the survivor" for name in MOVED},
    "customers": "the merged file stays, archived, pointing at the survivor",
    "customer_emails": "moved; an address on both files keeps the worse state",
    "customer_phones": "moved, unless the survivor has the same number",
    "customer_identifiers": "moved, unless the survivor has the same number",
    "customer_tags": "the survivor gains the merged file's tags",
    "audit_log": "entries about the merged file move to the survivor's history",
    "customer_merges": "kept: a merge's own record names both files",
    "duplicate_dismissals": "kept: they name the pair as it was",
    "duplicate_pairs": "kept: the page leaves out a merged file's pairs until the next check",
    "saved_filters": "nothing to move (a person's saved search)",
    "customer_imports": "nothing to move (rows before they become customers)",
    "inbound_messages": "follow their email messages",
    "document_chunks": "follow their documents",
    "captured_mail": "follows its links (captured_mail_links, moved unless the survivor "
                     "holds the same email: then the link and its documents stay)",
    "customer_field_values": "moved where the survivor has no value for that field; where "
                             "both have one, the survivor's stays",
    search_index.FTS_TABLE: "kept by the customers table's triggers",
}


class MergeRefused(ValueError):
    """A merge or undo that may not happen; str() says why in the office's words."""


def merge_customers(survivor: Customer, merged: Customer, choices: dict[str, str], *,
                    user) -> CustomerMerge:
    """Merge `merged` into `survivor`; `choices` maps a field to "merged" where the merged
    file's value wins (any other field keeps the survivor's)."""
    _check_pair(survivor, merged, user)
    unknown = set(choices) - _FIELD_NAMES
    if unknown:
        raise MergeRefused(f"Unknown fields: {', '.join(sorted(unknown))}.")
    now = utcnow()
    record: dict = {"fields": {}, "consents": {}, "moved": {}, "emails": [],
                    "email_states": [], "phones": [], "identifiers": [], "tags": [],
                    "audit": [], "merged_status": merged.status}
    for name, _ in FIELDS:
        if choices.get(name) == "merged" and getattr(merged, name) != getattr(survivor, name):
            before, after = getattr(survivor, name), getattr(merged, name)
            record["fields"][name] = [_plain(before), _plain(after)]
            setattr(survivor, name, after)
    source = f"Merged with customer #{merged.id}, who had not given it"
    before = {kind: consent_state(survivor, kind) for kind in KINDS}
    for kind in most_restrictive(survivor, merged, source=source, at=now):
        record["consents"][kind] = [before[kind], consent_state(survivor, kind)]
    _merge_contacts(survivor, merged, record)
    db.session.flush()
    _move_rows(survivor.id, merged.id, record)
    merged.merged_into_id = survivor.id
    merged.status = "archived"
    entry = CustomerMerge(survivor_id=survivor.id, merged_id=merged.id,
                          merged_by_id=getattr(user, "id", None), merged_at=now,
                          record=record)
    db.session.add(entry)
    db.session.flush()
    db.session.expire(survivor)
    # The merged file's follow-ups came with it: those whose person may not see the
    # survivor go to its owner (an undo leaves them with whoever holds them then).
    follow_new_owner(survivor, user)
    return entry


def _check_pair(survivor: Customer, merged: Customer, user) -> None:
    if survivor.id == merged.id:
        raise MergeRefused("Choose two different customers.")
    if not (can_see_customer(survivor, user) and can_see_customer(merged, user)):
        raise MergeRefused("You can merge only customers you can see.")
    if survivor.erased_at or merged.erased_at:
        raise MergeRefused("An erased customer can't be merged.")
    if survivor.merged_into_id or merged.merged_into_id:
        raise MergeRefused("One of these customers was already merged into another.")


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _merge_contacts(survivor: Customer, merged: Customer, record: dict) -> None:
    """Emails, phones, identification numbers and tags: through the ORM, so the search
    fields follow (a Core statement would bypass their flush listener)."""
    by_address = {e.address.lower(): e for e in survivor.emails}
    has_primary = any(e.is_primary for e in survivor.emails)
    for email in list(merged.emails):
        same = by_address.get(email.address.lower())
        if same is not None:
            before = address_state(same)
            if keep_worse_state(same, email):
                record["email_states"].append([same.id, before, address_state(same)])
            continue
        record["emails"].append([email.id, email.is_primary])
        if has_primary:
            email.is_primary = False
        email.customer = survivor
    numbers = {p.e164 for p in survivor.phones}
    for phone in list(merged.phones):
        if phone.e164 not in numbers:
            record["phones"].append(phone.id)
            phone.customer = survivor
    # Compared decrypted, in memory: both files' numbers are loaded by the session anyway.
    held = {_id_key(i.value) for i in survivor.identifiers}
    for identifier in list(merged.identifiers):
        if _id_key(identifier.value) not in held:
            record["identifiers"].append(identifier.id)
            identifier.customer = survivor
    for tag in merged.tags:
        if tag not in survivor.tags:
            record["tags"].append(tag.id)
            survivor.tags.append(tag)


def _id_key(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def _staying(name: str, survivor_id: int):
    """Rows of a MOVED table that stay on the merged file: an email filed on both files
    is the survivor's already, so the merged file keeps its link and the documents that
    email made there (moving them would file it twice, every attachment doubled)."""
    if name not in ("captured_mail_links", "documents"):
        return []
    both = select(CapturedMailLink.captured_id).where(
        CapturedMailLink.customer_id == survivor_id)
    table = db.metadata.tables[name]
    return [or_(table.c.captured_id.is_(None), table.c.captured_id.not_in(both))]


def _move_rows(survivor_id: int, merged_id: int, record: dict) -> None:
    for name in MOVED:
        table = db.metadata.tables[name]
        for column in _customer_columns(table):
            ids = list(db.session.scalars(select(table.c.id).where(
                column == merged_id, *_staying(name, survivor_id))))
            if ids:
                record["moved"][f"{name}.{column.name}"] = ids
                db.session.execute(update(table).where(table.c.id.in_(ids))
                                   .values({column.name: survivor_id}))
    # The office's own fields: the merged file's value fills a field the survivor left empty;
    # where both hold one, the survivor's stays and the merged file keeps its own, archived.
    held = select(CustomFieldValue.field_id).where(CustomFieldValue.customer_id == survivor_id)
    ids = list(db.session.scalars(select(CustomFieldValue.id).where(
        CustomFieldValue.customer_id == merged_id, CustomFieldValue.field_id.not_in(held))))
    if ids:
        record["moved"]["customer_field_values.customer_id"] = ids
        db.session.execute(update(CustomFieldValue).where(CustomFieldValue.id.in_(ids))
                           .values(customer_id=survivor_id))
    about = and_(AuditLog.subject_type == "customer", AuditLog.subject_id == merged_id)
    record["audit"] = list(db.session.scalars(select(AuditLog.id).where(about)))
    if record["audit"]:
        db.session.execute(update(AuditLog).where(AuditLog.id.in_(record["audit"]))
                           .values(subject_id=survivor_id))


def _customer_columns(table):
    return [fk.parent for fk in table.foreign_keys if fk.column.table.name == "customers"]


def undo_deadline(merge: CustomerMerge):
    return merge.merged_at + timedelta(days=UNDO_DAYS)


def undo_refusal(merge: CustomerMerge, survivor: Customer, merged: Customer) -> str | None:
    """Why this merge can't be undone now, or None when it can."""
    if merge.undone_at is not None:
        return "This merge was already undone."
    if utcnow() > undo_deadline(merge):
        return f"A merge can be undone for {UNDO_DAYS} days only."
    if survivor.erased_at or merged.erased_at:
        return "One of these customers was erased since the merge."
    if survivor.merged_into_id:
        return "The surviving file was merged into another since; undo that merge first."
    return None


def undo_merge(merge: CustomerMerge, *, user) -> None:
    """Move back exactly what `merge` moved; keep what was added to the survivor since."""
    survivor = db.session.get(Customer, merge.survivor_id)
    merged = db.session.get(Customer, merge.merged_id)
    refusal = undo_refusal(merge, survivor, merged)
    if refusal:
        raise MergeRefused(refusal)
    if not (can_see_customer(survivor, user) and can_see_customer(merged, user)):
        raise MergeRefused("You can undo only merges of customers you can see.")
    record = merge.record
    for name, (before, after) in record["fields"].items():
        if _plain(getattr(survivor, name)) == after:
            setattr(survivor, name, _typed(name, before))
    for kind, (before, after) in record["consents"].items():
        if consent_state(survivor, kind) == after:
            restore_consent(survivor, kind, before)
    emails = {e.id: e for e in survivor.emails}
    for email_id, before, after in record["email_states"]:
        if email_id in emails and address_state(emails[email_id]) == after:
            set_address_state(emails[email_id], before)
    for email_id, was_primary in record["emails"]:
        if email_id in emails:
            emails[email_id].customer, emails[email_id].is_primary = merged, was_primary
    for phone in [p for p in survivor.phones if p.id in set(record["phones"])]:
        phone.customer = merged
    for identifier in [i for i in survivor.identifiers if i.id in set(record["identifiers"])]:
        identifier.customer = merged
    survivor.tags = [t for t in survivor.tags if t.id not in set(record["tags"])]
    db.session.flush()
    for key, ids in record["moved"].items():
        name, column = key.split(".")
        table = db.metadata.tables[name]
        db.session.execute(update(table).where(table.c.id.in_(ids),
                                               table.c[column] == survivor.id)
                           .values({column: merged.id}))
    if record["audit"]:
        db.session.execute(update(AuditLog).where(AuditLog.id.in_(record["audit"]),
                                                  AuditLog.subject_type == "customer",
                                                  AuditLog.subject_id == survivor.id)
                           .values(subject_id=merged.id))
    merged.merged_into_id = None
    merged.status = record["merged_status"]
    merge.undone_at, merge.undone_by_id = utcnow(), getattr(user, "id", None)
    db.session.flush()
    db.session.expire(survivor)
    db.session.expire(merged)


def _typed(name: str, value):
    """A recorded field value back in its column's type (dates were stored as text)."""
    if value is None:
        return None
    python_type = Customer.__table__.c[name].type.python_type
    return python_type.fromisoformat(value) if hasattr(python_type, "fromisoformat") \
        else value
