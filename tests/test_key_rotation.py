"""Identification numbers are encrypted at rest, and `flask keys rotate` re-keys them."""
from __future__ import annotations

import sqlalchemy as sa
from cryptography.fernet import Fernet

from app.models import Customer, CustomerIdentifier, CustomerImport
from tests.conftest import TEST_KEYS, csrf_token
from tests.factories import make_customer

NUMBER = "DE811907980"


def _use_keys(app, keys):
    app.config["ENCRYPTION_KEYS"] = keys
    app.extensions.pop("fernet", None)


def _raw_tokens(db) -> list[str]:
    return [r[0] for r in db.session.execute(sa.text("SELECT value FROM customer_identifiers"))]


def _raw_dump(db) -> str:
    """Every value in every table, as the database holds it (no type decoding)."""
    parts = []
    for table in db.metadata.sorted_tables:
        query = sa.select(*[sa.type_coerce(c, sa.Text) for c in table.columns])
        for row in db.session.execute(query):
            parts.extend(str(v) for v in row)
    return " ".join(parts)


def test_raw_database_holds_no_plain_identification_number(app, db, client, login_as):
    customer = make_customer(id_number=NUMBER)
    assert customer.identifiers[0].value == NUMBER
    login_as("billing")  # an edit through the web goes through the audit log too
    other = make_customer(first_name="Via", last_name="Web")
    response = client.post(f"/customers/{other.id}/ids/edit", data={
        "csrf_token": csrf_token(client, f"/customers/{other.id}"),
        "rows-0-kind": "tax_id", "rows-0-value": "FR40303265045"})
    assert response.status_code == 303
    assert NUMBER in client.get(f"/customers/{customer.id}").text
    assert all(NUMBER not in token for token in _raw_tokens(db))
    dump = _raw_dump(db)
    assert NUMBER not in dump and "FR40303265045" not in dump and "303265045" not in dump


def test_rotate_then_drop_old_key(app, db):
    runner = app.test_cli_runner()
    for i in range(3):
        make_customer(first_name=f"P{i}", last_name="Q", id_number=f"{NUMBER}{i}")
    before = _raw_tokens(db)
    new_key = runner.invoke(args=["keys", "generate"]).output.strip()
    Fernet(new_key.encode())  # a valid key
    _use_keys(app, [new_key, *TEST_KEYS])
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "customer_identifiers.value: 3 re-encrypted" in result.output
    db.session.expire_all()
    after = _raw_tokens(db)
    assert set(after).isdisjoint(before)
    _use_keys(app, [new_key])  # the old key is gone
    db.session.expire_all()
    values = sorted(i.value for i in db.session.scalars(sa.select(CustomerIdentifier)))
    assert values == [f"{NUMBER}{i}" for i in range(3)]
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 3


def test_rotate_refuses_when_a_value_cannot_be_decrypted(app, db):
    make_customer(id_number=NUMBER)
    _use_keys(app, [Fernet.generate_key().decode()])  # the original key is missing
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code != 0
    assert "can't be decrypted" in result.output
    _use_keys(app, list(TEST_KEYS))
    db.session.expire_all()
    assert db.session.scalars(sa.select(CustomerIdentifier)).one().value == NUMBER


def test_rotate_re_encrypts_imports_waiting_for_confirmation(app, db, make_user):
    rows = {"header": ["Name", "VAT number"], "rows": [["Ada Lovelace", NUMBER]]}
    db.session.add(CustomerImport(user_id=make_user("admin").id, filename="a.csv", data=rows,
                                  mapping=["full_name", "tax_id"]))
    db.session.commit()
    query = sa.text("SELECT data FROM customer_imports")
    before = db.session.scalar(query)
    assert NUMBER not in str(before)
    new_key = Fernet.generate_key().decode()
    _use_keys(app, [new_key, *TEST_KEYS])
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "customer_imports.data: 1 re-encrypted" in result.output
    assert db.session.scalar(query) != before
    _use_keys(app, [new_key])
    db.session.expire_all()
    assert db.session.scalars(sa.select(CustomerImport)).one().data == rows
