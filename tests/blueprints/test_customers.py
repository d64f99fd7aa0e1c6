"""Customer list, file page, in-place editing, notes, export and erasure."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.models import AuditLog, Customer, Note
from tests.conftest import csrf_token
from tests.customer_factories import make_customer, make_invoice, make_note

HX = {"HX-Request": "true"}


def _audit(db, action):
    return db.session.scalars(db.select(AuditLog).filter_by(action=action)
                              .order_by(AuditLog.id)).all()


# -- list ------------------------------------------------------------------------------

def test_list_shows_customers_and_searches(client, login_as, db):
    login_as("admin")
    make_customer("Grace", "Hopper", emails=("grace@navy.example",), phones=("+442079460958",),
                  tags=("vip",))
    make_customer("Alan", "Turing", company="Bletchley Ltd")
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
        make_customer(f"Person{i:02d}", "Zed", owner=admin if i % 2 else None,
                      tags=("wholesale",) if i < 5 else (), commit=False)
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
    make_customer("Someone", "Else", owner=make_user("staff"))
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
    make_customer("Grace", "Hopper", emails=("grace@example.com",), id_number="GB123456789",
                  tags=("vip",))
    make_customer("=cmd", "Injection")
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
    c = make_customer("Grace", "Hopper", emails=("grace@example.com", "gh@example.org"),
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
