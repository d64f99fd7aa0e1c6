"""Merging two customer files and undoing it (app.customers.merge), on the domain.

The model walk: every table referring to a customer (by foreign key, or named by the
privacy registration's references without one) must say what a merge does with its
rows (`merge.HANDLED`); a new table — follow-ups, documents, captured mail — fails here
until it does, and one in `merge.MOVED` moves with no more code."""
from __future__ import annotations

import io
import itertools
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app import audit
from app import fields as custom_fields
from app.documents import store as documents
from app.customers import merge, privacy
from app.customers.consent import change_consent
from app.customers.merge import MergeRefused, merge_customers, undo_merge
from app.extensions import db as _db
from app.models import (AttentionItem, AuditLog, Customer, CustomerAddress, CustomerEmail,
                        CustomField, Document,
                        CustomerMerge, FollowUp, Invoice, Notification, Payment, Tag, utcnow)
from tests.customers.test_privacy_guard import tables_about_customers
from tests.capture.mail import bcc, deliver
from tests.factories import make_customer, make_invoice, make_message, make_note, make_payment


def referring_tables(metadata: sa.MetaData) -> set[str]:
    """Tables with a foreign key straight to customers, and the references without one."""
    direct = {t.name for t in metadata.tables.values()
              if any(fk.column.table.name == "customers" for fk in t.foreign_keys)}
    return direct | set(privacy.REFERENCES_WITHOUT_FOREIGN_KEY)


def test_every_table_referring_to_customers_is_handled_by_the_merge(app):
    assert sorted(referring_tables(_db.metadata) - set(merge.HANDLED)) == []
    # Tables further away (payments, invoice lines, email events…) follow their parent.
    assert set(merge.MOVED) <= set(_db.metadata.tables)


def test_the_walk_finds_a_planted_table_referring_to_customers():
    planted = sa.MetaData()
    for table in _db.metadata.tables.values():
        table.to_metadata(planted)
    sa.Table("followups_planted", planted, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("customer_id", sa.ForeignKey("customers.id")))
    assert sorted(referring_tables(planted) - set(merge.HANDLED)) == ["followups_planted"]
    assert "followups_planted" in tables_about_customers(planted, {})


# -- a full pair of files ------------------------------------------------------------------

def _pair(make_user):
    admin = make_user("admin")
    survivor = make_customer(first_name="Ada", last_name="Lovelace", company="Analytical",
                             emails=("ada@engine.example", "shared@engine.example"),
                             phones=("020 7946 0001",), tags=("vip",), id_number="GB123456")
    merged = make_customer(first_name="Ada", last_name="Lovelace", company="Analytical Ltd",
                           emails=("shared@engine.example", "countess@engine.example"),
                           phones=("020 7946 0001", "020 7946 0002"), tags=("vip", "press"),
                           id_number="GB 123 456", industry="Computing")
    merged.identifiers[0].kind = "vat"
    merged.addresses.append(CustomerAddress(line1="12 St James's Square", city="London",
                                            country="GB"))
    second_id = merged.identifiers
    second_id.append(second_id[0].__class__(kind="national_id", value="AB123456C",
                                            last4="456C"))
    _db.session.commit()
    invoice = make_invoice(merged, total="250.00")
    make_payment(invoice, amount="50.00")
    make_invoice(survivor, total="10.00")
    make_message(invoice)
    make_note(merged, body="Asked about the difference engine")
    _db.session.add(AttentionItem(kind="contact_review", dedupe_key=f"review:{merged.id}",
                                  customer_id=merged.id))
    _db.session.add(Notification(user_id=admin.id, kind="x", text="t", customer_id=merged.id))
    _db.session.add(FollowUp(customer_id=merged.id, title="Send the engine drawings",
                             due_on=date(2026, 12, 24), assignee_id=admin.id))
    audit.record("customer.updated", user=admin, subject_type="customer",
                 subject_id=merged.id, summary="changed")
    documents.store(merged.id, io.BytesIO(b"Engine drawings, plain text"), "drawings.txt",
                    identity=False, user=admin, max_bytes=1 << 20)
    # Mail the admin filed on the merged file, with an attachment (a document of its own).
    deliver(bcc(admin.email, ["countess@engine.example"],
                attachments=[("plans.txt", b"Plans\n", "text/plain")]), admin)
    plan = CustomField(label="Plan", kind="text", position=1)
    renewal = CustomField(label="Renewal", kind="text", position=2)
    _db.session.add_all([plan, renewal])
    _db.session.flush()
    custom_fields.set_values(survivor.id, {plan: "Gold"})
    custom_fields.set_values(merged.id, {plan: "Silver", renewal: "March"})
    _db.session.commit()
    return admin, survivor, merged


def _snapshot() -> dict:
    """Every row of every table referring to a customer, with its customer columns, and
    the customers' own chosen fields: what merge + undo must give back."""
    shot = {}
    for name in sorted(referring_tables(_db.metadata)):
        table = _db.metadata.tables.get(name)
        if table is None or name in ("customers", "customer_merges"):
            continue
        columns = [fk.parent for fk in table.foreign_keys
                   if fk.column.table.name == "customers"]
        if name == "audit_log":
            columns = [table.c.subject_type, table.c.subject_id]
        if name == "customer_emails":
            columns += [table.c[c] for c in ("is_primary", "state", "suppressed", "problem")]
        if not columns:
            continue
        keys = [c for c in table.primary_key.columns]
        shot[name] = sorted(_db.session.execute(sa.select(*keys, *columns)).all())
    shot["customers"] = sorted(_db.session.execute(sa.select(
        Customer.id, Customer.first_name, Customer.company, Customer.industry,
        Customer.status, Customer.merged_into_id, Customer.marketing_consent,
        Customer.marketing_consent_source, Customer.sharing_consent)).all())
    return shot


def test_merge_moves_every_row_and_undo_puts_back_exactly_those(app, db, make_user):
    admin, survivor, merged = _pair(make_user)
    before = _snapshot()
    s_id, m_id = survivor.id, merged.id
    record = merge_customers(survivor, merged, {"company": "merged", "industry": "merged"},
                             user=admin)
    db.session.commit()
    db.session.expire_all()
    survivor, merged = db.session.get(Customer, s_id), db.session.get(Customer, m_id)
    assert (survivor.company, survivor.industry) == ("Analytical Ltd", "Computing")
    assert sorted(e.address for e in survivor.emails) == [
        "ada@engine.example", "countess@engine.example", "shared@engine.example"]
    assert [e.is_primary for e in survivor.emails].count(True) == 1
    assert sorted(p.display for p in survivor.phones) == ["+44 20 7946 0001",
                                                          "+44 20 7946 0002"]
    # The same number written another way stays behind; the other number moves.
    assert sorted(i.kind for i in survivor.identifiers) == ["national_id", "tax_id"]
    assert sorted(t.name for t in survivor.tags) == ["press", "vip"]
    assert len(survivor.addresses) == 1
    for model in (Invoice, AttentionItem, Notification, FollowUp):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
            model.customer_id == m_id)) == 0, model
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id)).where(
        Invoice.customer_id == s_id)) == 2
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.subject_type == "customer", AuditLog.subject_id == m_id)) == 0
    assert merged.merged_into_id == s_id and merged.status == "archived"
    # The uploaded document and the captured mail's attachment.
    assert [d.customer_id for d in db.session.scalars(sa.select(Document))] == [s_id, s_id]
    # An own field both files filled keeps the survivor's value; one only the merged file
    # filled moves to the survivor.
    fields = {f.label: f for f in db.session.scalars(sa.select(CustomField))}
    held = custom_fields.values_for([s_id, m_id], list(fields.values()))
    assert held[s_id] == {fields["Plan"].id: "Gold", fields["Renewal"].id: "March"}
    assert held[m_id] == {fields["Plan"].id: "Silver"}
    # Found by search under the survivor only.
    assert "countess@engine.example" in survivor.search_text

    # Something added to the survivor after the merge stays with it.
    later = make_note(survivor, body="Called after the merge")
    undo_merge(db.session.get(CustomerMerge, record.id), user=admin)
    db.session.commit()
    db.session.expire_all()
    after = _snapshot()
    after["notes"] = [row for row in after["notes"] if row[0] != later.id]
    assert after == before
    assert db.session.get(Customer, s_id).search_text.count("countess") == 0
    assert "countess" in db.session.get(Customer, m_id).search_text
    assert db.session.get(type(later), later.id).customer_id == s_id
    with pytest.raises(MergeRefused, match="already undone"):
        undo_merge(db.session.get(CustomerMerge, record.id), user=admin)


def test_undo_keeps_a_value_changed_since_the_merge(app, db, make_user):
    admin = make_user("admin")
    survivor = make_customer(company="Old Co")
    merged = make_customer(company="New Co")
    record = merge_customers(survivor, merged, {"company": "merged"}, user=admin)
    db.session.commit()
    survivor.company = "Typed since"
    db.session.commit()
    undo_merge(record, user=admin)
    db.session.commit()
    assert survivor.company == "Typed since"


def test_undo_is_refused_after_thirty_days_and_after_erasure(app, db, make_user):
    admin = make_user("admin")
    survivor, merged = make_customer(), make_customer()
    record = merge_customers(survivor, merged, {}, user=admin)
    db.session.commit()
    record.merged_at = utcnow() - timedelta(days=31)
    with pytest.raises(MergeRefused, match="30 days"):
        undo_merge(record, user=admin)
    record.merged_at = utcnow()
    db.session.commit()
    privacy.erase_customer(survivor)
    db.session.commit()
    # The undo record is personal data: erased with the customer, so nothing to undo.
    assert db.session.scalar(sa.select(sa.func.count(CustomerMerge.id))) == 0
    # The file merged into the erased one is the same person: erased with them.
    assert db.session.get(Customer, merged.id).erased_at is not None


def test_undo_is_refused_when_the_merged_file_was_erased(app, db, make_user):
    admin = make_user("admin")
    survivor, merged = make_customer(), make_customer()
    record = merge_customers(survivor, merged, {}, user=admin)
    db.session.commit()
    merged.erased_at = utcnow()  # as the erasure leaves it (the record stays on another)
    assert merge.undo_refusal(record, survivor, merged) == (
        "One of these customers was erased since the merge.")


def test_the_undo_record_is_in_the_data_export(app, db, make_user):
    admin = make_user("admin")
    survivor, merged = make_customer(company="Kept"), make_customer(company="Taken")
    merge_customers(survivor, merged, {"company": "merged"}, user=admin)
    db.session.commit()
    document = privacy.export_document(survivor, show_ids=False)
    assert document["merges"][0]["merged_id"] == merged.id
    assert document["merges"][0]["record"]["fields"]["company"] == ["Kept", "Taken"]


def test_the_undo_record_is_encrypted_at_rest(app, db, make_user):
    admin = make_user("admin")
    survivor, merged = make_customer(company="Plainly Secret"), make_customer(company="Other")
    merge_customers(survivor, merged, {"company": "merged"}, user=admin)
    db.session.commit()
    stored = db.session.execute(sa.text("SELECT record FROM customer_merges")).scalar()
    assert "Plainly Secret" not in stored


def test_staff_cannot_merge_customers_they_cannot_see(app, db, make_user):
    staff, colleague = make_user("staff"), make_user("staff")
    own, theirs = make_customer(owner=staff), make_customer(owner=colleague)
    with pytest.raises(MergeRefused, match="only customers you can see"):
        merge_customers(own, theirs, {}, user=staff)
    with pytest.raises(MergeRefused, match="only customers you can see"):
        merge_customers(theirs, own, {}, user=staff)
    assert theirs.merged_into_id is None and own.merged_into_id is None


# -- consent and address state never become less restrictive ------------------------------

STATES = [(state, suppressed) for state in ("ok", "unverified", "invalid")
          for suppressed in (False, True)]
RANK = {"ok": 0, "unverified": 1, "invalid": 2}


@pytest.mark.parametrize("mine, theirs", list(itertools.product(
    itertools.product((False, True), repeat=2), repeat=2)))
def test_consent_after_a_merge_is_the_most_restrictive(app, db, make_user, mine, theirs):
    admin = make_user("admin")
    survivor, merged = make_customer(), make_customer()
    for customer, answers in ((survivor, mine), (merged, theirs)):
        for kind, given in zip(("marketing", "sharing"), answers):
            change_consent(customer, kind, given, source="test")
    db.session.commit()
    merge_customers(survivor, merged, {}, user=admin)
    db.session.commit()
    db.session.expire_all()
    survivor = db.session.get(Customer, survivor.id)
    assert survivor.marketing_consent == (mine[0] and theirs[0])
    assert survivor.sharing_consent == (mine[1] and theirs[1])


@pytest.mark.parametrize("mine, theirs", list(itertools.product(STATES, repeat=2)))
def test_an_address_on_both_files_keeps_the_worse_state(app, db, make_user, mine, theirs):
    admin = make_user("admin")
    survivor = make_customer(emails=("same@example.org",))
    merged = make_customer(emails=("Same@Example.org",))
    for customer, (state, suppressed) in ((survivor, mine), (merged, theirs)):
        customer.emails[0].state = state
        customer.emails[0].suppressed = suppressed
        customer.emails[0].suppressed_reason = "hard bounce" if suppressed else ""
    db.session.commit()
    merge_customers(survivor, merged, {}, user=admin)
    db.session.commit()
    email = db.session.scalar(sa.select(CustomerEmail).where(
        CustomerEmail.customer_id == survivor.id))
    assert RANK[email.state] == max(RANK[mine[0]], RANK[theirs[0]])
    assert email.suppressed == (mine[1] or theirs[1])


def test_merge_refuses_erased_and_already_merged_files(app, db, make_user):
    admin = make_user("admin")
    a, b, c = make_customer(), make_customer(), make_customer()
    merge_customers(a, b, {}, user=admin)
    db.session.commit()
    with pytest.raises(MergeRefused, match="already merged"):
        merge_customers(c, b, {}, user=admin)
    with pytest.raises(MergeRefused, match="two different"):
        merge_customers(a, a, {}, user=admin)
    with pytest.raises(MergeRefused, match="Unknown fields"):
        merge_customers(a, c, {"search_text": "merged"}, user=admin)
    assert db.session.scalar(sa.select(Tag.id).limit(1)) is None


def test_billing_details_are_chosen_and_put_back_by_undo(app, db, make_user):
    admin = make_user("admin")
    survivor = make_customer(currency="EUR", payment_terms_days=14)
    merged = make_customer(currency="GBP", payment_terms_days=30, reminders_off=True,
                           reminders_off_reason="Pays by standing order")
    record = merge_customers(survivor, merged, {"currency": "merged",
                                                "payment_terms_days": "merged",
                                                "reminders_off": "merged"}, user=admin)
    db.session.commit()
    assert (survivor.currency, survivor.payment_terms_days, survivor.reminders_off) == (
        "GBP", 30, True)
    assert survivor.reminders_off_reason == ""  # not chosen: the survivor's stays
    undo_merge(record, user=admin)
    db.session.commit()
    assert (survivor.currency, survivor.payment_terms_days, survivor.reminders_off) == (
        "EUR", 14, False)
