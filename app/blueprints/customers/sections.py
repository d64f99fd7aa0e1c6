"""The editable sections of a customer file: which form, how it is filled and applied.

Each `apply_*` changes the customer and returns the audit `changes` dict
(`{field: [old, new]}`, sensitive values replaced by a marker).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import url_for
from flask_login import current_user

from app import fields as custom_fields
from app.blueprints.customers.field_forms import OwnFieldsForm, parsed_values, with_fields
from app.blueprints.customers.forms import (
    AssignmentForm, BillingForm, ContactForm, ConsentForm, IdentifiersForm, IdentityForm,
)
from app.customers.changes import changes, parse_tags, snapshot, tags_named
from app.customers.consent import KINDS, change_consent
from app.customers.identifiers import identifier_last4
from app.followups.tasks import follow_new_owner
from app.models import (
    Customer, CustomerAddress, CustomerEmail, CustomerIdentifier, CustomerPhone,
)

IDENTITY_FIELDS = ("kind", "first_name", "last_name", "company", "born_or_founded",
                   "industry", "size", "source")
BILLING_FIELDS = ("currency", "payment_terms_days", "language", "reminders_off",
                  "reminders_off_reason")
CONSENT_FIELDS = ("preferred_channel", "preference_notes", "marketing_consent",
                  "marketing_consent_source", "sharing_consent", "sharing_consent_source")
ASSIGNMENT_FIELDS = ("owner_id", "status", "tags", "last_verified_on", "needs_review",
                     "needs_review_reason")
CONTACT_FIELDS = ("emails", "phones", "addresses")


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    permission: str
    form: type
    fill: Callable[[Customer], dict]
    apply: Callable[..., dict]


def _fill_identity(c: Customer) -> dict:
    return {f: getattr(c, f) for f in IDENTITY_FIELDS}


def _apply_identity(form: IdentityForm, c: Customer, actor) -> dict:
    before = snapshot(c, IDENTITY_FIELDS)
    for field in IDENTITY_FIELDS:
        value = getattr(form, field).data
        setattr(c, field, value.strip() if isinstance(value, str) else value)
    return changes(before, snapshot(c, IDENTITY_FIELDS))


def _fill_billing(c: Customer) -> dict:
    return {f: getattr(c, f) for f in BILLING_FIELDS}


def _apply_billing(form: BillingForm, c: Customer, actor) -> dict:
    before = snapshot(c, BILLING_FIELDS)
    c.currency = form.currency.data or ""
    c.payment_terms_days = form.payment_terms_days.data
    c.language = form.language.data or ""
    c.reminders_off = bool(form.reminders_off.data)
    c.reminders_off_reason = form.reminders_off_reason.data if c.reminders_off else ""
    return changes(before, snapshot(c, BILLING_FIELDS))


def _fill_ids(c: Customer) -> dict:
    return {"rows": [{"kind": i.kind, "value": i.value} for i in c.identifiers] + [{}]}


def _apply_ids(form: IdentifiersForm, c: Customer, actor) -> dict:
    before = snapshot(c, ("identifiers",))
    rows = [(r.kind.data, " ".join(r.value.data.split())) for r in form.rows
            if (r.value.data or "").strip() and not r.remove.data]
    current = [(i.kind, i.value) for i in c.identifiers]
    if rows != current:
        c.identifiers = [CustomerIdentifier(kind=k, value=v, last4=identifier_last4(v))
                         for k, v in rows]
    return changes(before, snapshot(c, ("identifiers",)))


def _fill_contact(c: Customer) -> dict:
    primary = next((i for i, e in enumerate(c.emails) if e.is_primary), 0)
    return {
        "emails": [{"address": e.address, "label": e.label, "state": e.state}
                   for e in c.emails] + [{}],
        "primary_email": str(primary),
        "phones": [{"number": p.display or p.e164, "label": p.label} for p in c.phones] + [{}],
        "addresses": [{f: getattr(a, f) for f in ("label", "line1", "line2", "postal_code",
                                                   "city", "region", "country")}
                      for a in c.addresses] + [{}],
    }


def _apply_contact(form: ContactForm, c: Customer, actor) -> dict:
    before = snapshot(c, CONTACT_FIELDS)
    primary = form.primary_index()
    # Reconcile emails by address so suppression and bounce state survive an edit.
    existing = {e.address: e for e in c.emails}
    kept: list[CustomerEmail] = []
    for i, row in enumerate(r.form for r in form.emails):
        address = (row.address.data or "").strip()
        if not address or row.remove.data:
            continue
        email = existing.pop(address, None) or CustomerEmail(address=address)
        email.label, email.state = row.label.data.strip(), row.state.data
        email.is_primary = i == primary
        kept.append(email)
    if kept and not any(e.is_primary for e in kept):
        kept[0].is_primary = True
    c.emails = kept
    c.phones = [CustomerPhone(e164=r.number.e164, display=r.number.display,
                              label=r.label.data.strip())
                for r in (row.form for row in form.phones)
                if getattr(r.number, "e164", "") and not r.remove.data]
    c.addresses = [
        CustomerAddress(**{f: (getattr(r, f).data or "").strip() for f in (
            "label", "line1", "line2", "postal_code", "city", "region", "country")})
        for r in (row.form for row in form.addresses) if not r.is_blank and not r.remove.data]
    return changes(before, snapshot(c, CONTACT_FIELDS))


def _fill_consent(c: Customer) -> dict:
    return {f: getattr(c, f) for f in ("preferred_channel", "preference_notes",
                                       "marketing_consent", "sharing_consent")}


def _apply_consent(form: ConsentForm, c: Customer, actor) -> dict:
    before = snapshot(c, CONSENT_FIELDS)
    c.preferred_channel = form.preferred_channel.data
    c.preference_notes = form.preference_notes.data.strip()
    source = form.source.data.strip() or f"customer file, by {actor.email}"
    for kind in KINDS:
        change_consent(c, kind, bool(getattr(form, f"{kind}_consent").data), source=source)
    return changes(before, snapshot(c, CONSENT_FIELDS))


def _fill_assignment(c: Customer) -> dict:
    data = {f: getattr(c, f) for f in ASSIGNMENT_FIELDS if f != "tags"}
    data["owner_id"] = c.owner_id or 0
    data["tags"] = ", ".join(t.name for t in c.tags)
    return data


def _apply_assignment(form: AssignmentForm, c: Customer, actor) -> dict:
    before = snapshot(c, ASSIGNMENT_FIELDS)
    c.owner_id = form.owner_id.data or None
    c.status = form.status.data
    c.tags = tags_named(parse_tags(form.tags.data))
    c.last_verified_on = form.last_verified_on.data
    c.needs_review = bool(form.needs_review.data)
    c.needs_review_reason = form.needs_review_reason.data.strip() if c.needs_review else ""
    from app.extensions import db

    db.session.flush()
    db.session.refresh(c, ["owner"])
    changed = changes(before, snapshot(c, ASSIGNMENT_FIELDS))
    if "owner" in changed:  # follow-ups of someone who lost the customer: to the new owner
        follow_new_owner(c, actor, link=url_for("followups.index"))
    return changed


def _own_fields_form(*args, **kwargs):
    """The section's form, with an input for each field the user may see."""
    fields = custom_fields.fields_for(current_user)
    form = with_fields(OwnFieldsForm, fields)(*args, **kwargs)
    form.own_fields = fields
    return form


def _fill_own_fields(c: Customer) -> dict:
    fields = custom_fields.fields_for(current_user)
    held = custom_fields.values_for([c.id], fields).get(c.id, {})
    return {f.key: custom_fields.as_text(f, held.get(f.id)) for f in fields}


def _apply_own_fields(form, c: Customer, actor) -> dict:
    return custom_fields.set_values(c.id, parsed_values(form, form.own_fields))


SECTIONS: dict[str, Section] = {s.name: s for s in (
    Section("identity", "Identity", "customers.edit", IdentityForm, _fill_identity,
            _apply_identity),
    Section("billing", "Billing", "customers.edit_billing", BillingForm, _fill_billing,
            _apply_billing),
    Section("ids", "Identification numbers", "customers.edit_billing", IdentifiersForm,
            _fill_ids, _apply_ids),
    Section("contact", "Contact", "customers.edit_contact", ContactForm, _fill_contact,
            _apply_contact),
    Section("consent", "Preferences & consent", "customers.edit", ConsentForm,
            _fill_consent, _apply_consent),
    Section("assignment", "Assignment & state", "customers.edit", AssignmentForm,
            _fill_assignment, _apply_assignment),
    # The office's own fields: whoever edits contact details (staff: their customers).
    Section("own_fields", "More details", "customers.edit_contact", _own_fields_form,
            _fill_own_fields, _apply_own_fields),
)}
