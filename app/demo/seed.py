"""Realistic demo data for `flask demo seed`."""
from __future__ import annotations

from app.demo.fields import seed_fields
from app.demo.office import seed_office
from app.extensions import db
from app.models import User


def seed_demo(demo_users) -> dict[str, int]:
    created = 0
    for email, name, role, password in demo_users:
        if db.session.execute(db.select(User.id).filter_by(email=email)).first():
            continue
        user = User(email=email, name=name, role=role)
        user.set_password(password)
        db.session.add(user)
        created += 1
    db.session.flush()
    from app.demo.customers import seed_customers

    summary = {"users": created, **seed_customers()}
    summary["customer fields"] = seed_fields()
    # Before the invoices: each keeps the office as it was when it was issued.
    summary["office settings"] = seed_office()  # commits
    # Keep last: invoices are made for whatever customers the steps above created.
    from app.demo.invoices import seed_demo_invoices

    summary.update(seed_demo_invoices())
    from app.demo.emails import seed_demo_emails

    summary["invoice emails"] = seed_demo_emails()
    from app.reminders.stages import seed_usual_stages

    summary["reminder stages"] = seed_usual_stages()
    from app.attention.scan import scan

    summary["attention items"] = scan()["raised"]  # what the 15-minute scan would raise
    from app.demo.followups import seed_demo_followups

    summary["follow-ups"] = seed_demo_followups()  # and the follow-up scan would suggest
    from app.demo.capture import seed_demo_capture

    summary["filed emails"] = seed_demo_capture()
    return summary
