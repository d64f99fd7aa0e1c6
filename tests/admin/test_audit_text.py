"""The audit log in words: names, invoice numbers, changes as before → after."""
from __future__ import annotations

from app import audit
from app.admin.audit_text import change_lines, describe
from app.extensions import db
from tests.factories import make_customer, make_invoice


def test_entries_read_as_sentences_with_names(app, make_user):
    ann = make_user("billing", name="Ann Ledger")
    invoice = make_invoice(make_customer(first_name="Ada", last_name="Byron"))
    customer = invoice.customer
    entries = [
        audit.record("invoice.emailed", user=ann, subject_type="invoice", subject_id=invoice.id,
                     details={"recipients": ["ann@x.org", "ap@x.org"]}),
        audit.record("customer.updated", user=ann, subject_type="customer",
                     subject_id=customer.id,
                     details={"section": "identity",
                              "changes": {"industry": ["Retail", "Health"],
                                          "company": [None, "Byron Ltd"]}}),
        audit.record("user.updated", user=ann, subject_type="user", subject_id=ann.id,
                     details={"role": ["staff", "billing"], "active": [False, True]}),
        audit.record("customer.email_bounced", actor="mail system", subject_type="customer",
                     subject_id=customer.id, summary="ann@x.org marked invalid"),
        audit.record("something.new", actor="cli", details={"count": 3}),
    ]
    db.session.commit()
    lines = describe(entries)
    assert [line.who for line in lines] == ["Ann Ledger"] * 3 + ["mail system", "cli"]
    assert lines[0].text == f"Invoice {invoice.number} emailed to ann@x.org, ap@x.org"
    assert lines[1].text == "Changed Ada Byron"
    assert lines[1].changes == ["Industry: Retail → Health", "Company: (empty) → Byron Ltd"]
    assert lines[2].text == f"Changed user {ann.email}"
    assert lines[2].changes == ["Role: staff → billing", "Active: no → yes"]
    assert lines[3].changes == ["ann@x.org marked invalid"]
    assert lines[4].text == "Something new" and lines[4].changes == ["Count: 3"]


def test_audit_page_shows_words_not_codes_or_json(client, login_as, db):
    admin = login_as("admin", name="Ada Admin")
    invoice = make_invoice()
    audit.record("invoice.emailed", user=admin, subject_type="invoice", subject_id=invoice.id,
                 details={"recipients": ["ann@x.org"]})
    db.session.commit()
    page = client.get("/admin/audit").text
    assert f"Invoice {invoice.number} emailed to ann@x.org" in page
    assert "Ada Admin" in page
    assert "invoice.emailed</" not in page and '{"recipients"' not in page
    assert change_lines({"changes": "[changed, value not logged]"}) == []
