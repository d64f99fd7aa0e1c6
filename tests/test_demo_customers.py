from __future__ import annotations

from app.contacts import normalise_email
from app.demo_data import seed_demo
from app.models import Customer, Note, User

DEMO = (("admin@example.com", "Ada Admin", "admin", "demo-admin-pass-x"),
        ("staff@example.com", "Sam Staff", "staff", "demo-staff-pass-x"))


def _names(db):
    return [c.display_name for c in db.session.scalars(db.select(Customer).order_by(Customer.id))]


def test_demo_customers_are_realistic_and_deterministic(app, db):
    summary = seed_demo(DEMO)
    db.session.commit()
    assert summary["customers"] == 60 and summary["notes"] > 30
    customers = db.session.scalars(db.select(Customer)).all()
    staff = db.session.scalars(db.select(User).filter_by(role="staff")).one()
    assert sum(1 for c in customers if c.owner_id == staff.id) >= 20
    assert {c.kind for c in customers} == {"person", "company"}
    for c in customers:
        assert c.emails and c.phones and c.search_text
        for e in c.emails:
            assert normalise_email(e.address) == e.address
    first = _names(db)
    assert seed_demo(DEMO)["customers"] == 0  # only once
    db.session.execute(db.delete(Note))
    db.session.execute(db.delete(Customer))
    db.session.commit()
    seed_demo(DEMO)
    assert _names(db) == first
