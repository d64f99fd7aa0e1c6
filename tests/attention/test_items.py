"""Attention items: raised once per condition, resolved when it clears, dismissed once,
seen by whom the customer access rule and the kind's permission allow."""
from __future__ import annotations

import pytest

from app.attention import items
from app.attention.kinds import KINDS
from app.models import ATTENTION_KINDS, AttentionItem
from tests.factories import make_customer, make_invoice, make_message


def test_raising_the_same_condition_twice_makes_one_item(app, db, make_user):
    customer = make_customer()
    first, new = items.raise_item("contact_review", f"contact_review:{customer.id}",
                                  customer=customer, detail="bounced")
    db.session.commit()
    again, new_again = items.raise_item("contact_review", f"contact_review:{customer.id}",
                                        customer=customer)
    db.session.commit()
    assert (new, new_again) == (True, False)
    assert again.id == first.id
    assert db.session.scalar(db.select(db.func.count(AttentionItem.id))) == 1


def test_a_dismissed_item_stays_dismissed_until_its_condition_clears(app, db, make_user):
    staff = make_user("staff")
    customer = make_customer(owner=staff)
    key = f"contact_review:{customer.id}"
    item, _ = items.raise_item("contact_review", key, customer=customer)
    db.session.commit()
    assert items.dismiss(item, staff) is True
    assert items.dismiss(item, staff) is False  # dismissed once
    assert items.raise_item("contact_review", key, customer=customer)[1] is False
    assert item.dismissed_at is not None and item.dismissed_by_id == staff.id
    # The condition clears, then comes back: a new occurrence, shown again.
    assert items.resolve(key) is True
    assert items.resolve(key) is False
    reopened, new = items.raise_item("contact_review", key, customer=customer)
    assert new is True and reopened.id == item.id and reopened.is_open


def test_an_unknown_kind_is_refused(app, db):
    with pytest.raises(ValueError):
        items.raise_item("mystery", "mystery:1")


def test_every_kind_of_the_model_has_words():
    assert set(ATTENTION_KINDS) == set(KINDS)


def test_the_responsible_person_is_the_customers_owner(app, db, make_user):
    staff = make_user("staff")
    invoice = make_invoice(make_customer(owner=staff))
    message = make_message(invoice)
    item, _ = items.raise_item("email_rejected", f"email_rejected:{message.id}",
                               message=message)
    assert (item.owner_id, item.customer_id, item.invoice_id) == (
        staff.id, invoice.customer_id, invoice.id)


def test_staff_see_only_their_own_customers_items(app, db, make_user):
    ann, bob = make_user("staff"), make_user("staff")
    admin, billing, viewer = make_user("admin"), make_user("billing"), make_user("viewer")
    mine = make_customer(owner=ann)
    theirs = make_customer(owner=bob)
    unassigned = make_customer()
    for customer in (mine, theirs, unassigned):
        items.raise_item("contact_review", f"contact_review:{customer.id}", customer=customer)
    message = make_message(make_invoice(unassigned))
    items.raise_item("office_rejection", f"office_rejection:{message.id}", message=message)
    db.session.commit()

    def seen(user):
        return sorted((i.kind, i.customer_id) for i in items.open_items(user))

    assert seen(ann) == [("contact_review", mine.id)]
    assert seen(bob) == [("contact_review", theirs.id)]
    everyone = sorted(("contact_review", c.id) for c in (mine, theirs, unassigned))
    assert seen(billing) == everyone  # office-class refusals are the admins'
    assert seen(admin) == sorted(everyone + [("office_rejection", unassigned.id)])
    assert items.open_counts(viewer) == {"contact_review": 3}
    assert items.visible_item(items.open_items(bob)[0].id, ann) is None


def test_a_dismissed_or_resolved_item_leaves_every_list(app, db, make_user):
    staff, admin = make_user("staff"), make_user("admin")
    customer = make_customer(owner=staff)
    item, _ = items.raise_item("contact_review", f"contact_review:{customer.id}",
                               customer=customer)
    db.session.commit()
    items.dismiss(item, staff)
    db.session.commit()
    assert items.open_items(staff) == items.open_items(admin) == []
    assert items.open_counts(admin) == {}
