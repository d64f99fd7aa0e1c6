"""A few follow-ups for the demo's people (deterministic), then what the rules suggest."""
from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.followups import suggestions, tasks
from app.models import Customer, User

# (title, days from today, time, done) for each person's first customers.
_TASKS = (
    ("Call about the unpaid balance", -2, None, False),
    ("Send the signed engagement letter", 0, time(14, 30), False),
    ("Ask for the new billing address", 3, None, False),
    ("Confirm the payment plan", -6, None, True),
)


def seed_demo_followups() -> int:
    made = 0
    for user in db.session.scalars(select(User).where(User.role.in_(("admin", "staff")))):
        customers = db.session.scalars(select(Customer).where(Customer.owner_id == user.id)
                                       .order_by(Customer.id).limit(len(_TASKS))).all()
        for customer, (title, days, at, done) in zip(customers, _TASKS):
            followup = tasks.add(customer, tasks.Draft(
                title=title, due_on=clock.today() + timedelta(days=days), due_time=at,
                assignee_id=user.id), user)
            if done:
                tasks.complete(followup, user)
            made += 1
    return made + suggestions.scan()["suggested"]
