"""Demo fields of the office's own: a plan shown in the list, and a renewal date."""
from __future__ import annotations

import random
from datetime import timedelta

from app import clock
from app import fields as custom_fields
from app.extensions import db
from app.models import Customer, CustomField

PLANS = ["Basic", "Standard", "Premium"]


def seed_fields() -> int:
    """Add the demo fields once, filled in for most customers; how many fields were added."""
    if db.session.scalar(db.select(db.func.count(CustomField.id))):
        return 0
    plan = CustomField(label="Plan", kind="choice", choices=PLANS, in_list=True, position=1)
    renewal = CustomField(label="Renewal date", kind="date", position=2)
    db.session.add_all([plan, renewal])
    db.session.flush()
    rng = random.Random(18)
    today = clock.today()
    ids = db.session.scalars(db.select(Customer.id).order_by(Customer.id)).all()
    custom_fields.insert_values([
        (cid, {plan: rng.choice(PLANS), renewal: today + timedelta(days=rng.randrange(365))})
        for cid in ids if rng.random() < .8])
    return 2
