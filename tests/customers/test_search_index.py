"""The trigram index behind customer search stays in step with the customers table."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from app.customers.privacy import erase_customer
from app.customers.search import ListParams, list_page
from app.models import Customer, search_index
from tests.factories import make_customer


def _found(admin, q: str) -> set[int]:
    ids, _, _ = list_page(ListParams.from_args({"q": q, "status": "all"}), admin,
                          date.today(), 1, 100)
    return set(ids)


def _index_matches(db, term: str) -> int:
    """Rows the index itself holds for `term` (SQLite: the FTS table; PostgreSQL: the
    GIN index, with sequential scans turned off so the planner must use it)."""
    if db.engine.dialect.name == "sqlite":
        return db.session.scalar(
            text(f"SELECT count(*) FROM {search_index.FTS_TABLE} WHERE search_text MATCH :m"),
            {"m": search_index.match_expression([term])})
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(
        "EXPLAIN SELECT id FROM customers WHERE search_text LIKE :p"), {"p": f"%{term}%"}))
    assert search_index.PG_INDEX in plan
    return db.session.scalar(text("SELECT count(*) FROM customers WHERE search_text LIKE :p"),
                             {"p": f"%{term}%"})


def test_index_exists(db):
    if db.engine.dialect.name == "sqlite" and not search_index.sqlite_has_trigrams():
        pytest.skip("this SQLite has no FTS5 trigram tokenizer; search scans instead")
    assert _index_matches(db, "nothing-like-this") == 0


def test_sqlite_triggers_exist_at_the_head_revision(db):
    """The session database was migrated: a table rebuild must not have lost them."""
    if db.engine.dialect.name != "sqlite" or not search_index.sqlite_has_trigrams():
        pytest.skip("SQLite with FTS5 trigrams only")
    triggers = set(db.session.scalars(text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers'")))
    assert triggers == {"customers_search_insert", "customers_search_delete",
                        "customers_search_update"}


def test_index_follows_inserts_edits_and_erasure(db, make_user):
    admin = make_user("admin")
    ada = make_customer(first_name="Ada", last_name="Lovelace", emails=("ada@engines.example",))
    grace = make_customer(first_name="Grace", last_name="Hopper", emails=("grace@navy.example",))
    assert _found(admin, "lovelace") == {ada.id}
    assert _index_matches(db, "lovelace") == 1

    grace.last_name = "Murray"
    db.session.commit()
    assert _found(admin, "hopper") == set() and _found(admin, "murray") == {grace.id}
    assert _index_matches(db, "hopper") == 0 and _index_matches(db, "murray") == 1

    erase_customer(ada)
    db.session.commit()
    assert _found(admin, "lovelace") == set() and _found(admin, "engines") == set()
    assert _index_matches(db, "lovelace") == 0 and _index_matches(db, "engines") == 0

    db.session.delete(db.session.get(Customer, grace.id))
    db.session.commit()
    assert _index_matches(db, "murray") == 0


def test_index_is_rebuilt_for_rows_that_predate_it(db, make_user):
    admin = make_user("admin")
    ada = make_customer(first_name="Ada", last_name="Lovelace")
    connection = db.session.connection()
    search_index.uninstall(connection)
    search_index._has_fts_table.cache_clear()
    assert _found(admin, "lovelace") == {ada.id}  # no index: searches scan
    search_index.install(connection)
    search_index._has_fts_table.cache_clear()
    db.session.commit()
    assert _index_matches(db, "lovelace") == 1
    assert _found(admin, "lovelace") == {ada.id}


def test_prefilter_only_for_narrow_searches(db):
    if db.engine.dialect.name != "sqlite":
        assert search_index.sqlite_prefilter(db.session, Customer.id, ["ada"], 10) is None
        return
    for i in range(4):
        make_customer(first_name=f"Ada{i}", last_name="Byron", emails=(f"ada{i}@shop.example",))
    assert search_index.sqlite_prefilter(db.session, Customer.id, ["byron"], 3) is None
    assert search_index.sqlite_prefilter(db.session, Customer.id, ["byron"], 4) is not None
    # Terms under three characters have no trigram: nothing to look up.
    assert search_index.sqlite_prefilter(db.session, Customer.id, ["ad"], 4) is None
    assert search_index.match_expression(['say "hi"', "x"]) == '"say ""hi"""'


@pytest.mark.parametrize("q", ['ab\x00cd', '"', '""', 'AND', 'NEAR(', 'lo*', '^love', 'col:x',
                               '-lace', 'ß', 'ﬀ', '日本語', 'lovelace OR byron'])
def test_odd_searches_answer_without_error(client, login_as, q):
    make_customer(first_name="Ada", last_name="Lovelace")
    login_as("admin")
    response = client.get("/customers/", query_string={"q": q}, headers={"HX-Request": "true"})
    assert response.status_code == 200
