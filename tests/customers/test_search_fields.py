"""Search fields are kept by the model layer: every writer's change is found by search.

One test per path that changes what a customer is found by (names, emails, phones,
tags): the file page's sections, adding a customer, the CSV import (new and updated
files), the demo seeders, renaming or deleting a tag, and contacts changed on their own.
Each changes the data through that path, then searches through `list_page` (the trigram
index on SQLite and PostgreSQL alike). Core statements bypass the listener: the guard at
the end fails on one aimed at these tables.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event

from app.customers import csv_import
from app.customers.privacy import erase_customer
from app.customers.search import ListParams, list_page
from app.demo.customers import seed_customers
from app.demo.invoices import FALLBACK_CUSTOMERS, seed_demo_invoices
from app.models import Customer, CustomerEmail, CustomerPhone, Tag
from tests.blueprints.test_customers import _contact_data
from tests.conftest import csrf_token
from tests.factories import make_customer
from tests.support.layers import plant
from tests.support.writes import search_source_statements

APP = Path(__file__).resolve().parents[2] / "app"
HX = {"HX-Request": "true"}


@pytest.fixture
def found(db, make_user):
    """`found("term")` → ids of the customers a search for it lists (every status)."""
    admin = make_user("admin")

    def search(q: str) -> set[int]:
        db.session.expire_all()
        ids, _, _ = list_page(ListParams.from_args({"q": q, "status": "all"}), admin,
                              date.today(), 1, 100)
        return set(ids)

    return search


# -- the web: adding a customer and the file page's sections ----------------------------

def test_a_customer_added_on_the_page_is_found(client, login_as, db, found):
    user = login_as("admin")
    client.post("/customers/new", data={
        "csrf_token": csrf_token(client, "/customers/new"), "kind": "person",
        "first_name": "Mary", "last_name": "Somerville", "email": "mary@science.example",
        "phone": "020 7946 0000", "owner_id": str(user.id), "tags": "astronomy"})
    (mary,) = db.session.scalars(db.select(Customer.id))
    for q in ("somerville", "science.example", "020 7946 0000", "astronomy"):
        assert found(q) == {mary}, q
    assert db.session.get(Customer, mary).sort_name == "somerville, mary"


def test_identity_contact_and_assignment_edits_are_found(client, login_as, db, found):
    login_as("admin")
    c = make_customer(first_name="Grace", last_name="Hopper", emails=("grace@example.com",),
                      phones=("020 7946 0958",), tags=("navy",))
    token = csrf_token(client, f"/customers/{c.id}")
    client.post(f"/customers/{c.id}/identity/edit", headers=HX, data={
        "csrf_token": token, "kind": "company", "first_name": "Grace", "last_name": "Murray",
        "company": "Cobol Works", "size": ""})
    assert found("murray") == found("cobol") == {c.id} and found("hopper") == set()
    assert db.session.get(Customer, c.id).sort_name == "cobol works"
    client.post(f"/customers/{c.id}/contact/edit", headers=HX, data=_contact_data(
        token, [("grace@example.com", "ok"), ("admiral@fleet.example", "ok")],
        phones=("+1 202 555 0143",)))
    assert found("fleet.example") == found("2025550143") == {c.id}
    assert found("020 7946 0958") == set()
    client.post(f"/customers/{c.id}/assignment/edit", headers=HX, data={
        "csrf_token": token, "owner_id": "0", "status": "active", "tags": "wholesale"})
    assert found("wholesale") == {c.id} and found("navy") == set()


# -- the CSV import ----------------------------------------------------------------------

def _import(db, user, text: str, mode: str) -> None:
    data = csv_import.read_csv(text.encode())
    review = csv_import.validate(data, csv_import.suggest_mapping(data), mode, "GB")
    assert review.ok, [r.errors for r in review.errors]
    csv_import.apply(review, user=user, filename="people.csv")
    db.session.commit()


def test_imported_and_updated_customers_are_found(db, make_user, found):
    user = make_user("admin")
    known = make_customer(first_name="Alan", last_name="Turing", emails=("alan@example.com",))
    _import(db, user, "Name,Email,Phone,Tags\n"
                      "Grace Hopper,grace@example.com,020 7946 0958,navy\n"
                      "Alan Turing,alan@example.com,+44 20 7946 0001,enigma\n", mode="update")
    grace = db.session.scalar(db.select(Customer.id).filter_by(last_name="Hopper"))
    assert found("hopper") == found("grace@example") == found("navy") == {grace}
    assert found("enigma") == found("2079460001") == {known.id}  # added to a known file


# -- the demo seeders --------------------------------------------------------------------

def test_demo_customers_are_found(db, make_user, found):
    make_user("staff")
    seed_customers()
    db.session.commit()
    for c in db.session.scalars(db.select(Customer).limit(5)):
        email, tag = c.emails[0].address, c.tags[0].name if c.tags else None
        assert c.id in found(email) and c.id in found(c.phones[0].e164)
        assert tag is None or c.id in found(tag)


def test_demo_invoices_fallback_customers_are_found(db, found):
    seed_demo_invoices()
    db.session.commit()
    name = FALLBACK_CUSTOMERS[0]
    assert len(found(name)) == 1
    assert db.session.scalar(db.select(Customer.sort_name).filter_by(company=name)) == \
        name.lower()


# -- tags and contacts changed on their own -----------------------------------------------

def test_renaming_a_tag_is_found_on_every_customer_holding_it(db, found):
    tagged = [make_customer(first_name="Ada", last_name=f"Byron{i}", emails=(),
                            tags=("vip",)).id for i in range(3)]
    other = make_customer(first_name="Alan", last_name="Turing", emails=(),
                          tags=("wholesale",)).id
    tag = db.session.scalar(db.select(Tag).filter_by(name="vip"))
    tag.name = "Gold Members"
    db.session.commit()
    assert found("gold members") == set(tagged) and found("vip") == set()
    assert found("wholesale") == {other}


def test_deleting_a_tag_is_no_longer_found(db, found):
    c = make_customer(first_name="Ada", last_name="Byron", emails=(), tags=("vip", "eu"))
    db.session.delete(db.session.scalar(db.select(Tag).filter_by(name="vip")))
    db.session.commit()
    assert found("vip") == set() and found("eu") == {c.id}


def test_a_contact_changed_added_or_deleted_by_itself_is_found(db, found):
    c = make_customer(first_name="Ada", last_name="Byron", emails=("ada@old.example",),
                      phones=("020 7946 0958",))
    db.session.expire_all()
    db.session.scalar(db.select(CustomerEmail)).address = "ada@new.example"
    db.session.commit()
    assert found("new.example") == {c.id} and found("old.example") == set()
    db.session.add(CustomerEmail(customer_id=c.id, address="second@added.example"))
    db.session.commit()
    assert found("added.example") == {c.id}
    db.session.expire_all()
    db.session.delete(db.session.scalar(db.select(CustomerPhone)))
    db.session.commit()
    assert found("2079460958") == set() and found("byron") == {c.id}


def test_a_contact_changed_after_a_commit_or_moved_is_found(db, found):
    ada = make_customer(first_name="Ada", last_name="Byron", emails=("ada@old.example",))
    alan = make_customer(first_name="Alan", last_name="Turing", emails=())
    email = ada.emails[0]
    db.session.commit()  # everything expired: nothing of the email is loaded
    email.address = "ada@new.example"
    db.session.commit()
    assert found("new.example") == {ada.id}
    email.customer = alan
    db.session.commit()
    assert found("new.example") == {alan.id} and found("byron") == {ada.id}


@contextmanager
def _statements(db):
    """The statements run inside the block, as their first two words."""
    seen: list[str] = []
    engine = db.session.get_bind()

    def record(conn, cursor, sql, *args):
        seen.append(" ".join(sql.split()[:2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_change_to_no_search_part_reads_nothing_more(db):
    """A bounce flags the file: one UPDATE, no loading of contacts or tags to recompute."""
    c = make_customer(first_name="Ada", last_name="Byron", emails=("ada@example.com",),
                      tags=("vip",))
    db.session.expire_all()
    customer = db.session.get(Customer, c.id)
    email = customer.emails[0]
    with _statements(db) as seen:
        customer.needs_review, email.state = True, "invalid"
        db.session.flush()
    assert seen == ["UPDATE customers", "UPDATE customer_emails"], seen
    db.session.rollback()


def test_an_imported_update_writes_the_customer_once(db, make_user, found):
    user = make_user("admin")
    alan = make_customer(first_name="Alan", last_name="Turing", emails=("alan@example.com",),
                         tags=("eu",))
    db.session.expire_all()
    with _statements(db) as seen:
        _import(db, user, "First name,Last name,Email,Phone,Tags\n"
                          "Alan,Turing-Smith,alan@example.com,020 7946 0001,enigma\n", "update")
    assert seen.count("UPDATE customers") == 1, seen
    assert found("turing-smith") == found("enigma") == found("2079460001") == {alan.id}


# -- erasure keeps no search text ---------------------------------------------------------

def test_an_erased_customer_is_found_by_nothing(db, found):
    c = make_customer(first_name="Grace", last_name="Hopper", emails=("grace@navy.example",),
                      tags=("vip",), company="Navy")
    erase_customer(c)
    db.session.commit()
    for q in ("grace", "hopper", "navy", "vip", "erased", str(c.id)):
        assert found(q) == set(), q
    c = db.session.get(Customer, c.id)
    assert c.search_text == "" and c.sort_name == f"erased customer #{c.id}"
    c.first_name = "Grace"  # even a later change leaves it unfindable
    db.session.commit()
    assert found("grace") == set()


# -- the guard: no Core statement on the tables search is made of -------------------------

def test_no_core_statement_bypasses_the_search_listener():
    assert [str(w) for w in search_source_statements(APP)] == []


@pytest.mark.parametrize("source", [
    "def f(s):\n    s.execute(update(Customer).values(first_name='x'))\n",
    "def f(s):\n    s.execute(sa.update(CustomerEmail).where(x).values(customer_id=2))\n",
    "def f(db):\n    db.session.execute(db.delete(CustomerPhone))\n",
    "def f(s):\n    s.execute(insert(customer_tags), rows)\n",
    "def f(rows):\n    _write_rows(CustomerPhone.__table__, rows)\n",
    "def f(s):\n    s.execute(Tag.__table__.update().values(name='x'))\n",
    "def f(s):\n    s.query(Customer).filter_by(id=1).update({'last_name': 'x'})\n",
    "def f():\n    Tag.query.filter_by(name='x').delete()\n",
])
def test_the_search_guard_fails_on_a_planted_statement(tmp_path, source):
    root = plant(tmp_path, {"customers/merge.py": source})
    assert len(search_source_statements(root, "fake")) == 1


def test_the_search_guard_allows_only_the_bulk_writer_itself(tmp_path):
    writer = "def insert_new_customers(s):\n    s.execute(insert(Customer), rows)\n"
    other = "def another(s):\n    s.execute(insert(Customer), rows)\n"
    root = plant(tmp_path, {"models/customer_bulk.py": writer + other})
    assert [w.line for w in search_source_statements(root, "fake")] == [4]
    root = plant(tmp_path / "elsewhere", {"customers/merge.py": writer})
    assert len(search_source_statements(root, "fake")) == 1


@pytest.mark.parametrize("source", [
    "def f(db, c):\n    db.session.execute(db.delete(Note).where(Note.customer_id == c))\n",
    "def f(db, c):\n    db.session.delete(c)\n    details.update({'a': 1})\n",
    "def f(s):\n    s.execute(delete(Customer).where(Customer.id == 1))\n",
])
def test_the_search_guard_leaves_other_statements_alone(tmp_path, source):
    root = plant(tmp_path, {"customers/merge.py": source})
    assert search_source_statements(root, "fake") == []
