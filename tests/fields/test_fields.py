"""The office's own customer fields: defining, editing in the file, the list's filter and
columns, import → export → erasure, who sees a sensitive field, removal in two steps."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

from app import fields as custom_fields
from app.models import Customer, CustomField, CustomFieldValue
from tests.conftest import csrf_token
from tests.customers.test_csv_import import _confirm, _import_id, _map, _upload
from tests.factories import make_customer


def _field(db, label, kind="text", **extra) -> CustomField:
    field = CustomField(label=label, kind=kind, position=custom_fields.next_position(),
                        choices=extra.pop("choices", []), **extra)
    db.session.add(field)
    db.session.commit()
    return field


def _value(db, customer_id, field_id):
    db.session.expire_all()
    return custom_fields.values_for([customer_id], [db.session.get(CustomField, field_id)]
                                    ).get(customer_id, {}).get(field_id)


def test_an_admin_adds_a_field_on_the_fields_page(client, login_as, db):
    login_as("admin")
    page = client.get("/admin/fields/")
    assert page.status_code == 200 and "Add a field" in page.text
    response = client.post("/admin/fields/", data={
        "csrf_token": csrf_token(client, "/admin/fields/"), "label": "Plan", "kind": "choice",
        "choices": "Basic\nPremium\nPremium", "in_list": "y"})
    assert response.status_code == 303
    field = db.session.scalars(db.select(CustomField)).one()
    assert (field.kind, field.choices, field.in_list, field.required) == \
        ("choice", ["Basic", "Premium"], True, False)
    refused = client.post("/admin/fields/", data={
        "csrf_token": csrf_token(client, "/admin/fields/"), "label": "Tier", "kind": "choice",
        "choices": "Only one"})
    assert refused.status_code == 422 and "at least two choices" in refused.text


def test_only_admins_define_fields(client, login_as):
    login_as("billing")
    assert client.get("/admin/fields/").status_code == 403


def test_values_are_validated_and_saved_in_the_file(client, login_as, db):
    user = login_as("admin")
    count = _field(db, "Employees", "number", required=True)
    renewal = _field(db, "Renewal", "date")
    plan = _field(db, "Plan", "choice", choices=["Basic", "Premium"])
    customer = make_customer(owner=user)
    url = f"/customers/{customer.id}/own_fields/edit"
    token = csrf_token(client, f"/customers/{customer.id}")
    bad = client.post(url, data={"csrf_token": token, count.key: "abc",
                                 renewal.key: "soon", plan.key: "Gold"})
    assert bad.status_code == 422
    assert "“abc” is not a number" in bad.text and "“soon” is not a date" in bad.text
    assert "choose one of Basic, Premium" in bad.text
    missing = client.post(url, data={"csrf_token": token, count.key: ""})
    assert missing.status_code == 422 and "Employees is required" in missing.text
    ok = client.post(url, data={"csrf_token": token, count.key: "1,250",
                                renewal.key: "31/12/2026", plan.key: "premium"})
    assert ok.status_code == 303
    assert _value(db, customer.id, count.id) == Decimal("1250")
    assert _value(db, customer.id, renewal.id) == date(2026, 12, 31)
    assert _value(db, customer.id, plan.id) == "Premium"
    iso = client.post(url, data={"csrf_token": token, count.key: "3",
                                 renewal.key: "2027-01-15", plan.key: ""})
    assert iso.status_code == 303
    assert _value(db, customer.id, renewal.id) == date(2027, 1, 15)
    assert _value(db, customer.id, plan.id) is None
    shown = client.get(f"/customers/{customer.id}").text
    assert "Employees" in shown and "15 Jan 2027" in shown


def test_a_required_field_does_not_block_older_files(client, login_as, db):
    user = login_as("admin")
    old = make_customer(owner=user)
    _field(db, "Member number", required=True)
    page = client.get(f"/customers/{old.id}")
    assert page.status_code == 200 and "not filled in (required)" in page.text
    # Other sections still save without it.
    response = client.post(f"/customers/{old.id}/billing/edit", data={
        "csrf_token": csrf_token(client, f"/customers/{old.id}"), "currency": "",
        "language": "", "payment_terms_days": ""})
    assert response.status_code == 303


def test_a_new_customer_needs_a_required_field(client, login_as, db):
    login_as("admin")
    member = _field(db, "Member number", required=True)
    data = {"csrf_token": csrf_token(client, "/customers/new"), "kind": "person",
            "first_name": "Ada", "last_name": "Lovelace", "owner_id": "0"}
    refused = client.post("/customers/new", data=data)
    assert refused.status_code == 422 and "Member number is required" in refused.text
    added = client.post("/customers/new", data={**data, member.key: "M-17"})
    assert added.status_code == 303
    ada = db.session.scalars(db.select(Customer).filter_by(last_name="Lovelace")).one()
    assert _value(db, ada.id, member.id) == "M-17"


def test_the_list_filters_by_a_field_and_shows_its_column(client, login_as, db):
    user = login_as("admin")
    plan = _field(db, "Plan", "choice", choices=["Basic", "Premium"], in_list=True)
    vip = _field(db, "Key account", "yesno")
    premium = make_customer(last_name="Premiumperson", owner=user)
    basic = make_customer(last_name="Basicperson", owner=user)
    custom_fields.set_values(premium.id, {plan: "Premium", vip: True})
    custom_fields.set_values(basic.id, {plan: "Basic", vip: False})
    db.session.commit()
    page = client.get("/customers/")
    assert '<th>Plan</th>' in page.text and 'data-label="Plan" class="own-field">Premium<' in page.text
    filtered = client.get(f"/customers/?{plan.key}=Premium")
    assert "Premiumperson" in filtered.text and "Basicperson" not in filtered.text
    no = client.get(f"/customers/?{vip.key}=no")
    assert "Basicperson" in no.text and "Premiumperson" not in no.text
    # A value the field can't hold is ignored, as any unknown argument is.
    assert "Basicperson" in client.get(f"/customers/?{vip.key}=maybe").text


def test_a_wide_field_filter_is_counted_up_to_the_cap_as_searches_are(
        client, login_as, db, monkeypatch):
    from app.blueprints.customers import routes
    from app.customers import search

    monkeypatch.setattr(search, "SEARCH_COUNT_CAP", 4)
    monkeypatch.setattr(routes, "PER_PAGE", 2)
    user = login_as("admin")
    plan = _field(db, "Plan", "choice", choices=["Basic", "Premium"], in_list=True)
    for i in range(5):
        c = make_customer(last_name=f"Premium{i}", owner=user)
        custom_fields.set_values(c.id, {plan: "Premium"})
    lone = make_customer(last_name="Basicperson", owner=user)
    custom_fields.set_values(lone.id, {plan: "Basic"})
    db.session.commit()
    wide = client.get(f"/customers/?{plan.key}=Premium").text
    assert "1–2 of 4 customers or more" in wide and "Page 1 of 2" in wide
    assert "At least 4 customers match; add another filter to narrow the list." in wide
    assert "Export CSV (4 or more)" in wide
    assert wide.count('data-label="Plan" class="own-field">Premium<') == 2
    searched = client.get(f"/customers/?{plan.key}=Premium&q=premium").text
    assert "customers match; type more of the name, email or phone" in searched
    # Under the cap the count is exact, as is the list without a field filter.
    narrow = client.get(f"/customers/?{plan.key}=Basic").text
    assert re.search(r"1–1 of 1 customers\s*<", narrow) and "At least" not in narrow
    whole = client.get("/customers/").text
    assert re.search(r"1–2 of 6 customers\s*<", whole) and "Export CSV (6)" in whole


def test_a_sensitive_field_is_encrypted_and_hidden_from_roles_without_ids(
        client, login_as, db, make_user):
    staff = make_user("staff")
    secret = _field(db, "Passport", sensitive=True, in_list=True)
    open_field = _field(db, "Plan", in_list=True)
    customer = make_customer(last_name="Secretive", owner=staff)
    custom_fields.set_values(customer.id, {secret: "P1234567", open_field: "Gold"})
    db.session.commit()
    stored = db.session.execute(db.text(
        "SELECT text_value, secret FROM customer_field_values WHERE field_id = :f"),
        {"f": secret.id}).one()
    assert stored[0] is None and "P1234567" not in stored[1]
    assert custom_fields.filter_clause(secret, "P1234567") is None  # encrypted: no filter
    from tests.conftest import login
    login(client, staff.email)
    listing, file_page = client.get("/customers/").text, client.get(
        f"/customers/{customer.id}").text
    assert "Passport" not in listing and "P1234567" not in listing and "Gold" in listing
    assert "Passport" not in file_page and "P1234567" not in file_page
    edit = client.get(f"/customers/{customer.id}/own_fields/edit").text
    assert secret.key not in edit
    staff.role = "billing"  # sees identification numbers and exports
    db.session.commit()
    exported = client.get(f"/customers/{customer.id}/export.json").get_json()
    assert exported["fields"] == {"Passport": "P1234567", "Plan": "Gold"}
    assert "P1234567" in client.get(f"/customers/{customer.id}").text


def test_a_field_survives_import_export_and_erasure(client, login_as, db):
    login_as("admin")
    renewal = _field(db, "Renewal date", "date")
    secret = _field(db, "Passport", sensitive=True)
    content = ("Name,Email,Renewal date,Passport\n"
               "Grace Hopper,grace@example.com,31/12/2026,P-42\n")
    import_id = _import_id(_upload(client, content))
    review = _map(client, import_id)  # the columns are found by the fields' names
    assert 'data-testid="count-create">1<' in review.text
    assert _confirm(client, import_id).status_code == 303
    grace = db.session.scalars(db.select(Customer).filter_by(last_name="Hopper")).one()
    assert _value(db, grace.id, renewal.id) == date(2026, 12, 31)
    assert _value(db, grace.id, secret.id) == "P-42"
    rows = list(csv.DictReader(io.StringIO(
        client.get("/customers/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["Renewal date"] == "2026-12-31" and rows[0]["Passport"] == "P-42"
    exported = client.get(f"/customers/{grace.id}/export.json").get_json()
    assert exported["fields"] == {"Renewal date": "2026-12-31", "Passport": "P-42"}
    erase = client.post(f"/customers/{grace.id}/erase", data={
        "csrf_token": csrf_token(client, f"/customers/{grace.id}/erase"), "confirm": "ERASE"})
    assert erase.status_code == 303, erase.text[:800]
    assert db.session.scalar(db.select(db.func.count()).select_from(CustomFieldValue)) == 0
    assert "P-42" not in json.dumps(
        client.get(f"/customers/{grace.id}/export.json").get_json())


def test_a_bad_value_in_an_import_is_a_row_problem(client, login_as, db):
    login_as("admin")
    _field(db, "Employees", "number")
    import_id = _import_id(_upload(client, "Name,Employees\nGrace Hopper,lots\n"))
    review = _map(client, import_id)
    assert "“lots” is not a number" in review.text


def test_removing_a_field_keeps_its_data_until_confirmed(client, login_as, db):
    user = login_as("admin")
    plan = _field(db, "Plan", in_list=True)
    customer = make_customer(last_name="Kept", owner=user)
    custom_fields.set_values(customer.id, {plan: "Gold"})
    db.session.commit()
    token = csrf_token(client, "/admin/fields/")
    assert client.post(f"/admin/fields/{plan.id}/purge",
                       data={"csrf_token": token, "confirm": "Plan"}).status_code == 303
    assert db.session.get(CustomField, plan.id) is not None  # not hidden first: refused
    assert client.post(f"/admin/fields/{plan.id}/hide",
                       data={"csrf_token": token}).status_code == 303
    assert "<th>Plan</th>" not in client.get("/customers/").text
    assert _value(db, customer.id, plan.id) == "Gold"  # hidden, kept
    assert "Gold" in json.dumps(client.get(f"/customers/{customer.id}/export.json").get_json())
    wrong = client.post(f"/admin/fields/{plan.id}/purge",
                        data={"csrf_token": token, "confirm": "yes"})
    assert wrong.status_code == 303 and _value(db, customer.id, plan.id) == "Gold"
    assert client.post(f"/admin/fields/{plan.id}/purge",
                       data={"csrf_token": token, "confirm": "plan"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(CustomField, plan.id) is None
    assert db.session.scalar(db.select(db.func.count()).select_from(CustomFieldValue)) == 0


def test_key_rotation_keeps_each_sensitive_value_apart(app, db):
    from cryptography.fernet import Fernet

    from app.key_rotation import rotate_all
    from tests.conftest import TEST_KEYS

    passport = _field(db, "Passport", sensitive=True)
    licence = _field(db, "Licence", sensitive=True)
    customer = make_customer()
    custom_fields.set_values(customer.id, {passport: "P-1", licence: "L-2"})
    db.session.commit()
    app.config["ENCRYPTION_KEYS"] = [Fernet.generate_key().decode(), *TEST_KEYS]
    app.extensions.pop("fernet", None)
    try:
        assert rotate_all()["customer_field_values.secret"] == 2
        db.session.commit()
        app.config["ENCRYPTION_KEYS"] = app.config["ENCRYPTION_KEYS"][:1]
        app.extensions.pop("fernet", None)
        assert _value(db, customer.id, passport.id) == "P-1"
        assert _value(db, customer.id, licence.id) == "L-2"
    finally:
        app.config["ENCRYPTION_KEYS"] = list(TEST_KEYS)
        app.extensions.pop("fernet", None)
