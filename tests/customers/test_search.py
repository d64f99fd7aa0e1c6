"""The list query: search terms, and the three search paths agree on order and count."""
from __future__ import annotations

from datetime import date

import pytest

from app.customers import search as customer_search
from app.customers.search import ListParams, list_page, search_terms
from tests.factories import make_customer


def test_search_terms():
    assert search_terms("  Grace   HOPPER ") == ["grace", "hopper"]
    assert search_terms("020 7946 0958") == ["2079460958"]
    assert search_terms("+44 (0)20 7946-0958") == ["4402079460958"]
    assert search_terms("0044 20 7946 0958") == ["442079460958"]
    assert search_terms("50%_off") == ["50%_off"]  # LIKE wildcards are escaped later
    assert search_terms("") == []


@pytest.mark.parametrize("narrow,cap", [(2000, 10_000), (3, 10_000), (3, 5)])
@pytest.mark.parametrize("sort,direction", [("name", "asc"), ("name", "desc"),
                                            ("status", "asc"), ("added", "desc")])
def test_search_paths_agree(app, db, make_user, monkeypatch, narrow, cap, sort, direction):
    monkeypatch.setattr(customer_search, "NARROW_SEARCH", narrow)
    monkeypatch.setattr(customer_search, "SEARCH_COUNT_CAP", cap)
    admin = make_user("admin")
    for i, last in enumerate(["Young", "Adams", "Miller", "Baker", "Zed", "Cole", "Adams"]):
        make_customer(first_name=f"Pat{i}", last_name=last,
                      status="inactive" if i % 3 == 0 else "active",
                      emails=(f"pat{i}@shop.example",))
    make_customer(first_name="Nobody", last_name="Else", emails=("x@elsewhere.example",))
    params = ListParams.from_args({"q": "shop", "sort": sort, "dir": direction})
    first = list_page(params, admin, date.today(), 1, 3)
    total = first[1]
    assert total == min(7, cap)  # a wide search is counted only up to the cap
    last_page = -(-total // 3)
    ids = [i for n in range(1, last_page + 1)
           for i in list_page(params, admin, date.today(), n, 3)[0]]
    expected = [c.id for c in db.session.scalars(customer_search.build_query(
        ListParams.from_args({"sort": sort, "dir": direction}), admin, date.today()))
        if "shop" in c.search_text]
    assert ids == expected[:len(ids)] and len(ids) >= total
    assert list_page(params, admin, date.today(), 9, 3)[2] == last_page
