"""A customer's timeline: notes, invoices, payments, field changes, email events and
captured mail.

Newest first, one page at a time. Each source is queried for at most `limit` rows older
than the cursor, the results are merged, and every item sharing the last shown
timestamp is included, so the next page (strictly older) never skips or repeats one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from app.capture import access as capture_access
from app.capture.reading import people_line as mail_people_line
from app.extensions import db
from app.mail.event_lines import event_line
from app.models import (AuditLog, CapturedMail, CapturedMailLink, EmailEvent, EmailMessage,
                        FollowUp, Invoice, Note, Payment)

CHANGE_ACTIONS = ("customer.created", "customer.updated", "customer.consent_withdrawn",
                  "customer.contact_verified", "customer.imported", "customer.erased",
                  "customer.email_bounced", "customer.spam_complaint")



@dataclass
class Item:
    at: datetime
    kind: str  # note | invoice | payment | change | email | followup
    key: tuple
    title: str
    body: str = ""
    who: str = ""
    sub: str = ""
    lines: list[str] = field(default_factory=list)
    invoice_id: int | None = None  # linked from the item when set
    captured_id: int | None = None  # captured mail, linked to its page
    # An email event's codes, server answers, addresses, user agents: behind "Details".
    details: tuple[tuple[str, str], ...] = ()
    machine: bool = False  # a machine's open or click: marked, never an open
    day_only: bool = False  # dated, not timed (invoices, payments): `at` is its midnight


@dataclass
class TimelinePage:
    items: list[Item]
    next_before: datetime | None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _dates(column, before: datetime | None, exact: datetime | None):
    """Conditions for a DATE column: items are placed at midnight UTC of their day."""
    if exact is not None:
        return [column == exact.date()] if exact.time() == time.min else [column.is_(None)]
    if before is None:
        return []
    last = before.date() if before.time() > time.min else before.date() - timedelta(days=1)
    return [column <= last]


def _stamps(column, before, exact):
    if exact is not None:
        return [column == exact]
    return [] if before is None else [column < before]


def _notes(cid, before, exact, limit) -> list[Item]:
    rows = db.session.execute(
        select(Note, Invoice.number).options(joinedload(Note.author))
        # Only while the invoice is this customer's (a moved draft takes its number along).
        .outerjoin(Invoice, and_(Invoice.id == Note.invoice_id,
                                 Invoice.customer_id == Note.customer_id))
        .where(Note.customer_id == cid, *_stamps(Note.occurred_at, before, exact))
        .order_by(Note.occurred_at.desc(), Note.id.desc()).limit(limit))
    return [Item(n.occurred_at, "note", ("note", n.id), f"{n.kind.capitalize()} note",
                 body=n.body, who=n.author.display_name if n.author else "",
                 sub=f"about invoice {number}" if number else "",
                 invoice_id=n.invoice_id if number else None)
            for n, number in rows]


def _invoices(cid, before, exact, limit) -> list[Item]:
    rows = db.session.scalars(
        select(Invoice).where(Invoice.customer_id == cid, Invoice.status != "draft",
                              *_dates(Invoice.issue_date, before, exact))
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc()).limit(limit))
    return [Item(_midnight(i.issue_date), "invoice", ("invoice", i.id),
                 f"Invoice {i.number} issued", sub=f"{i.currency} {i.total:,.2f} · {i.status}",
                 invoice_id=i.id, day_only=True)
            for i in rows]


def _payments(cid, before, exact, limit) -> list[Item]:
    rows = db.session.execute(
        select(Payment, Invoice.number, Invoice.currency)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Invoice.customer_id == cid, *_dates(Payment.paid_on, before, exact))
        .order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(limit))
    return [Item(_midnight(p.paid_on), "payment", ("payment", p.id),
                 f"Payment for invoice {number}", sub=f"{currency} {p.amount:,.2f} · "
                 f"{p.method.replace('_', ' ')}", invoice_id=p.invoice_id, day_only=True)
            for p, number, currency in rows]


def _changes(cid, before, exact, limit) -> list[Item]:
    rows = db.session.scalars(
        select(AuditLog).where(AuditLog.subject_type == "customer", AuditLog.subject_id == cid,
                               AuditLog.action.in_(CHANGE_ACTIONS),
                               *_stamps(AuditLog.at, before, exact))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit))
    return [Item(e.at, "change", ("change", e.id), e.summary or e.action, who=e.actor,
                 lines=_change_lines(e.details or {})) for e in rows]


def _change_lines(details: dict) -> list[str]:
    lines = []
    for name, value in (details.get("changes") or {}).items():
        label = name.replace("_", " ").capitalize()
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{label}: {_show(value[0])} → {_show(value[1])}")
        else:
            lines.append(f"{label}: {value}")
    return lines


def _show(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _emails(cid, before, exact, limit) -> list[Item]:
    events = db.session.execute(
        select(EmailEvent, EmailMessage.to_address, EmailMessage.subject)
        .join(EmailMessage, EmailMessage.id == EmailEvent.message_id)
        .where(EmailMessage.customer_id == cid, *_stamps(EmailEvent.occurred_at, before, exact))
        .order_by(EmailEvent.occurred_at.desc(), EmailEvent.id.desc()).limit(limit))
    items = [_email_item(e, to, subject) for e, to, subject in events]
    queued = db.session.scalars(
        select(EmailMessage).where(EmailMessage.customer_id == cid,
                                   *_stamps(EmailMessage.created_at, before, exact))
        .order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc()).limit(limit))
    items += [Item(m.created_at, "email", ("message", m.id), "Email queued",
                   sub=f"{m.subject} → {m.to_address}") for m in queued]
    return items


def _email_item(event: EmailEvent, to: str, subject: str) -> Item:
    line = event_line(event)
    return Item(event.occurred_at, "email", ("event", event.id), line.text,
                sub=f"email “{subject}” to {to}", body=line.why and f"Reason given: {line.why}",
                details=line.details, machine=line.machine)


def _followups_added(cid, before, exact, limit) -> list[Item]:
    """Follow-ups someone has to do (added, or suggested and accepted), when made."""
    rows = db.session.scalars(
        select(FollowUp).options(joinedload(FollowUp.assignee))
        .where(FollowUp.customer_id == cid, FollowUp.state.in_(("open", "done")),
               *_stamps(FollowUp.created_at, before, exact))
        .order_by(FollowUp.created_at.desc(), FollowUp.id.desc()).limit(limit))
    return [Item(f.created_at, "followup", ("followup", f.id), f"Follow-up: {f.title}",
                 sub=f"due {f.due_on.isoformat()}"
                 + (f" · {f.assignee.display_name}" if f.assignee else ""),
                 body=f.notes[:500], invoice_id=f.invoice_id) for f in rows]


def _followups_done(cid, before, exact, limit) -> list[Item]:
    rows = db.session.scalars(
        select(FollowUp).options(joinedload(FollowUp.completed_by))
        .where(FollowUp.customer_id == cid, FollowUp.completed_at.isnot(None),
               *_stamps(FollowUp.completed_at, before, exact))
        .order_by(FollowUp.completed_at.desc(), FollowUp.id.desc()).limit(limit))
    return [Item(f.completed_at, "followup", ("followup_done", f.id),
                 f"Follow-up done: {f.title}",
                 who=f.completed_by.display_name if f.completed_by else "") for f in rows]


def _captured(viewer) -> Callable:
    """Mail staff filed on the file, as far as `viewer` may read it (app.capture.access)."""
    def source(cid, before, exact, limit) -> list[Item]:
        rows = db.session.scalars(
            select(CapturedMail).options(joinedload(CapturedMail.filed_by))
            .where(CapturedMail.id.in_(select(CapturedMailLink.captured_id).where(
                CapturedMailLink.customer_id == cid)),
                capture_access.visible_clause(viewer),
                *_stamps(CapturedMail.received_at, before, exact))
            .order_by(CapturedMail.received_at.desc(), CapturedMail.id.desc()).limit(limit))
        return [Item(m.received_at, "mail", ("mail", m.id), f"Email filed: {m.subject}",
                     who=m.filed_by.display_name if m.filed_by else "",
                     sub=mail_people_line(m.people) + (" · private" if m.private else ""),
                     body=m.body[:300] + ("…" if len(m.body) > 300 else ""),
                     captured_id=m.id) for m in rows]
    return source


SOURCES: tuple[Callable, ...] = (_notes, _invoices, _payments, _changes, _emails,
                                 _followups_added, _followups_done)


def timeline_page(customer_id: int, before: datetime | None = None,
                  limit: int = 20, *, viewer=None) -> TimelinePage:
    """Items older than `before` (newest first), and the cursor for the next page; with
    the captured mail `viewer` may read."""
    sources = SOURCES if viewer is None else (*SOURCES, _captured(viewer))
    fetched: list[Item] = []
    full = False
    for source in sources:
        rows = source(customer_id, before, None, limit)
        full = full or len(rows) >= limit
        fetched += rows
    fetched.sort(key=lambda i: (i.at, i.key), reverse=True)
    if len(fetched) <= limit and not full:
        return TimelinePage(fetched, None)
    cut = fetched[limit - 1].at if len(fetched) >= limit else fetched[-1].at
    shown = [i for i in fetched if i.at > cut]
    seen = set()
    for source in sources:  # every item at exactly the cut, however many there are
        for item in source(customer_id, None, cut, 10_000):
            if item.key not in seen:
                seen.add(item.key)
                shown.append(item)
    shown.sort(key=lambda i: (i.at, i.key), reverse=True)
    return TimelinePage(shown, cut)
