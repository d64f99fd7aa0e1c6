"""Figures for the home page."""
from __future__ import annotations

from app.extensions import db
from app.models import User


def dashboard_figures() -> dict[str, int]:
    return {"users": db.session.scalar(db.select(db.func.count(User.id))) or 0}
