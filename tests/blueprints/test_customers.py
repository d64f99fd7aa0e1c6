"""Customer list, file page, in-place editing, notes, export and erasure."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from app.customers.privacy import erase_customer
from app.models import AuditLog, Customer, Note
from tests.conftest import csrf_token
from tests.factories import make_customer, make_invoice, make_note

HX = {"HX-Request": "true"}


def _audit(db, action):
    return db.session.scalars(db.select(AuditLog).filter_by(action=action)
                              .order_by(AuditLog.id)).all()


# -- list ------------------------------------------------------------------------------

def test_list_shows_customers_and_searches(client, login_as, db):
    login_as("admin")
    make_customer(first_name="Grace", last_name="Hopper", emails=("grace@navy.example",),
                  phones=("+442079460958",), tags=("vip",))
    make_customer(first_name="Alan", last_name="Turing", company="Bletchley Ltd", emails=())
    page = client.get("/customers/")
    assert page.status_code == 200
    assert "Grace Hopper" in page.text and "Alan Turing" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    for q in ("hopper", "navy.example", "020 7946 0958", "+44 20 7946 0958", "vip",
              "bletchley", "GRACE hop"):
        fragment = client.get("/customers/", query_string={"q": q}, headers=HX)
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        expected = "Alan Turing" if q == "bletchley" else "Grace Hopper"
        other = "Grace Hopper" if expected == "Alan Turing" else "Alan Turing"
        assert expected in fragment.text and other not in fragment.text, q
    # The pushed URL opened directly is the whole page with the search filled in.
    direct = client.get("/customers/?q=hopper")
    assert "<html" in direct.text and 'value="hopper"' in direct.text
    assert "Alan Turing" not in direct.text


def test_list_filters_sort_and_paginate(client, login_as, db):
    admin = login_as("admin")
    for i in range(30):
        make_customer(first_name=f"Person{i:02d}", last_name="Zed",
                      owner=admin if i % 2 else None, tags=("wholesale",) if i < 5 else (),
                      commit=False)
    db.session.commit()
    first = client.get("/customers/")
    assert "Person00" in first.text and "Person29" not in first.text
    assert "1–25 of 30 customers" in first.text
    second = client.get("/customers/?page=2")
    assert "Person29" in second.text
    desc = client.get("/customers/?sort=name&dir=desc")
    assert desc.text.index("Person29") < desc.text.index("Person28")
    tagged = client.get("/customers/?tag=wholesale")
    assert "5 of 5 customers" in tagged.text or "1–5 of 5 customers" in tagged.text
    mine = client.get("/customers/?owner=me")
    assert "1–15 of 15 customers" in mine.text
    nobody = client.get("/customers/?owner=none&status=all")
    assert "1–15 of 15 customers" in nobody.text
    odd = client.get("/customers/?sort=evil&dir=up&page=abc&owner=x&segment=zzz&status=q")
    assert odd.status_code == 200


def test_list_empty_states(client, login_as, db, make_user):
    login_as("staff")
    make_customer(first_name="Someone", last_name="Else", owner=make_user("staff"))
    page = client.get("/customers/")
    assert "No customers are assigned to you yet" in page.text
    assert "Someone" not in page.text


def test_list_no_match_empty_state(client, login_as):
    login_as("viewer")
    make_customer()
    page = client.get("/customers/?q=nothing-like-this")
    assert "No customers match" in page.text


def test_csv_export_follows_filters_and_masking(client, login_as, db, app):
    login_as("billing")
    make_customer(first_name="Grace", last_name="Hopper", emails=("grace@example.com",),
                  id_number="GB123456789", tags=("vip",))
    make_customer(first_name="=cmd", last_name="Injection")
    response = client.get("/customers/export.csv?tag=vip")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Grace" in body and "Injection" not in body
    assert "GB123456789" in body  # billing sees identification numbers
    all_rows = client.get("/customers/export.csv").get_data(as_text=True)
    assert "'=cmd" in all_rows
    entry = _audit(db, "customers.exported")[0]
    assert entry.details["rows"] == 1


def test_csv_export_masks_for_roles_without_view_ids(app, client, login_as, db, monkeypatch):
    from app import permissions

    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, "viewer",
                        permissions.ROLE_PERMISSIONS["viewer"] | {"customers.export"})
    login_as("viewer")
    make_customer(id_number="GB123456789")
    body = client.get("/customers/export.csv").get_data(as_text=True)
    assert "GB123456789" not in body and "•••• 6789" in body


def _excel_customers():
    make_customer(first_name="Zoë", last_name="Ørsted", emails=("zoe@example.com",),
                  phones=("020 7946 0958", "+49 30 901820", "+1 202 555 0143"))
    make_customer(first_name="@SUM(A1)", last_name="-Minus", phones=("020 7946 0001",))


def test_csv_export_opens_in_excel_with_a_phone_per_column(client, login_as, db):
    login_as("billing")
    _excel_customers()
    data = client.get("/customers/export.csv?sort=name").data
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    assert [h for h in header if h.startswith("phone")] == ["phone", "phone_2", "phone_3"]
    by_last = {r[header.index("last_name")]: r for r in rows[1:]}
    zoe = by_last["Ørsted"]
    assert [zoe[header.index(h)] for h in ("phone", "phone_2", "phone_3")] == [
        "'+442079460958", "'+4930901820", "'+12025550143"]  # each its own, neutralised
    other = by_last["'-Minus"]
    assert other[header.index("first_name")] == "'@SUM(A1)"
    assert other[header.index("phone_2")] == other[header.index("phone_3")] == ""


def test_xlsx_export_holds_phones_and_formula_like_text_as_text(client, login_as, db):
    from openpyxl import load_workbook

    login_as("billing")
    _excel_customers()
    response = client.get("/customers/export.xlsx?sort=name")
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data))["Customers"]
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    by_last = {r[header.index("last_name")].value: r for r in rows[1:]}
    zoe = by_last["Ørsted"]
    phones = [zoe[header.index(h)] for h in ("phone", "phone_2", "phone_3")]
    assert [c.value for c in phones] == ["+442079460958", "+4930901820", "+12025550143"]
    assert all(c.data_type == "s" and c.quotePrefix for c in phones)  # text, stays text
    assert zoe[header.index("id")].data_type == "n"
    formula = by_last["-Minus"][header.index("first_name")]
    assert formula.value == "@SUM(A1)" and formula.data_type == "s" and formula.quotePrefix
    assert not zoe[header.index("first_name")].quotePrefix  # only where it is needed
    assert _audit(db, "customers.exported")[0].details["format"] == "xlsx"


def test_saved_filters_are_per_user(client, login_as, db):
    from app.models import SavedFilter

    user = login_as("admin")
    token = csrf_token(client, "/customers/")
    response = client.post("/customers/filters", data={
        "csrf_token": token, "name": "VIPs", "query": "tag=vip&evil=1&status=all"})
    assert response.status_code == 303
    saved = db.session.scalars(db.select(SavedFilter)).one()
    assert saved.user_id == user.id and saved.query == "tag=vip&status=all"
    assert "VIPs" in client.get("/customers/").text
    response = client.post(f"/customers/filters/{saved.id}/delete",
                           data={"csrf_token": token})
    assert response.status_code == 303
    assert db.session.scalars(db.select(SavedFilter)).all() == []


# -- create ----------------------------------------------------------------------------

def test_create_customer_and_duplicate_warning(client, login_as, db):
    user = login_as("staff")
    token = csrf_token(client, "/customers/new")
    data = {"csrf_token": token, "kind": "person", "first_name": "Mary",
            "last_name": "Somerville", "email": "Mary@Example.com", "phone": "020 7946 0000",
            "owner_id": str(user.id), "tags": "new, science"}
    response = client.post("/customers/new", data=data)
    assert response.status_code == 303, response.text[:2000]
    customer = db.session.scalars(db.select(Customer)).one()
    assert customer.owner_id == user.id
    assert customer.emails[0].address == "mary@example.com"
    assert customer.phones[0].e164 == "+442079460000"
    assert sorted(t.name for t in customer.tags) == ["new", "science"]
    again = client.post("/customers/new", data={**data, "first_name": "M."})
    assert again.status_code == 409
    assert "may be a customer you already have" in again.text
    assert 'name="confirm_duplicate" type="hidden" value="1"' in again.text
    anyway = client.post("/customers/new", data={**data, "confirm_duplicate": "1"})
    assert anyway.status_code == 303
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 2


def test_create_customer_validation(client, login_as):
    user = login_as("admin")
    token = csrf_token(client, "/customers/new")
    response = client.post("/customers/new", data={
        "csrf_token": token, "kind": "person", "email": "not an email", "phone": "12",
        "owner_id": str(user.id)})
    assert response.status_code == 422
    assert "not a valid email address" in response.text
    assert "Enter a first or last name" in response.text


def test_staff_creates_customers_for_themselves_only(client, login_as, make_user, db):
    user = login_as("staff")
    other = make_user("staff")
    token = csrf_token(client, "/customers/new")
    response = client.post("/customers/new", data={
        "csrf_token": token, "kind": "company", "company": "Acme", "owner_id": str(other.id)})
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 0
    assert user.id


# -- file page -------------------------------------------------------------------------

def test_file_page_shows_sections_and_audits_the_view(client, login_as, db):
    user = login_as("billing")
    c = make_customer(first_name="Grace", last_name="Hopper",
                      emails=("grace@example.com", "gh@example.org"),
                      phones=("+442079460958",), id_number="GB123456789", tags=("vip",))
    page = client.get(f"/customers/{c.id}")
    assert page.status_code == 200, page.text[:3000]
    for text in ("Identity", "Contact", "Preferences &amp; consent", "Assignment &amp; state",
                 "Transactions", "grace@example.com", "+44 20 7946 0958", "GB123456789",
                 "History"):
        assert text in page.text, text
    assert page.headers["Cache-Control"] == "no-store"
    viewed = _audit(db, "customer.viewed")
    assert [(e.user_id, e.subject_type, e.subject_id) for e in viewed] == \
        [(user.id, "customer", c.id)]


def test_ids_masked_for_staff_and_viewer(client, login_as, db):
    staff = login_as("staff")
    c = make_customer(owner=staff, id_number="GB123456789")
    page = client.get(f"/customers/{c.id}")
    assert "GB123456789" not in page.text and "•••• 6789" in page.text


def _contact_data(token, emails, primary="0", phones=(), addresses=()):
    data = {"csrf_token": token, "primary_email": primary}
    for i, (address, state) in enumerate(emails):
        data[f"emails-{i}-address"] = address
        data[f"emails-{i}-state"] = state
        data[f"emails-{i}-label"] = ""
    for i, number in enumerate(phones):
        data[f"phones-{i}-number"] = number
    for i, (line1, city, country) in enumerate(addresses):
        data.update({f"addresses-{i}-line1": line1, f"addresses-{i}-city": city,
                     f"addresses-{i}-country": country})
    return data


def test_edit_contact_in_place(client, login_as, db):
    staff = login_as("staff")
    c = make_customer(first_name="Grace", last_name="Hopper", owner=staff,
                      emails=("grace@example.com",))
    c.emails[0].suppressed = True
    db.session.commit()
    form = client.get(f"/customers/{c.id}/contact/edit", headers=HX)
    assert form.status_code == 200
    assert "<html" not in form.text and 'id="sec-contact"' in form.text
    assert 'name="emails-1-address"' in form.text  # a blank row to add another
    token = csrf_token(client, f"/customers/{c.id}")
    bad = client.post(f"/customers/{c.id}/contact/edit", headers=HX, data=_contact_data(
        token, [("grace@example.com", "ok"), ("not-an-email", "unverified")],
        phones=("12",)))
    assert bad.status_code == 422
    assert "not a valid email address" in bad.text and "not-an-email" in bad.text
    assert 'aria-invalid="true"' in bad.text
    good = client.post(f"/customers/{c.id}/contact/edit", headers=HX, data=_contact_data(
        token, [("grace@example.com", "ok"), ("G.Hopper@Navy.example", "unverified")],
        primary="1", phones=("020 7946 0958", "+1 202 555 0143"),
        addresses=[("1 Main St", "London", "gb")]))
    assert good.status_code == 200, good.text[:2000]
    assert 'id="file-head"' in good.text and 'hx-swap-oob="true"' in good.text
    assert "timeline-changed" in good.headers["HX-Trigger"]
    db.session.expire_all()
    c = db.session.get(Customer, c.id)
    assert [(e.address, e.is_primary, e.state) for e in c.emails] == [
        ("g.hopper@navy.example", True, "unverified"), ("grace@example.com", False, "ok")]
    assert next(e for e in c.emails if e.address == "grace@example.com").suppressed
    assert [p.e164 for p in c.phones] == ["+442079460958", "+12025550143"]
    assert c.addresses[0].country == "GB"
    assert "g.hopper@navy.example" in c.search_text
    entry = _audit(db, "customer.updated")[-1]
    assert entry.subject_id == c.id and entry.details["section"] == "contact"
    assert set(entry.details["changes"]) == {"emails", "phones", "addresses"}
    # Cancel swaps the display back in.
    cancel = client.get(f"/customers/{c.id}/section/contact", headers=HX)
    assert cancel.status_code == 200 and "g.hopper@navy.example" in cancel.text
    assert "data-testid=\"form-contact\"" not in cancel.text


def test_edit_works_without_javascript(client, login_as, db):
    login_as("admin")
    c = make_customer(first_name="Grace", last_name="Hopper")
    page = client.get(f"/customers/{c.id}/identity/edit")
    assert page.status_code == 200 and "<html" in page.text
    assert 'name="first_name"' in page.text
    token = csrf_token(client, f"/customers/{c.id}")
    bad = client.post(f"/customers/{c.id}/identity/edit", data={
        "csrf_token": token, "kind": "company", "company": ""})
    assert bad.status_code == 422 and "<html" in bad.text
    assert "A company needs its name." in bad.text
    good = client.post(f"/customers/{c.id}/identity/edit", data={
        "csrf_token": token, "kind": "company", "company": "Hopper Computing",
        "born_or_founded": "1906-12-09", "size": "2-9"})
    assert good.status_code == 303
    assert good.headers["Location"].endswith(f"/customers/{c.id}#sec-identity")
    db.session.expire_all()
    c = db.session.get(Customer, c.id)
    assert c.display_name == "Hopper Computing" and c.sort_name == "hopper computing"
    changes = _audit(db, "customer.updated")[-1].details["changes"]
    assert changes["company"] == ["", "Hopper Computing"]
    assert changes["born_or_founded"] == "[changed, value not logged]"


def test_identifiers_edit_is_encrypted_and_audit_redacted(client, login_as, db):
    login_as("billing")
    c = make_customer()
    token = csrf_token(client, f"/customers/{c.id}")
    response = client.post(f"/customers/{c.id}/ids/edit", headers=HX, data={
        "csrf_token": token, "rows-0-kind": "vat", "rows-0-value": "DE 811 907 980"})
    assert response.status_code == 200
    assert "DE 811 907 980" in response.text
    db.session.expire_all()
    ident = db.session.get(Customer, c.id).identifiers[0]
    assert ident.value == "DE 811 907 980" and ident.last4 == "7980"
    entry = _audit(db, "customer.updated")[-1]
    assert "811" not in str(entry.details) + entry.summary


def test_consent_edit_and_one_click_withdrawal(client, login_as, db, make_user):
    login_as("admin")
    c = make_customer()
    token = csrf_token(client, f"/customers/{c.id}")
    response = client.post(f"/customers/{c.id}/consent/edit", headers=HX, data={
        "csrf_token": token, "preferred_channel": "phone", "marketing_consent": "y",
        "source": "signed form"})
    assert response.status_code == 200
    db.session.expire_all()
    c = db.session.get(Customer, c.id)
    assert c.marketing_consent and c.marketing_consent_source == "signed form"
    assert c.marketing_consent_at is not None and not c.sharing_consent
    withdraw = client.post(f"/customers/{c.id}/consent/marketing/withdraw", headers=HX,
                           data={"csrf_token": token})
    assert withdraw.status_code == 200 and "no consent" in withdraw.text
    db.session.expire_all()
    c = db.session.get(Customer, c.id)
    assert not c.marketing_consent and "withdrawn" in c.marketing_consent_source
    assert _audit(db, "customer.consent_withdrawn")[0].details == {"consent": "marketing"}
    assert client.post(f"/customers/{c.id}/consent/other/withdraw",
                       data={"csrf_token": token}).status_code == 404


def test_assignment_edit_and_verify(client, login_as, db, make_user):
    login_as("admin")
    staff = make_user("staff", name="Sam")
    c = make_customer(needs_review=True, needs_review_reason="bounced")
    token = csrf_token(client, f"/customers/{c.id}")
    response = client.post(f"/customers/{c.id}/assignment/edit", headers=HX, data={
        "csrf_token": token, "owner_id": str(staff.id), "status": "inactive",
        "tags": "vip, VIP, wholesale", "needs_review": "y", "needs_review_reason": "bounced"})
    assert response.status_code == 200, response.text[:1500]
    db.session.expire_all()
    c = db.session.get(Customer, c.id)
    assert c.owner_id == staff.id and c.status == "inactive"
    assert [t.name for t in c.tags] == ["vip", "wholesale"]
    changes = _audit(db, "customer.updated")[-1].details["changes"]
    assert changes["owner"] == [None, staff.email]
    verify = client.post(f"/customers/{c.id}/verify", headers=HX, data={"csrf_token": token})
    assert verify.status_code == 200
    db.session.expire_all()
    c = db.session.get(Customer, c.id)
    assert not c.needs_review and c.last_verified_on == date.today()


# -- notes and timeline ----------------------------------------------------------------

def test_add_note_inline_and_timeline(client, login_as, db):
    staff = login_as("staff")
    c = make_customer(owner=staff)
    token = csrf_token(client, f"/customers/{c.id}")
    empty = client.post(f"/customers/{c.id}/notes", headers=HX,
                        data={"csrf_token": token, "kind": "call", "body": "  "})
    assert empty.status_code == 422 and "Write something first." in empty.text
    response = client.post(f"/customers/{c.id}/notes", headers=HX, data={
        "csrf_token": token, "kind": "call", "body": "<script>alert(1)</script> rang back",
        "invoice_id": "0"})
    assert response.status_code == 200
    assert "timeline-changed" in response.headers["HX-Trigger"]
    note = db.session.scalars(db.select(Note)).one()
    assert note.author_id == staff.id and note.kind == "call"
    timeline = client.get(f"/customers/{c.id}/timeline", headers=HX)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; rang back" in timeline.text
    assert "<script>alert" not in timeline.text


def test_timeline_merges_sources_newest_first_and_pages(client, login_as, db):
    from datetime import datetime, timezone

    login_as("admin")
    c = make_customer()
    # Numbered as the old customer factory did: the assertion below looks for "Invoice C".
    make_invoice(c, status="paid", total="250.00", issue_date=date(2024, 3, 1),
                 number=f"C{c.id}-0001")
    for i in range(30):
        make_note(c, body=f"note {i:02d}",
                  occurred_at=datetime(2024, 1, 1, 12, i, tzinfo=timezone.utc))
    first = client.get(f"/customers/{c.id}/timeline", headers=HX)
    text = first.text
    assert text.index("Invoice C") < text.index("Payment for invoice") or \
        "Payment for invoice" in text
    assert text.index("note 29") < text.index("note 28")
    assert 'hx-trigger="revealed"' in text
    import re

    older = re.search(r'hx-get="([^"]+before=[^"]+)"', text).group(1).replace("&amp;", "&")
    second = client.get(older, headers=HX).text
    shown = re.findall(r"note (\d\d)", text) + re.findall(r"note (\d\d)", second)
    assert sorted(shown) == [f"{i:02d}" for i in range(30)]  # none lost, none repeated
    # Opened without htmx, the timeline is a plain page with an "Older" link.
    plain = client.get(f"/customers/{c.id}/timeline")
    assert "<html" in plain.text and "Older" in plain.text


# -- audit, export, erasure ------------------------------------------------------------

def test_audit_page_filters_by_customer(client, login_as, db):
    login_as("admin")
    a = make_customer(first_name="Alpha", last_name="A")
    b = make_customer(first_name="Beta", last_name="B")
    client.get(f"/customers/{a.id}")
    client.get(f"/customers/{b.id}")
    page = client.get(f"/admin/audit?subject=customer:{a.id}")
    # The log names the customer in words (issue #19), not "customer:<id>".
    assert "Opened the file of Alpha A" in page.text and "Beta B" not in page.text
    assert f'href="/admin/audit?subject=customer:{a.id}"' in client.get(
        f"/customers/{a.id}").text


def test_json_export_holds_everything_and_is_audited(client, login_as, db):
    import json

    login_as("billing")
    c = make_customer(first_name="Grace", last_name="Hopper", emails=("grace@example.com",),
                      phones=("+442079460958",), id_number="GB123456789", tags=("vip",))
    make_note(c, body="Prefers mornings")
    make_invoice(c, status="paid", total="120.00", issue_date=date(2025, 1, 10))
    response = client.get(f"/customers/{c.id}/export.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    doc = json.loads(response.get_data(as_text=True))
    assert doc["customer"]["first_name"] == "Grace" and doc["customer"]["tags"] == ["vip"]
    assert doc["emails"][0]["address"] == "grace@example.com"
    assert doc["identifiers"][0]["value"] == "GB123456789"
    assert doc["notes"][0]["body"] == "Prefers mornings"
    assert doc["invoices"][0]["total"] == "120.00"
    assert doc["invoices"][0]["payments"][0]["amount"] == "120.00"
    entry = _audit(db, "customer.exported")[0]
    assert entry.subject_id == c.id and entry.details["format"] == "json"


def test_erasure_anonymises_keeps_invoices_and_is_audited(client, login_as, db):
    login_as("admin")
    c = make_customer(first_name="Grace", last_name="Hopper", emails=("grace@example.com",),
                      phones=("+442079460958",), id_number="GB123456789", tags=("vip",),
                      company="Navy", marketing_consent=True)
    make_note(c, body="Lives at 1 Main St")
    invoice = make_invoice(c, status="paid", total="120.00", issue_date=date(2025, 1, 10))
    token = csrf_token(client, f"/customers/{c.id}")
    client.post(f"/customers/{c.id}/identity/edit", data={
        "csrf_token": token, "kind": "person", "first_name": "Grace", "last_name": "Hopper-X",
        "size": ""})
    page = client.get(f"/customers/{c.id}/erase")
    assert page.status_code == 200 and "be undone" in page.text
    wrong = client.post(f"/customers/{c.id}/erase", data={"csrf_token": token,
                                                          "confirm": "erase"})
    assert wrong.status_code == 422
    done = client.post(f"/customers/{c.id}/erase", data={"csrf_token": token,
                                                         "confirm": "ERASE"})
    assert done.status_code == 303
    db.session.expire_all()
    c = db.session.get(Customer, c.id)
    assert c.erased_at and c.first_name == "" and c.company == ""
    assert c.display_name == f"Erased customer #{c.id}"
    assert not (c.emails or c.phones or c.identifiers or c.tags) and not c.marketing_consent
    assert db.session.scalars(db.select(Note)).all() == []
    assert db.session.get(type(invoice), invoice.id).total == invoice.total
    erased = _audit(db, "customer.erased")[0]
    assert erased.subject_id == c.id and erased.details["emails"] == 1
    update = _audit(db, "customer.updated")[0]
    assert "Hopper" not in str(update.details)
    page = client.get(f"/customers/{c.id}")
    assert "Grace" not in page.text and "grace@example.com" not in page.text


def test_an_erased_file_can_no_longer_be_changed(client, login_as, db):
    login_as("admin")
    c = make_customer(first_name="Grace", last_name="Hopper", emails=("grace@example.com",),
                      marketing_consent=True)
    erase_customer(c)
    db.session.commit()
    token = csrf_token(client, f"/customers/{c.id}")
    assert 'name="body"' not in client.get(f"/customers/{c.id}").text  # no note form
    attempts = [
        (f"/customers/{c.id}/identity/edit", {"kind": "person", "first_name": "Grace",
                                              "last_name": "Hopper", "size": ""}),
        (f"/customers/{c.id}/contact/edit", {}),
        (f"/customers/{c.id}/consent/marketing/withdraw", {}),
        (f"/customers/{c.id}/verify", {}),
        (f"/customers/{c.id}/notes", {"kind": "call", "body": "Grace called"}),
    ]
    for url, data in attempts:
        response = client.post(url, data={"csrf_token": token, **data}, headers=HX)
        assert response.status_code == 409, url
        assert "erased" in response.text
    db.session.expire_all()
    c = db.session.get(Customer, c.id)
    assert c.first_name == "" and not c.emails
    assert db.session.scalars(db.select(Note)).all() == []


@pytest.mark.parametrize("role", ["billing", "staff", "viewer"])
def test_only_admin_erases(client, login_as, role):
    user = login_as(role)
    c = make_customer(owner=user)
    assert client.get(f"/customers/{c.id}/erase").status_code == 403


def test_note_linked_to_an_invoice_of_this_customer_only(client, login_as, db):
    login_as("billing")
    c, other = make_customer(), make_customer(first_name="Other", last_name="One")
    mine = make_invoice(c, status="paid", total="10.00", issue_date=date(2025, 2, 1))
    theirs = make_invoice(other, status="paid", total="10.00", issue_date=date(2025, 2, 1))
    token = csrf_token(client, f"/customers/{c.id}")
    refused = client.post(f"/customers/{c.id}/notes", headers=HX, data={
        "csrf_token": token, "kind": "email", "body": "x", "invoice_id": str(theirs.id)})
    assert refused.status_code == 422
    ok = client.post(f"/customers/{c.id}/notes", headers=HX, data={
        "csrf_token": token, "kind": "email", "body": "Sent a copy", "invoice_id": str(mine.id)})
    assert ok.status_code == 200
    timeline = client.get(f"/customers/{c.id}/timeline", headers=HX).text
    assert f"about invoice {mine.number}" in timeline
    # The note, the invoice and its payment link to it; nothing links to the other's.
    assert timeline.count(f'href="/invoices/{mine.id}"') == 3
    assert f'href="/invoices/{theirs.id}"' not in timeline
