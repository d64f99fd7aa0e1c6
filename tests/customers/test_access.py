from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from app.customers.access import can_see_customer, visible_customers
from app.web.lookups import get_customer_or_404
from tests.customer_factories import make_customer


def test_staff_sees_only_assigned_customers(app, db, make_user):
    staff, other = make_user("staff"), make_user("staff")
    mine = make_customer("Mine", "Customer", owner=staff)
    make_customer("Other", "Customer", owner=other)
    make_customer("Nobody", "Owns")
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
