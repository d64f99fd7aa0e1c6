"""Live Sent Status: which of the invoices (or customers) a page shows have news since
it last asked.

An open page asks every few seconds "what changed since T" for the ids it shows; the
answer is computed here from what the recorder writes: an event stored after T (an open,
a bounce, a delivery), an email whose status changed after T, or a new email. The page
keeps asking for `WATCH_DAYS` after an invoice (a customer) was last emailed.

Times are the server's (`received_at`, `status_at`, `created_at`), never a provider's
`occurred_at`: "since" means "since this page last heard from us". A row is written
with its time a little before it commits, so each answer moves the page's T only to
`GRACE` before the answer's own time; a change may then be sent twice, never missed.

Most questions have the answer "nothing", so that answer is cheap: whatever changes an
email's status or events stamps its invoice and customer in Redis (`touch`), and a
question about ids none of whose stamps is newer than T is answered without the database. The
stamps are a shortcut, not the truth: with Redis unreachable the database is asked, and
a page asks the database at least every `HEARTBEAT` anyway, so a stamp lost (Redis
restarted, a write that failed) delays a change by that much at most.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from redis.exceptions import RedisError
from sqlalchemy import or_, select, union

from app.extensions import db
from app.models import EmailEvent, EmailMessage
from app.models.base import utcnow
from app.queues import get_redis

log = logging.getLogger(__name__)

WATCH_DAYS = 30
GRACE = timedelta(seconds=5)
POLL_SECONDS = 5
HEARTBEAT = timedelta(seconds=60)
MAX_IDS = 200  # more than any page shows
# What an email belongs to, and the column that says so: the kinds a page can watch.
WATCHED = {"invoice": EmailMessage.invoice_id, "customer": EmailMessage.customer_id,
           "message": EmailMessage.id}


def cursor(now: datetime | None = None) -> int:
    """The T a page sends back next time: milliseconds since the epoch, GRACE ago."""
    moment = (now or utcnow()) - GRACE
    return int(moment.timestamp() * 1000)


def from_cursor(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def heartbeat_due(since: datetime, now: datetime | None = None) -> bool:
    """A page that has not heard from the database for HEARTBEAT asks it directly."""
    return (now or utcnow()) - since > HEARTBEAT + GRACE


def touch(messages: Iterable) -> None:
    """Stamp the invoices and customers of emails that just changed (anything with
    `invoice_id` and `customer_id`). Called before the change commits: a question in
    between finds nothing yet, and asks the database again next time."""
    keys = {_key(kind, ident) for message in messages
            for kind, column in WATCHED.items()
            if (ident := getattr(message, column.key))}
    if not keys:
        return
    stamp = int(utcnow().timestamp() * 1000)
    try:
        pipe = get_redis().pipeline(transaction=False)
        for key in keys:
            pipe.set(key, stamp, ex=WATCH_DAYS * 86400)
        pipe.execute()
    except RedisError:
        log.warning("could not stamp %d email change(s); pages see them within %d s",
                    len(keys), HEARTBEAT.seconds)


def maybe_changed(ids: Iterable[int], since: datetime, kind: str = "invoice") -> bool:
    """False only when the stamps say none of these ids changed after `since`."""
    keys = [_key(kind, i) for i in ids]
    if not keys:
        return False
    threshold = int(since.timestamp() * 1000)
    try:
        stamps = get_redis().mget(keys)
    except RedisError:
        return True
    return any(stamp is not None and int(stamp) > threshold for stamp in stamps)


def _key(kind: str, ident: int) -> str:
    return f"live:{kind}:{ident}"


def watched(ids: Iterable[int], kind: str = "invoice",
            now: datetime | None = None) -> list[int]:
    """The ids (of invoices, or customers) emailed within WATCH_DAYS: a page polls for them."""
    ids = list(ids)
    if not ids:
        return []
    column = WATCHED[kind]
    start = (now or utcnow()) - timedelta(days=WATCH_DAYS)
    return sorted(db.session.scalars(
        select(column).distinct().where(column.in_(ids), EmailMessage.created_at >= start)))


def changed(ids: Iterable[int], since: datetime, kind: str = "invoice") -> set[int]:
    """The ids (of invoices, or customers) with a new email, status or event (or a verdict
    marked wrong) after `since`."""
    ids = list(ids)
    if not ids:
        return set()
    column = WATCHED[kind]
    start = utcnow() - timedelta(days=WATCH_DAYS)
    recent = (column.in_(ids), EmailMessage.created_at >= start)
    by_message = select(column).where(
        *recent, or_(EmailMessage.created_at > since, EmailMessage.status_at > since))
    by_event = (select(column).join(EmailEvent, EmailEvent.message_id == EmailMessage.id)
                .where(*recent, or_(EmailEvent.received_at > since,
                                    EmailEvent.overturned_at > since)))
    return set(db.session.scalars(union(by_message, by_event)))
