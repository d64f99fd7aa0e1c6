"""Store delivery events once, and keep each message's Sent Status derived from them."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Insert, Table, func, insert, select, update

from app.events import reasons
from app.events.status import OPEN_TYPES, EventFact, derive_status, open_count
from app.extensions import db
from app.mail import live
from app.mail.consequences import after_delivery
from app.models import EmailEvent, EmailMessage
from app.models.base import utcnow


@dataclass
class NewEvent:
    message_id: int
    type: str
    occurred_at: datetime
    source: str
    dedupe_key: str
    automated: bool = False
    delivered: bool = False
    code: str = ""
    diagnostic: str = ""
    user_agent: str = ""
    ip: str = ""
    url: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # of a rejection or delay (app.events.reasons); its class is stored too


# The event types that carry a reason and a class.
FAILURES = ("rejected", "delayed")


def dedupe_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def insert_ignoring_duplicates(table: Table, key: str = "dedupe_key") -> Insert:
    """An INSERT into `table` that skips rows whose unique `key` is already stored.

    The database decides (ON CONFLICT DO NOTHING), so two writers of the same row at once
    both succeed and one row is kept: a check before inserting would let both through.
    """
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=[key])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=[key])
    return insert(table)  # pragma: no cover - other databases are not supported


def _insert_ignoring_duplicates(rows: list[dict]) -> set[int]:
    """Insert the rows a dedupe key has not seen; the message ids of those inserted."""
    # Into the table, not the mapped class: the ORM's bulk-insert bookkeeping cost more
    # than the INSERT itself, and nothing here needs the rows as objects.
    table = EmailEvent.__table__
    stmt = insert_ignoring_duplicates(table)
    # RETURNING yields only the rows actually inserted, not those ON CONFLICT ignored
    # (executemany with RETURNING: SQLAlchemy's insertmanyvalues, SQLite and PostgreSQL).
    return set(db.session.scalars(stmt.returning(table.c.message_id), rows))


def store_events(events: Iterable[NewEvent],
                 known: dict[int, EmailMessage] | None = None) -> set[int]:
    """Insert events (a repeated signal is stored once); refresh the touched messages.

    `known` passes message objects the caller already holds, saving a query. Returns
    the ids of messages that got a new event (a duplicate changes nothing, so its
    consequences must not run again); only those are refreshed. The caller commits.
    """
    now = utcnow()
    rows = []
    seen: set[str] = set()
    for event in events:
        if event.dedupe_key in seen:
            continue
        seen.add(event.dedupe_key)
        rows.append({
            "message_id": event.message_id, "type": event.type,
            "occurred_at": event.occurred_at, "received_at": now, "source": event.source,
            "automated": event.automated, "delivered": event.delivered,
            "code": event.code[:20], "diagnostic": event.diagnostic[:4000],
            "user_agent": event.user_agent[:500], "ip": event.ip[:64],
            "url": event.url[:4000], "details": event.details,
            "dedupe_key": event.dedupe_key, **_failure(event),
        })
    if not rows:
        return set()
    touched = _insert_ignoring_duplicates(rows)
    if touched:
        refresh_messages(touched, known)
        delivered = [(row["message_id"], row["occurred_at"]) for row in rows
                     if row["message_id"] in touched and _proves_delivery(row)]
        if delivered:
            after_delivery(delivered)
    return touched


def _proves_delivery(row: dict) -> bool:
    """The receiving mailbox took the email: a confirmed delivery, or an open or click
    (a privacy proxy or scanner only fetches what was delivered). Our relay's acceptance
    ("sent" without `delivered`) proves nothing of the mailbox."""
    return (row["type"] == "sent" and row["delivered"]) or row["type"] in OPEN_TYPES


def _failure(event: NewEvent) -> dict[str, str]:
    if event.type not in FAILURES:
        return {"reason": "", "failure_class": ""}
    # A source that names no reason (the demo, an old caller): read it from the code and text.
    reason = reasons.canonical(event.reason or reasons.reason_for(event.code, event.diagnostic))
    return {"reason": reason, "failure_class": reasons.class_of(reason)}


def refresh_messages(message_ids: Iterable[int],
                     known: dict[int, EmailMessage] | None = None) -> None:
    """Recompute status and counters of messages from all their events.

    One grouped query per chunk: per message, event type and flags, the latest time and
    the count. That is all the status rules need (`EventFact` per group, at its latest
    time), so the cost does not grow with the number of opens a message collects.
    Messages the caller holds (`known`) are updated in place; others in one bulk UPDATE.
    """
    ids = sorted(set(message_ids))
    known = known or {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        if db.engine.dialect.name == "postgresql":
            # Lock the messages (in id order) before counting: a concurrent writer of
            # events for them then counts after this commit, seeing these events too.
            # Without it, two writers each count without the other's rows, and the last
            # UPDATE loses events. FOR NO KEY UPDATE, as the UPDATE itself takes: a
            # stronger lock would deadlock with the key-share locks of the events' foreign
            # keys. (SQLite has one writer at a time: nothing to lock.)
            db.session.execute(select(EmailMessage.id).where(EmailMessage.id.in_(chunk))
                               .order_by(EmailMessage.id).with_for_update(key_share=True))
        groups = db.session.execute(
            select(EmailEvent.message_id, EmailEvent.type, EmailEvent.automated,
                   EmailEvent.delivered, func.max(EmailEvent.occurred_at).label("latest"),
                   func.count().label("n"))
            .where(EmailEvent.message_id.in_(chunk))
            .group_by(EmailEvent.message_id, EmailEvent.type, EmailEvent.automated,
                      EmailEvent.delivered)).all()
        by_message: dict[int, list] = {i: [] for i in chunk}
        for row in groups:
            by_message[row.message_id].append(row)
        unknown = [i for i in chunk if i not in known]
        current = {row.id: row for row in db.session.execute(
            select(EmailMessage.id, EmailMessage.state, EmailMessage.status,
                   EmailMessage.invoice_id, EmailMessage.customer_id)
            .where(EmailMessage.id.in_(unknown)))} if unknown else {}
        updates = []
        for message_id in chunk:
            target = known.get(message_id) or current.get(message_id)
            if target is None:
                continue
            values = _derived(target.state, target.status, by_message[message_id])
            if message_id in known:
                for key, value in values.items():
                    setattr(known[message_id], key, value)
            else:
                updates.append({"id": message_id, **values})
        if updates:
            db.session.execute(update(EmailMessage), updates)
        live.touch(row for row in (known.get(i) or current.get(i) for i in chunk)
                   if row is not None)


def _derived(state: str, old_status: str, groups: list) -> dict:
    facts = [EventFact(g.type, g.latest, g.automated, g.delivered) for g in groups]
    status = derive_status(facts).value if facts else _fallback_status(state)
    if status == "queued" and state not in ("queued", "sending"):
        status = _fallback_status(state)
    values = {
        "status": status,
        "human_opens": open_count(*(_count(groups, kind) for kind in
                                    ("opened", "viewed", "clicked"))),
        "automated_opens": _count(groups, "opened", automated=True),
        "clicks": _count(groups, "clicked"),
    }
    if status != old_status:
        values["status_at"] = utcnow()
    if groups:
        last = max(groups, key=lambda g: (_aware(g.latest), g.type))
        values["last_event_at"], values["last_event_type"] = last.latest, last.type
    return values


def _count(groups: list, kind: str, automated: bool = False) -> int:
    return sum(g.n for g in groups if g.type == kind and bool(g.automated) == automated)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _fallback_status(state: str) -> str:
    return {"sending": "queued", "queued": "queued"}.get(state, state)
