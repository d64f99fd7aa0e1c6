"""Every table that holds data about a customer has a declared fate in the data export
and the erasure (`app.customers.privacy.PERSONAL_DATA`). The guard walks the models'
foreign keys to the customer, however many tables away, and adds the references that are
no foreign key; a table found that way and not declared fails the suite."""
from __future__ import annotations

import inspect

import sqlalchemy as sa

from app.customers import privacy
from app.extensions import db
from app.models import Customer, SavedFilter, search_index


def tables_about_customers(metadata: sa.MetaData, extra: dict[str, str]) -> set[str]:
    """Tables whose rows point at a customer, directly or through other tables."""
    found = {"customers"}
    grew = True
    while grew:
        grew = False
        for table in metadata.tables.values():
            if table.name not in found and any(
                    fk.column.table.name in found for fk in table.foreign_keys):
                found.add(table.name)
                grew = True
    return found | set(extra)


def undeclared(metadata: sa.MetaData, declared: dict, extra: dict[str, str]) -> list[str]:
    return sorted(tables_about_customers(metadata, extra) - set(declared))


def test_every_table_about_customers_has_a_declared_fate(app):
    assert undeclared(db.metadata, privacy.PERSONAL_DATA,
                      privacy.REFERENCES_WITHOUT_FOREIGN_KEY) == []


def test_the_declarations_name_real_tables_and_real_code():
    known = set(db.metadata.tables) | set(privacy.REFERENCES_WITHOUT_FOREIGN_KEY)
    assert set(privacy.PERSONAL_DATA) <= known
    exported = inspect.getsource(privacy.export_document)
    erasure = inspect.getsource(privacy)[inspect.getsource(privacy).index("def erase_customer"):]
    for name, handling in privacy.PERSONAL_DATA.items():
        table = db.metadata.tables.get(name)
        words = {name} | ({m.class_.__name__ for m in db.Model.registry.mappers
                           if m.local_table is table} if table is not None else set())
        # A child collection is exported and erased through its relationship's name.
        words |= {rel.key for rel in sa.inspect(Customer).relationships
                  if table is not None and table in (rel.target, rel.secondary)}
        if name == search_index.FTS_TABLE:
            words.add("search_index.purge")  # kept by triggers; erasure purges old terms
        if handling.exported:
            assert any(w in exported for w in words), f"{name} is not in the export"
        if handling.erasure in ("deleted", "blanked", "scrubbed"):
            assert any(w in erasure for w in words) or name == "customers", \
                f"{name} is not touched by the erasure"


def test_the_guard_finds_a_planted_table_of_personal_data():
    planted = sa.MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(planted)
    sa.Table("customer_documents", planted, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("customer_id", sa.ForeignKey("customers.id")))
    sa.Table("document_pages", planted, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("document_id", sa.ForeignKey("customer_documents.id")))
    assert undeclared(planted, privacy.PERSONAL_DATA,
                      privacy.REFERENCES_WITHOUT_FOREIGN_KEY) == [
        "customer_documents", "document_pages"]
    assert undeclared(planted, privacy.PERSONAL_DATA,
                      {"chat_transcripts": "names the customer"}) == [
        "chat_transcripts", "customer_documents", "document_pages"]


def test_erasure_forgets_saved_searches_for_the_customer(app, db, make_user):
    from tests.factories import make_customer

    staff = make_user("admin")
    customer = make_customer(first_name="Grace", last_name="Hopper",
                             emails=("grace@navy.example",))
    other = make_customer(first_name="Alan", last_name="Turing")
    db.session.add_all([SavedFilter(user_id=staff.id, name="hopper", query="q=Grace+Hopper"),
                        SavedFilter(user_id=staff.id, name="mail", query="q=grace%40navy.example"),
                        SavedFilter(user_id=staff.id, name="alan", query="q=Alan+Turing")])
    db.session.commit()
    counts = privacy.erase_customer(customer)
    db.session.commit()
    assert counts["saved_filters"] == 2
    assert [f.name for f in db.session.scalars(db.select(SavedFilter))] == ["alan"]
    assert other.erased_at is None
