"""Opens, clicks and views: pushed to Redis on the request path, drained in batches.

The request path only checks the token and pushes; when Redis is unreachable the hit is
written straight to the database instead, so nothing is lost.
"""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from functools import partial

import redis
from flask import current_app
from sqlalchemy import select

from app.events.automation import BURST_WINDOW, classify_hit
from app.extensions import db
from app.mail.hit_buffer import HitBuffer
from app.mail.recorder import NewEvent, store_events
from app.models import EmailEvent, EmailMessage
from app.queues import get_queue, get_redis

log = logging.getLogger(__name__)

EVENTS_KEY = "clientele:events:hits"
_DRAIN_LOCK = "clientele:events:drain-lock"
_DRAIN_LOCK_SECONDS = 120
# LTRIM only while this drainer still holds the lock: once it has expired, another drainer
# may be storing the same batch and trimming it, and a second trim would drop hits unread.
_TRIM_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    redis.call('ltrim', KEYS[2], ARGV[2], -1)
    return 1
end
return 0
"""
_TYPES = {"open": "opened", "click": "clicked", "view": "viewed"}


@dataclass
class Hit:
    kind: str  # open | click | view
    message_id: int
    at: float
    user_agent: str = ""
    ip: str = ""
    url: str = ""
    id: str = ""

    @classmethod
    def now(cls, kind: str, message_id: int, user_agent: str, ip: str, url: str = "") -> "Hit":
        return cls(kind, message_id, time.time(), user_agent[:500], ip[:64], url[:4000],
                   os.urandom(12).hex())


def record_hit(hit: Hit) -> None:
    """Queue a hit for this process's flusher (see `app.mail.hit_buffer`); returns at once."""
    record_hit_for(current_app._get_current_object(), hit)


def record_hit_for(app, hit: Hit) -> None:
    buffer = app.extensions.get("hit_buffer")
    if buffer is None:
        buffer = app.extensions["hit_buffer"] = HitBuffer(partial(_push, app))
    buffer.add(hit)


def flush_buffered_hits(timeout: float = 10.0) -> bool:
    """Wait until this process's queued hits are in Redis (or the database)."""
    buffer = current_app.extensions.get("hit_buffer")
    return True if buffer is None else buffer.flush(timeout)


def _push(app, hits: list[Hit]) -> None:
    """One RPUSH for a batch of hits; the database when Redis is unreachable."""
    payloads = [json.dumps([h.kind, h.message_id, h.at, h.user_agent, h.ip, h.url, h.id],
                           separators=(",", ":")) for h in hits]
    with app.app_context():
        try:
            length = get_redis().rpush(EVENTS_KEY, *payloads)
        except redis.RedisError:
            log.warning("Redis unreachable: storing %d tracking hits directly", len(hits))
            store_hits(hits)
            db.session.commit()
            return
        if length == len(payloads):
            # The list was empty, so no drain is running or due: ask for one. A busy list
            # is drained in a loop until empty, and a periodic drain backs this up.
            try:
                get_queue("events").enqueue(drain_hits_job, job_id=f"drain-{int(hits[0].at)}",
                                            result_ttl=60, failure_ttl=86400)
            except redis.RedisError:
                pass


def drain_hits_job() -> int:
    from app.mail.hits import drain

    return drain()


def drain(batch_size: int = 5000, max_batches: int = 1000, max_seconds: float = 60.0) -> int:
    """Move queued hits into the database, batch by batch; one drainer at a time.

    Stops after `max_seconds` (the periodic drain carries on with the rest) or as soon as
    the lock is no longer this drainer's.
    """
    flush_buffered_hits()  # hits this very process took (a single-process set-up, tests)
    conn = get_redis()
    lock = conn.lock(_DRAIN_LOCK, timeout=_DRAIN_LOCK_SECONDS, blocking_timeout=0)
    if not lock.acquire(blocking=False):
        return 0
    trim_if_owner = conn.register_script(_TRIM_IF_OWNER)
    deadline = time.monotonic() + max_seconds
    total = 0
    try:
        for _ in range(max_batches):
            raw = conn.lrange(EVENTS_KEY, 0, batch_size - 1)
            if not raw:
                break
            hits = [h for h in (_parse(r) for r in raw) if h is not None]
            store_hits(hits)
            db.session.commit()
            total += len(hits)
            # Trim only after the commit: a crash in between re-reads the batch, and the
            # dedupe key stores each hit once.
            if not trim_if_owner(keys=[_DRAIN_LOCK, EVENTS_KEY],
                                 args=[lock.local.token, len(raw)]):
                log.warning("hit drain lost its lock; leaving the batch to the next drainer")
                break
            if time.monotonic() >= deadline:
                break
            try:
                lock.reacquire()  # a fresh lease for the next batch
            except redis.exceptions.LockError:
                log.warning("hit drain lost its lock; stopping")
                break
    finally:
        try:
            lock.release()
        except redis.RedisError:
            pass
    return total


def _parse(raw: bytes) -> Hit | None:
    try:
        kind, message_id, at, user_agent, ip, url, hit_id = json.loads(raw)
        if kind not in _TYPES:
            raise ValueError(kind)
        return Hit(kind, int(message_id), float(at), str(user_agent), str(ip), str(url),
                   str(hit_id))
    except (ValueError, TypeError):
        log.warning("dropping a malformed hit from Redis: %r", raw[:200])
        return None


def store_hits(hits: list[Hit]) -> None:
    """Classify hits as human or automated and store them as events."""
    ids = {h.message_id for h in hits}
    if not ids:
        return
    sent_at = dict(db.session.execute(
        select(EmailMessage.id, EmailMessage.sent_at).where(EmailMessage.id.in_(ids))).all())
    clicks_in_batch = [h for h in hits if h.kind == "click"]
    # Only clicks are judged against recent clicks; batches of opens skip the query.
    recent = _recent_clicks({h.message_id for h in clicks_in_batch},
                            min(h.at for h in clicks_in_batch)) if clicks_in_batch else {}
    # Open rules look only at the user agent and address: decide each pair once.
    open_verdicts: dict[tuple[str, str], tuple[bool, str | None]] = {}
    events = []
    for hit in sorted(hits, key=lambda h: h.at):
        if hit.message_id not in sent_at:
            continue  # the message was deleted; a signed token for it is harmless
        at = datetime.fromtimestamp(hit.at, timezone.utc)
        clicks = recent.setdefault(hit.message_id, [])
        if hit.kind == "view":
            automated, reason = False, None  # a person opened the invoice page
        elif hit.kind == "open":
            key = (hit.user_agent, hit.ip)
            if key not in open_verdicts:
                open_verdicts[key] = classify_hit("open", hit.user_agent or None,
                                                  hit.ip or None, at, sent_at[hit.message_id])
            automated, reason = open_verdicts[key]
        else:
            automated, reason = classify_hit("click", hit.user_agent or None,
                                             hit.ip or None, at, sent_at[hit.message_id],
                                             clicks, url=hit.url or None)
            clicks.append((at, hit.url))
        events.append(NewEvent(
            message_id=hit.message_id, type=_TYPES[hit.kind], occurred_at=at,
            source={"open": "pixel", "click": "click", "view": "client-view"}[hit.kind],
            dedupe_key=f"hit:{hit.id}", automated=automated, user_agent=hit.user_agent,
            ip=hit.ip, url=hit.url, details={"automation_rule": reason} if reason else {}))
    store_events(events)


def _recent_clicks(ids: set[int], since: float) -> dict[int, list]:
    # The click rule looks back one burst window from each hit.
    start = datetime.fromtimestamp(since, timezone.utc) - BURST_WINDOW
    rows = db.session.execute(select(EmailEvent.message_id, EmailEvent.occurred_at,
                                     EmailEvent.url)
                              .where(EmailEvent.message_id.in_(ids),
                                     EmailEvent.type == "clicked",
                                     EmailEvent.occurred_at >= start)).all()
    found: dict[int, list] = {}
    for row in rows:
        found.setdefault(row.message_id, []).append((row.occurred_at, row.url))
    return found
