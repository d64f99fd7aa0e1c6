"""Live Sent Status: which of the invoices a page shows have news since it last asked.

An open page asks every few seconds "what changed since T" for the ids it shows; the
answer is computed here from what the recorder writes: an event stored after T (an open,
a bounce, a delivery), an email whose status changed after T, or a new email. The page
keeps asking for `WATCH_DAYS` after an invoice was last emailed.

Times are the server's (`received_at`, `status_at`, `created_at`), never a provider's
`occurred_at`: "since" means "since this page last heard from us". A row is written
with its time a little before it commits, so each answer moves the page's T only to
`GRACE` before the answer's own time; a change may then be sent twice, never missed.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select, union

from app.extensions import db
from app.models import EmailEvent, EmailMessage
from app.models.base import utcnow

WATCH_DAYS = 30
GRACE = timedelta(seconds=5)
POLL_SECONDS = 5
MAX_IDS = 200  # more than any page shows


def cursor(now: datetime | None = None) -> int:
    """The T a page sends back next time: milliseconds since the epoch, GRACE ago."""
    moment = (now or utcnow()) - GRACE
    return int(moment.timestamp() * 1000)


def from_cursor(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def watched(invoice_ids: Iterable[int], now: datetime | None = None) -> list[int]:
    """The invoices among `invoice_ids` emailed within WATCH_DAYS: those a page polls for."""
    ids = list(invoice_ids)
    if not ids:
        return []
    start = (now or utcnow()) - timedelta(days=WATCH_DAYS)
    return sorted(db.session.scalars(
        select(EmailMessage.invoice_id).distinct()
        .where(EmailMessage.invoice_id.in_(ids), EmailMessage.created_at >= start)))


def changed_invoices(invoice_ids: Iterable[int], since: datetime) -> set[int]:
    """The invoices among `invoice_ids` with a new email, status or event after `since`."""
    ids = list(invoice_ids)
    if not ids:
        return set()
    start = utcnow() - timedelta(days=WATCH_DAYS)
    recent = (EmailMessage.invoice_id.in_(ids), EmailMessage.created_at >= start)
    by_message = select(EmailMessage.invoice_id).where(
        *recent, or_(EmailMessage.created_at > since, EmailMessage.status_at > since))
    by_event = (select(EmailMessage.invoice_id)
                .join(EmailEvent, EmailEvent.message_id == EmailMessage.id)
                .where(*recent, EmailEvent.received_at > since))
    return set(db.session.scalars(union(by_message, by_event)))
