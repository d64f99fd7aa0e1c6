from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from app.customers.access import can_see_customer, visibility_clause, visible_customers
from app.models import Customer
from app.permissions import ROLE_PERMISSIONS
from app.web.lookups import get_customer_or_404
from tests.factories import make_customer
from tests.support.access_rule import strays

APP = Path(__file__).resolve().parents[2] / "app"


def test_staff_sees_only_assigned_customers(app, db, make_user):
    staff, other = make_user("staff"), make_user("staff")
    mine = make_customer(first_name="Mine", last_name="Customer", owner=staff)
    make_customer(first_name="Other", last_name="Customer", owner=other)
    make_customer(first_name="Nobody", last_name="Owns")
    ids = db.session.scalars(visible_customers(user=staff).with_only_columns(
        db.text("customers.id"))).all()
    assert ids == [mine.id]
    assert get_customer_or_404(mine.id, staff) is mine


def test_staff_cannot_open_unassigned_customer(app, make_user):
    staff = make_user("staff")
    theirs = make_customer(owner=make_user("staff"))
    assert not can_see_customer(theirs, staff)
    with pytest.raises(NotFound):
        get_customer_or_404(theirs.id, staff)


@pytest.mark.parametrize("role", ["admin", "billing", "viewer"])
def test_other_roles_see_every_customer(app, db, make_user, role):
    user = make_user(role)
    make_customer(owner=make_user("staff"))
    make_customer()
    assert len(db.session.scalars(visible_customers(user=user)).all()) == 2


def test_missing_customer_is_404(app, make_user):
    with pytest.raises(NotFound):
        get_customer_or_404(12345, make_user("admin"))


# ---- one rule, one home -----------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS) + ["none"])
def test_one_rule_for_a_loaded_customer_and_in_sql(app, db, make_user, role):
    """`can_see_customer` (Python) and `visibility_clause` (SQL) are the same rule."""
    user = make_user(role)
    customers = [make_customer(owner=user), make_customer(owner=make_user("staff")),
                 make_customer()]
    by_clause = set(db.session.scalars(select(Customer.id).where(visibility_clause(user))))
    by_column = set(db.session.scalars(
        select(Customer.id).where(visibility_clause(user, Customer.id))))
    by_query = set(db.session.scalars(visible_customers(user).with_only_columns(Customer.id)))
    one_by_one = {c.id for c in customers if can_see_customer(c, user)}
    assert by_clause == by_column == by_query == one_by_one
    expected = {"staff": {customers[0].id}, "none": set()}.get(
        role, {c.id for c in customers})
    assert one_by_one == expected


def test_who_sees_a_customer_is_decided_only_in_customers_access():
    assert strays(APP) == []


@pytest.mark.parametrize("files, expected", [
    ({"reports/sql.py": "from app.customers.access import sees_all_customers\n"
                        "sees_everyone = sees_all_customers\n"}, "an alias"),
    ({"invoices/access.py": "from app.customers import access\n"
                            "def visible_customers_clause(user):\n"
                            "    '''The customers `user` may see.'''\n"
                            "    return access.visibility_clause(user)\n"},
     "visible_customers_clause() only wraps"),
    ({"templates/reports/activity.html": "{% if can('customers.view_all') %}{% endif %}"},
     "names 'customers.view_all'"),
    ({"reports/email_report.py": "def f(user):\n"
                                 "    return role_can(user.role, 'customers.view_all')\n"},
     "names 'customers.view_all'"),
])
def test_the_access_guard_fails_on_a_planted_violation(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = strays(tmp_path)
    assert any(expected in problem for problem in found), found
