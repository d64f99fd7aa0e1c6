"""Activity: interactions (notes) per staff member and week, email outcomes per staff member.

Users who see every customer see everyone's activity; anyone else (staff) sees only
their own notes and emails, and only on customers assigned to them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.customers.access import sees_all_customers, visibility_clause
from app.events.status import Status
from app.extensions import db
from app.models import SYSTEM_KIND, EmailMessage, Note, User
from app.reports.sql import Window, week_of
from app.settings import formatting

STATUS_KEYS = tuple(s.value for s in Status)


@dataclass
class StaffRow:
    user_id: int | None
    name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _restrict(query, user, author_column, customer_column):
    if sees_all_customers(user):
        return query
    return query.where(author_column == user.id, visibility_clause(user, customer_column))


def _names(ids) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {r.id: r.name or r.email for r in
            db.session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))}


def _pivot(found: dict[tuple, int], columns: list[str]) -> list[StaffRow]:
    names = _names({uid for uid, _ in found})
    rows: dict[int | None, StaffRow] = {}
    for (uid, column), n in found.items():
        row = rows.setdefault(uid, StaffRow(uid, names.get(uid, "(no longer a user)")
                                            if uid else "(unknown)", {c: 0 for c in columns}))
        row.counts[column] = n
    return sorted(rows.values(), key=lambda r: (-r.total, r.name.lower()))


def notes_per_week(user, span: Window) -> tuple[list[str], list[StaffRow]]:
    """Weeks of the window (their first days: the office's first weekday), and per author the number of notes in each week."""
    first = formatting.first_weekday()
    week = week_of(Note.occurred_at, first).label("week")
    query = _restrict(select(Note.author_id, week, func.count(Note.id))
                      .where(Note.occurred_at >= span.start, Note.occurred_at < span.end),
                      user, Note.author_id, Note.customer_id).group_by(Note.author_id, week)
    weeks = span.weeks(first)
    found = {(uid, w): n for uid, w, n in db.session.execute(query)}
    return weeks, _pivot(found, weeks)


def notes_by_kind(user, span: Window) -> dict[str, int]:
    query = _restrict(select(Note.kind, func.count(Note.id))
                      .where(Note.occurred_at >= span.start, Note.occurred_at < span.end),
                      user, Note.author_id, Note.customer_id).group_by(Note.kind)
    return dict(db.session.execute(query).all())


def email_outcomes(user, span: Window) -> list[StaffRow]:
    """Per staff member: invoice emails they sent in the window, by Sent Status."""
    query = _restrict(select(EmailMessage.created_by_id, EmailMessage.status,
                             func.count(EmailMessage.id))
                      .where(EmailMessage.created_at >= span.start,
                             EmailMessage.created_at < span.end,
                             EmailMessage.kind != SYSTEM_KIND),
                      user, EmailMessage.created_by_id, EmailMessage.customer_id
                      ).group_by(EmailMessage.created_by_id, EmailMessage.status)
    found = {(uid, status): n for uid, status, n in db.session.execute(query)}
    return _pivot(found, list(STATUS_KEYS))
