"""Store delivery events once, and keep each message's Sent Status derived from them."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import insert, select

from app.events.status import EventFact, derive_status
from app.extensions import db
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


def dedupe_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _insert_ignoring_duplicates(rows: list[dict]) -> None:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(EmailEvent).on_conflict_do_nothing(index_elements=["dedupe_key"])
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(EmailEvent).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:  # pragma: no cover - other databases are not supported
        stmt = insert(EmailEvent)
    db.session.execute(stmt, rows)


def store_events(events: Iterable[NewEvent]) -> set[int]:
    """Insert events (a repeated signal is stored once); refresh the touched messages.

    Returns the ids of messages whose events changed. The caller commits.
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
            "dedupe_key": event.dedupe_key,
        })
    if not rows:
        return set()
    _insert_ignoring_duplicates(rows)
    touched = {row["message_id"] for row in rows}
    refresh_messages(touched)
    return touched


def refresh_messages(message_ids: Iterable[int]) -> None:
    """Recompute status and counters of messages from all their events."""
    ids = sorted(set(message_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        events = db.session.execute(
            select(EmailEvent.message_id, EmailEvent.type, EmailEvent.occurred_at,
                   EmailEvent.automated, EmailEvent.delivered)
            .where(EmailEvent.message_id.in_(chunk))).all()
        by_message: dict[int, list] = {i: [] for i in chunk}
        for row in events:
            by_message[row.message_id].append(row)
        messages = db.session.scalars(
            select(EmailMessage).where(EmailMessage.id.in_(chunk))).all()
        for message in messages:
            _apply(message, by_message[message.id])


def _apply(message: EmailMessage, rows: list) -> None:
    facts = [EventFact(r.type, r.occurred_at, r.automated, r.delivered) for r in rows]
    status = derive_status(facts).value if facts else _fallback_status(message)
    if status == "queued" and message.state not in ("queued", "sending"):
        status = _fallback_status(message)
    if status != message.status:
        message.status = status
        message.status_at = utcnow()
    opens = [r for r in rows if r.type == "opened"]
    message.human_opens = sum(1 for r in opens if not r.automated)
    message.automated_opens = sum(1 for r in opens if r.automated)
    message.clicks = sum(1 for r in rows if r.type == "clicked" and not r.automated)
    if rows:
        last = max(rows, key=lambda r: r.occurred_at)
        message.last_event_at, message.last_event_type = last.occurred_at, last.type


def _fallback_status(message: EmailMessage) -> str:
    return {"sending": "queued", "queued": "queued"}.get(message.state, message.state)
