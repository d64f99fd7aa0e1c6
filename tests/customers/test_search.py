"""The list query: search terms, and the three search paths agree on order and count."""
from __future__ import annotations

from datetime import date

import pytest

from app import fields as custom_fields
from app.customers import search as customer_search
from app.customers.search import ListParams, list_page, search_terms
from app.models import Customer, CustomField
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


@pytest.mark.parametrize("cap", [10_000, 4, 2])
@pytest.mark.parametrize("sort,direction", [("name", "asc"), ("name", "desc"),
                                            ("status", "asc"), ("updated", "desc")])
def test_field_filter_paths_agree(app, db, make_user, monkeypatch, cap, sort, direction):
    """Counted exactly, or up to the cap and then walked along the sort index: the same
    customers in the same order, and the count says where it stopped."""
    monkeypatch.setattr(customer_search, "SEARCH_COUNT_CAP", cap)
    admin = make_user("admin")
    plan = CustomField(label="Plan", kind="choice", choices=["Basic", "Premium"])
    db.session.add(plan)
    db.session.commit()
    for i, last in enumerate(["Young", "Adams", "Miller", "Baker", "Zed", "Cole", "Adams"]):
        c = make_customer(first_name=f"Pat{i}", last_name=last,
                          status="inactive" if i % 3 == 0 else "active")
        custom_fields.set_values(c.id, {plan: "Premium" if i != 2 else "Basic"})
    make_customer(first_name="Nobody", last_name="Else")  # no value at all
    db.session.commit()
    params = ListParams.from_args({plan.key: "premium", "sort": sort, "dir": direction})
    assert customer_search.count_cap(params, admin) == cap
    total = list_page(params, admin, date.today(), 1, 3)[1]
    assert total == min(6, cap)
    last_page = -(-total // 3)
    ids = [i for n in range(1, last_page + 1)
           for i in list_page(params, admin, date.today(), n, 3)[0]]
    held = custom_fields.values_for(
        db.session.scalars(db.select(Customer.id)), [plan])
    expected = [c.id for c in db.session.scalars(customer_search.build_query(
        ListParams.from_args({"sort": sort, "dir": direction}), admin, date.today()))
        if held.get(c.id, {}).get(plan.id) == "Premium"]
    assert len(expected) == 6
    assert ids == expected[:len(ids)] and len(ids) >= total
    assert list_page(params, admin, date.today(), 9, 3)[2] == last_page


def test_only_a_search_or_a_field_filter_that_applies_is_counted_up_to_the_cap(
        app, db, make_user):
    admin = make_user("admin")
    plan = CustomField(label="Plan", kind="choice", choices=["Basic"])
    db.session.add(plan)
    db.session.commit()
    cap = customer_search.count_cap
    assert cap(ListParams.from_args({"q": "x"}), admin) == customer_search.SEARCH_COUNT_CAP
    assert cap(ListParams.from_args({plan.key: "basic"}), admin) == \
        customer_search.SEARCH_COUNT_CAP
    # Ignored filters (a value the field can't hold, an unknown field) leave the whole
    # list, which is counted exactly; so are the other filters.
    assert cap(ListParams.from_args({plan.key: "gold"}), admin) is None
    assert cap(ListParams.from_args({"f999": "basic"}), admin) is None
    assert cap(ListParams.from_args({"tag": "vip", "status": "all"}), admin) is None
