from __future__ import annotations

from app.customers.contacts import normalise_email
from app.demo.customers import seed_customers
from app.models import Customer, Note


def _names(db):
    return [c.display_name for c in db.session.scalars(db.select(Customer).order_by(Customer.id))]


def test_demo_customers_are_realistic_and_deterministic(app, db, make_user):
    make_user("admin")
    staff = make_user("staff")
    summary = seed_customers()
    db.session.commit()
    assert summary["customers"] == 60 and summary["notes"] > 30
    customers = db.session.scalars(db.select(Customer)).all()
    assert sum(1 for c in customers if c.owner_id == staff.id) >= 20
    assert {c.kind for c in customers} == {"person", "company"}
    for c in customers:
        assert c.emails and c.phones and c.search_text
        for e in c.emails:
            assert normalise_email(e.address) == e.address
    first = _names(db)
    assert seed_customers()["customers"] == 0  # only once
    db.session.execute(db.delete(Note))
    db.session.execute(db.delete(Customer))
    db.session.commit()
    seed_customers()
    assert _names(db) == first


def test_full_demo_seed_includes_customers(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "60 customers" in result.output
